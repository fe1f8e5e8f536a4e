import { useSyncExternalStore } from 'react';
import { THEME_KEY } from './theme-script';

/** What the operator can change in the Settings dialog; kept in localStorage. */
export interface Settings {
  /** e.g. http://host:1985 (no trailing slash); empty = derived default */
  apiBase: string;
  /** origin of the HTTP media server (HTTP-FLV, HLS), e.g. http://host:8080; empty = derived */
  httpBase: string;
  /** RTMP port for the copied RTMP URLs */
  rtmpPort: number;
  username: string;
  password: string;
}

export type Theme = 'system' | 'light' | 'dark';

const KEY = 'tsrs.console.settings';

const EMPTY: Settings = { apiBase: '', httpBase: '', rtmpPort: 1935, username: '', password: '' };

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
  // ?api=http://host:port wins for this page load (SRS players used ?api= / server= the same way).
  const q = new URLSearchParams(window.location.search).get('api');
  if (q && /^https?:\/\//i.test(q)) apiOverride = trimSlash(q);
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

/** The default API origin: same host, port 1985 (dev server: same origin, proxied by next dev). */
export function defaultApiBase(): string {
  if (typeof window === 'undefined') return 'http://127.0.0.1:1985';
  if (process.env.NODE_ENV === 'development') return window.location.origin;
  return `${window.location.protocol}//${window.location.hostname}:1985`;
}

/**
 * The default media HTTP origin: the page's own origin, since tsrs serves the console from its
 * HTTP server (whatever port `http_server.listen` says); under `next dev`, the same host on 8080.
 */
export function defaultHttpBase(): string {
  if (typeof window === 'undefined') return 'http://127.0.0.1:8080';
  if (process.env.NODE_ENV !== 'development') return window.location.origin;
  return `${window.location.protocol}//${window.location.hostname}:8080`;
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
