import { useSyncExternalStore } from 'react';
import { THEME_KEY } from './theme-script';

/** What the operator can change in the Settings dialog; kept in localStorage. */
export interface Settings {
  /** e.g. http://host:1985 (no trailing slash); empty = derived default */
  apiBase: string;
  /** origin of the HTTP media server (HTTP-FLV, HLS), e.g. http://host:8080; empty = derived */
  httpBase: string;
  /** RTMP port for the copied RTMP URLs; 0 = the port the server reports (1935 when unknown) */
  rtmpPort: number;
  username: string;
  password: string;
}

export type Theme = 'system' | 'light' | 'dark';

const KEY = 'tsrs.console.settings';

const EMPTY: Settings = { apiBase: '', httpBase: '', rtmpPort: 0, username: '', password: '' };

let current: Settings = EMPTY;
let loaded = false;
let apiOverride: string | null = null;
const listeners = new Set<() => void>();

function trimSlash(s: string): string {
  return s.trim().replace(/\/+$/, '');
}

function load(): void {
  if (loaded || typeof window === 'undefined') return;
  loaded = true;
  try {
    const raw = window.localStorage.getItem(KEY);
    if (raw) current = { ...EMPTY, ...(JSON.parse(raw) as Partial<Settings>) };
  } catch {
    current = EMPTY;
  }
  apiOverride = apiFromQuery(new URLSearchParams(window.location.search), window.location);
}

/**
 * The API origin a page's query names, for this page load: `?api=http://host:port`, or SRS's
 * players' `?api=1985` (a port, on `?server=` when given, else the page's host). Null otherwise.
 */
export function apiFromQuery(q: URLSearchParams, page: { protocol: string; hostname: string }): string | null {
  const api = q.get('api')?.trim();
  if (!api) return null;
  if (/^https?:\/\//i.test(api)) return trimSlash(api);
  const port = /^\d{1,5}$/.test(api) ? Number(api) : 0;
  if (port < 1 || port > 65535) return null;
  const server = q.get('server')?.trim() || page.hostname;
  const host = server.includes(':') && !server.startsWith('[') ? `[${server}]` : server;
  return `${page.protocol}//${host}:${port}`;
}

/**
 * What the server that served this page says (`/console/tsrs-server.js`, loaded before the app):
 * which listener served it and the bound API, HTTP and RTMP ports (null when that listener is off).
 */
export interface ServedFrom {
  served_by: 'http' | 'api' | 'both';
  api_port: number | null;
  http_port: number | null;
  rtmp_port: number | null;
}

export function servedFrom(): ServedFrom | null {
  if (typeof window === 'undefined') return null;
  const v = (window as { __TSRS_SERVER__?: Partial<ServedFrom> }).__TSRS_SERVER__;
  if (!v || typeof v !== 'object' || (v.served_by !== 'http' && v.served_by !== 'api' && v.served_by !== 'both')) return null;
  const port = (p: unknown) => (typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : null);
  return { served_by: v.served_by, api_port: port(v.api_port), http_port: port(v.http_port), rtmp_port: port(v.rtmp_port) };
}

export function getSettings(): Settings {
  load();
  return current;
}

export function saveSettings(next: Partial<Settings>): void {
  load();
  current = {
    ...current,
    ...next,
    apiBase: trimSlash(next.apiBase ?? current.apiBase),
    httpBase: trimSlash(next.httpBase ?? current.httpBase),
  };
  // An explicit save replaces the ?api= override.
  if (next.apiBase !== undefined) apiOverride = null;
  try {
    window.localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    /* private mode: keep in memory */
  }
  listeners.forEach((l) => l());
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useSettings(): Settings {
  return useSyncExternalStore(subscribe, getSettings, () => EMPTY);
}

/**
 * The default API origin: the page's own origin when the API port served it; else the same host
 * on the API port the server reports (`/console/tsrs-server.js`), else port 1985 (SRS's). Under
 * `next dev`: the same origin, proxied by next dev.
 */
export function defaultApiBase(): string {
  if (typeof window === 'undefined') return 'http://127.0.0.1:1985';
  if (process.env.NODE_ENV === 'development') return window.location.origin;
  const from = servedFrom();
  if (from && from.served_by !== 'http') return window.location.origin;
  return `${window.location.protocol}//${window.location.hostname}:${from?.api_port ?? 1985}`;
}

/**
 * The default media HTTP origin: the page's own origin when the HTTP server served it (whatever
 * port `http_server.listen` says); from the API port, the same host on the HTTP port the server
 * reports (8080 when unknown). Under `next dev`, the same host on 8080.
 */
export function defaultHttpBase(): string {
  if (typeof window === 'undefined') return 'http://127.0.0.1:8080';
  const from = process.env.NODE_ENV === 'development' ? null : servedFrom();
  if (process.env.NODE_ENV !== 'development' && (!from || from.served_by !== 'api')) return window.location.origin;
  return `${window.location.protocol}//${window.location.hostname}:${from?.http_port ?? 8080}`;
}

export function apiBase(s: Settings = getSettings()): string {
  return apiOverride ?? (s.apiBase || defaultApiBase());
}

export function httpBase(s: Settings = getSettings()): string {
  return s.httpBase || defaultHttpBase();
}

export function authHeader(s: Settings = getSettings()): string | null {
  if (!s.username && !s.password) return null;
  const bytes = new TextEncoder().encode(`${s.username}:${s.password}`);
  let bin = '';
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return `Basic ${btoa(bin)}`;
}

// ---------------------------------------------------------------------------------------------
// Auth-required flag: set when the API answers 401, cleared on a successful login.

let authRequired = false;
const authListeners = new Set<() => void>();

export function setAuthRequired(v: boolean): void {
  if (authRequired === v) return;
  authRequired = v;
  authListeners.forEach((l) => l());
}

export function useAuthRequired(): boolean {
  return useSyncExternalStore(
    (l) => {
      authListeners.add(l);
      return () => authListeners.delete(l);
    },
    () => authRequired,
    () => false,
  );
}

// ---------------------------------------------------------------------------------------------
// Theme

export function getTheme(): Theme {
  try {
    const t = window.localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(t: Theme): void {
  try {
    if (t === 'system') window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, t);
  } catch {
    /* ignore */
  }
  const dark = t === 'dark' || (t === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
}


const noopSubscribe = () => () => {};

/** false while prerendering and hydrating, true afterwards (for values that depend on window). */
export function useHydrated(): boolean {
  return useSyncExternalStore(noopSubscribe, () => true, () => false);
}

/** The RTMP port of the copied RTMP URLs: the operator's, else the server's, else 1935. */
export function rtmpPort(s: Settings = getSettings()): number {
  return s.rtmpPort || servedFrom()?.rtmp_port || 1935;
}
