/**
 * Typed fetch client for the SRS-compatible API. SRS answers errors as HTTP 200 `{"code":N}`;
 * real HTTP errors are 401 (auth), 404 (route missing), 405 and 5xx.
 */
import { apiBase, authHeader, setAuthRequired } from './settings';
import {
  ERROR_CODES,
  type ClientsResponse,
  type DvrRequest,
  type DvrResponse,
  type Envelope,
  type FeaturesResponse,
  type HistoryClientsQuery,
  type HistoryClientsResponse,
  type HistoryQuery,
  type HistoryStreamsResponse,
  type KickResponse,
  type ProcessesResponse,
  type LiveStreamHistoryResponse,
  type RawResponse,
  type RecordingDeleteResponse,
  type RecordingsQuery,
  type RecordingsResponse,
  type StreamResponse,
  type StreamsResponse,
  type SummariesResponse,
  type VersionsResponse,
  type VhostsResponse,
} from './types';

export type ApiErrorKind = 'network' | 'auth' | 'not-found' | 'http' | 'code' | 'parse';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status = 0,
    readonly code = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.kind === 'not-found';
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function apiUrl(path: string, query?: Query): string {
  const u = new URL(path, apiBase() + '/');
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u.toString();
}

export function authHeaders(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  const a = authHeader();
  if (a) h.Authorization = a;
  return h;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** A 401: shows the sign-in dialog and fails the request. */
function authRequired(): never {
  setAuthRequired(true);
  throw new ApiError('auth', 'The API needs a user name and password', 401);
}

/** Sends a request, checks status and SRS `code`; resolves to the parsed body. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const url = apiUrl(path, opts.query);
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers: authHeaders(opts.body !== undefined ? { 'Content-Type': 'application/json' } : undefined),
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('network', `Cannot reach the API at ${apiBase()} (${(e as Error).message})`);
  }
  if (res.status === 401) authRequired();
  if (res.status === 404) throw new ApiError('not-found', `${new URL(url).pathname} is not available on this server (404)`, 404);
  if (!res.ok) throw new ApiError('http', `${new URL(url).pathname}: HTTP ${res.status} ${res.statusText}`.trim(), res.status);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('parse', `${new URL(url).pathname}: the answer is not JSON`, res.status);
  }
  const code = (body as { code?: unknown }).code;
  if (typeof code === 'number' && code !== 0) {
    const what = ERROR_CODES[code];
    throw new ApiError('code', `Server error code ${code}${what ? `: ${what}` : ''}`, res.status, code);
  }
  setAuthRequired(false);
  return body as T;
}

/** Checks credentials against /api/v1/versions (always protected when auth is on). */
export async function probeAuth(): Promise<void> {
  await request<VersionsResponse>('/api/v1/versions');
}

// ---------------------------------------------------------------------------------------------
// Endpoints

export const api = {
  summaries: (signal?: AbortSignal) => request<SummariesResponse>('/api/v1/summaries', { signal }),
  versions: (signal?: AbortSignal) => request<VersionsResponse>('/api/v1/versions', { signal }),
  vhosts: (signal?: AbortSignal) => request<VhostsResponse>('/api/v1/vhosts/', { signal }),
  streams: (signal?: AbortSignal, start = 0, count = 100) =>
    request<StreamsResponse>('/api/v1/streams/', { signal, query: { start, count } }),
  stream: (id: string, signal?: AbortSignal) => request<StreamResponse>(`/api/v1/streams/${encodeURIComponent(id)}`, { signal }),
  /** tsrs: the stream's last 10 minutes of live figures, one sample a second */
  streamSamples: (id: string, signal?: AbortSignal) =>
    request<LiveStreamHistoryResponse>(`/api/v1/streams/${encodeURIComponent(id)}/samples`, { signal }),
  clients: (signal?: AbortSignal, start = 0, count = 100) =>
    request<ClientsResponse>('/api/v1/clients/', { signal, query: { start, count } }),
  kick: (clientId: string) => request<KickResponse>(`/api/v1/clients/${encodeURIComponent(clientId)}`, { method: 'DELETE' }),
  dvr: (body: DvrRequest) => request<DvrResponse>('/api/v1/dvrs', { method: 'POST', body }),
  recordings: (q: RecordingsQuery, signal?: AbortSignal) =>
    request<RecordingsResponse>('/api/v1/recordings', { signal, query: { ...q } }),
  deleteRecording: (id: string) => request<RecordingDeleteResponse>(`/api/v1/recordings/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  recordingUrl: (id: string, format?: 'mp4') =>
    apiUrl(`/api/v1/recordings/${encodeURIComponent(id)}/download`, { format }),
  historyStreams: (q: HistoryQuery, signal?: AbortSignal) =>
    request<HistoryStreamsResponse>('/api/v1/history/streams', { signal, query: { ...q } }),
  historyClients: (q: HistoryClientsQuery, signal?: AbortSignal) =>
    request<HistoryClientsResponse>('/api/v1/history/clients', { signal, query: { ...q } }),
  /** tsrs: the running config as JSON or text */
  config: async (signal?: AbortSignal): Promise<{ source: string; body: unknown }> => {
    try {
      const body = await request<unknown>('/api/v1/config', { signal });
      return { source: '/api/v1/config', body };
    } catch (e) {
      if (e instanceof ApiError && (e.kind === 'not-found' || e.kind === 'code' || e.kind === 'http' || e.kind === 'parse')) {
        const body = await request<unknown>('/api/v1/raw', { signal, query: { rpc: 'raw' } });
        return { source: '/api/v1/raw?rpc=raw', body };
      }
      throw e;
    }
  },
  reload: () => request<Envelope>('/api/v1/raw', { query: { rpc: 'reload' } }),
  /** SRS's raw API switches (raw_api.enabled, allow_reload, ...): answered whatever they are */
  raw: (signal?: AbortSignal) => request<RawResponse>('/api/v1/raw', { signal, query: { rpc: 'raw' } }),
  features: (signal?: AbortSignal) => request<FeaturesResponse>('/api/v1/features', { signal }),
  /** tsrs: the child processes (exec, ingest, transcode FFmpegs) with pid, state, uptime, restarts */
  processes: (signal?: AbortSignal) => request<ProcessesResponse>('/api/v1/processes', { signal }),
};

/** Saves `href` as `filename` through a temporary link. */
function clickDownload(href: string, filename: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Downloads a protected file: a plain link without credentials, else fetch + blob. */
export async function downloadWithAuth(url: string, filename: string): Promise<void> {
  const auth = authHeader();
  if (!auth) return clickDownload(url, filename);
  const res = await fetch(url, { headers: { Authorization: auth } });
  if (res.status === 401) authRequired();
  if (!res.ok) throw new ApiError(res.status === 404 ? 'not-found' : 'http', `Download failed: HTTP ${res.status}`, res.status);
  const blob = await res.blob();
  const obj = URL.createObjectURL(blob);
  clickDownload(obj, filename);
  setTimeout(() => URL.revokeObjectURL(obj), 10_000);
}
