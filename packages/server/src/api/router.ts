/**
 * The API's route table types and matcher. One table drives request routing, method checks
 * (405), Go-mux style redirects (302 from `/x` to `/x/`) and the OpenAPI document.
 */
import type { Readable } from 'node:stream';
import type { TSchema } from '@tsrs/api-types';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a handler answers. */
export type Reply =
  /** success: `{"code":0,"server","service","pid", ...fields}` */
  | { kind: 'ok'; fields: Record<string, unknown> }
  /** SRS error: HTTP 200 `{"code":N}` */
  | { kind: 'error'; code: number }
  /** anything else (metrics text, redirects, documents) */
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: string | Buffer }
  /** a body too large to hold in memory (recording downloads), piped to the response */
  | { kind: 'stream'; status: number; headers: Record<string, string>; body: Readable };

export const ok = (fields: Record<string, unknown> = {}): Reply => ({ kind: 'ok', fields });
export const fail = (code: number): Reply => ({ kind: 'error', code });
export const raw = (status: number, body: string | Buffer, headers: Record<string, string> = {}): Reply => ({ kind: 'raw', status, headers, body });
/** An HTTP error status with a JSON `{code, msg}` body (WHIP/WHEP answer statuses, RFC 9725). */
export const jsonError = (status: number, code: number, msg: string): Reply =>
  raw(status, JSON.stringify({ code, msg }), { 'Content-Type': 'application/json' });

export interface RequestCtx {
  method: Method;
  path: string;
  /** the `{id}` path parameter, when the route has one */
  id: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** parsed JSON body for routes with `body: 'json'` (undefined when empty); the text for `body: 'sdp'` */
  body: unknown;
  /** the client's address (the TCP peer) */
  ip: string;
  /** the request URL as received (path + query) */
  url: string;
}

export interface Operation {
  summary: string;
  /**
   * schema of the success body, from @tsrs/api-types (the envelope included); `file`: a binary
   * download (errors are still SRS JSON answers)
   */
  response: TSchema | 'text' | 'redirect' | 'file' | 'sdp';
  /** schema of the JSON body, for the document */
  requestSchema?: TSchema;
  /** the answer is a plain JSON document (no SRS envelope, no error codes) */
  plainJson?: boolean;
  /** SRS error codes this operation may answer with */
  errors?: number[];
  /** query parameters, for the document */
  query?: Record<string, { description: string; type: 'string' | 'integer' }>;
  /** whether a JSON body is read (and must parse when present), or an SDP (text, up to 64 KiB) */
  body?: 'json' | 'sdp';
  handle(ctx: RequestCtx): Reply | Promise<Reply>;
}

export interface Route {
  /** `/api/v1/streams/` or `/api/v1/streams/{id}`; `{id}` takes the rest of the path */
  path: string;
  tag: string;
  ops: Partial<Record<Method, Operation>>;
  /** served only when the API owns `/` (not on a port shared with the HTTP server) */
  rootOnly?: boolean;
}

export type Match =
  | { kind: 'route'; route: Route; op: Operation; id: string }
  | { kind: 'method'; route: Route }
  | { kind: 'redirect'; location: string }
  | { kind: 'none' };

function matchPath(route: Route, path: string): string | undefined {
  const i = route.path.indexOf('{id}');
  if (i < 0) return route.path === path ? '' : undefined;
  const prefix = route.path.slice(0, i);
  // `{id}` may be followed by a fixed suffix (`/api/v1/recordings/{id}/download`)
  const suffix = route.path.slice(i + 4);
  if (!path.startsWith(prefix) || !path.endsWith(suffix) || path.length <= prefix.length + suffix.length) return undefined;
  const rest = path.slice(prefix.length, path.length - suffix.length);
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest; // bad percent-encoding: an id that matches nothing
  }
}

/** Find the route for a request; exact paths win over `{id}` routes. */
export function matchRoute(routes: readonly Route[], method: Method, path: string, search: string): Match {
  let found: { route: Route; id: string } | undefined;
  for (const r of routes) {
    if (r.path.includes('{id}')) continue;
    if (r.path === path) {
      found = { route: r, id: '' };
      break;
    }
  }
  if (!found) {
    for (const r of routes) {
      if (!r.path.includes('{id}')) continue;
      const id = matchPath(r, path);
      // the most specific pattern wins: `/x/{id}/download` over `/x/{id}`
      if (id !== undefined && (!found || r.path.length > found.route.path.length)) found = { route: r, id };
    }
  }
  if (found) {
    const op = found.route.ops[method];
    return op ? { kind: 'route', route: found.route, op, id: found.id } : { kind: 'method', route: found.route };
  }
  // Go's ServeMux: a pattern ending in '/' also catches the path without it, with a redirect.
  if (!path.endsWith('/') && routes.some((r) => r.path === `${path}/`)) return { kind: 'redirect', location: `${path}/${search}` };
  return { kind: 'none' };
}
