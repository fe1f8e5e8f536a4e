/**
 * The HTTP side of the API: which paths it owns, CORS, Basic auth, JSONP, request bodies,
 * and SRS's answer conventions (errors as HTTP 200 `{"code":N}`, real 404/405/302).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '@tsrs/api-types';
import type { HttpHandler } from '../listeners/http.js';
import { peerIp } from '../listeners/tcp.js';
import type { Logger } from '../log.js';
import { fail, jsonError, matchRoute, type Method, type Reply, type Route } from './router.js';
import { buildRoutes, type ApiDeps } from './routes.js';

/** Largest request body the API reads; larger ones get code 4003. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this, a too-large body is not even drained: the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Expose-Headers': '*',
  'Access-Control-Allow-Credentials': 'false',
  'Access-Control-Request-Private-Network': 'true',
};

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'DELETE']);
const JSONP_CALLBACK = /^[A-Za-z0-9._-]+$/;

export interface ApiHandlerOptions {
  deps: ApiDeps;
  log: Logger;
  /** the API owns `/` (its own port) rather than the HTTP server (shared port) */
  ownRoot: boolean;
  maxBodyBytes?: number;
}

/** Whether a path belongs to the API (the rest of a shared port belongs to the HTTP server). */
export function ownsPath(path: string, ownRoot: boolean): boolean {
  return path === '/api' || path.startsWith('/api/') || path.startsWith('/rtc/') || path === '/metrics' || (ownRoot && path === '/');
}

/** SRS 5's Basic auth: the token must decode to exactly `user:pass`. */
export function basicAuthOk(header: string | undefined, username: string, password: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const got = Buffer.from(Buffer.from(m[1], 'base64').toString('utf8'));
  const want = Buffer.from(`${username}:${password}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; code: number };

/**
 * Read a request body up to `cap` bytes; too large -> drained (or cut) and refused. A body that
 * stops coming for `idleMs` (handshake_timeout) cuts the connection.
 */
function readBody(req: IncomingMessage, cap: number, idleMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.setTimeout(idleMs, () => req.destroy());
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= cap) chunks.push(c);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on('end', () => {
      req.setTimeout(0);
      resolve(size > cap ? { ok: false, code: ErrorCode.BodyTooLarge } : { ok: true, body: Buffer.concat(chunks) });
    });
    req.on('error', () => resolve({ ok: false, code: ErrorCode.BodyTooLarge }));
    req.on('close', () => resolve({ ok: false, code: ErrorCode.BodyTooLarge }));
  });
}

export function createApiHandler(opts: ApiHandlerOptions): { handler: HttpHandler; routes: Route[] } {
  const { deps, log } = opts;
  const cap = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const routes = buildRoutes(deps).filter((r) => opts.ownRoot || !r.rootOnly);

  const handler: HttpHandler = async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://api.invalid');
    } catch {
      return false;
    }
    const path = url.pathname;
    if (!ownsPath(path, opts.ownRoot)) return false;
    const api = deps.config().http_api;
    const headers: Record<string, string> = api.crossdomain && req.headers.origin ? { ...CORS_HEADERS } : {};

    if (req.method === 'OPTIONS') {
      if (api.crossdomain) send(res, 200, '', { ...CORS_HEADERS });
      else send(res, 405, 'Method Not Allowed', { 'Content-Type': 'text/plain; charset=utf-8' });
      return true;
    }
    // Every path the API owns needs the credentials when auth is on: `/`, `/api/...` and
    // `/metrics` (which names every live stream). SRS 5 checks only paths with `/api/`;
    // the exporter listener serves metrics to its own allow-list instead.
    // WebRTC signalling (/rtc/) is open as in SRS: browsers' WHIP/WHEP clients carry no Basic
    // credentials; security and the hooks gate those clients.
    if (api.auth.enabled && !path.startsWith('/rtc/') && !basicAuthOk(req.headers.authorization, api.auth.username, api.auth.password)) {
      send(res, 401, '', { ...headers, 'WWW-Authenticate': 'Basic realm="tsrs"' });
      return true;
    }

    const callback = url.searchParams.get('callback');
    if (callback !== null && !JSONP_CALLBACK.test(callback)) {
      send(res, 400, 'invalid JSONP callback', { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      return true;
    }
    const override = callback !== null ? url.searchParams.get('method')?.toUpperCase() : undefined;
    const method = (override || req.method || 'GET').toUpperCase();

    const match = METHODS.has(method) ? matchRoute(routes, method as Method, path, url.search) : matchRoute(routes, 'GET', path, url.search);
    if (match.kind === 'none') {
      send(res, 404, 'Not Found', { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      return true;
    }
    if (match.kind === 'redirect') {
      send(res, 302, `Redirect to ${match.location}`, { ...headers, Location: match.location, 'Content-Type': 'text/plain; charset=utf-8' });
      return true;
    }
    if (match.kind === 'method' || !METHODS.has(method)) {
      const allow = match.kind === 'method' || match.kind === 'route' ? Object.keys(match.route.ops).join(', ') : '';
      send(res, 405, 'Method Not Allowed', { ...headers, Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' });
      return true;
    }

    // Bodies: capped for every request; parsed (and required to be JSON) where the route reads one.
    const declared = Number(req.headers['content-length'] ?? 0);
    let body: unknown;
    // a body refused: SRS's `{code}`; WHIP/WHEP clients read HTTP statuses (RFC 9725), so their
    // routes answer a 4xx JSON {code, msg}
    const refuse = (code: number): void => {
      const tooLarge = code === ErrorCode.BodyTooLarge;
      const reply =
        match.op.body === 'sdp'
          ? jsonError(tooLarge ? 413 : 400, code, tooLarge ? `the body is over ${cap} bytes` : 'the body could not be read')
          : fail(code);
      writeReply(res, reply, headers, callback, deps, { Connection: 'close' });
    };
    // A body over the cap is read and dropped (readBody, within the listener's body deadline) so
    // the client, still sending, can read the 4003; only a huge one is cut at once.
    if (declared > MAX_DRAIN_BYTES || (declared > cap && (req.method === 'GET' || req.method === 'HEAD'))) {
      refuse(ErrorCode.BodyTooLarge);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const read = await readBody(req, cap, deps.config().global.handshake_timeout * 1000);
      if (!read.ok) {
        if (!res.destroyed) refuse(read.code);
        return true;
      }
      if (match.op.body === 'sdp') body = read.body.toString('utf8');
      if (match.op.body === 'json' && read.body.length > 0) {
        try {
          body = JSON.parse(read.body.toString('utf8'));
        } catch {
          writeReply(res, { kind: 'error', code: ErrorCode.JsonInvalid }, headers, callback, deps);
          return true;
        }
      }
    }

    let reply: Reply;
    try {
      reply = await match.op.handle({
        method: method as Method,
        path,
        id: match.id,
        query: url.searchParams,
        headers: req.headers,
        body,
        ip: peerIp(req.socket),
        url: req.url ?? path,
      });
    } catch (err) {
      log.warn({ err: String(err), url: req.url }, 'api handler failed');
      reply = { kind: 'error', code: ErrorCode.SystemError }; // a generic failure, still answered
    }
    writeReply(res, reply, headers, callback, deps);
    return true;
  };
  return { handler, routes };
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  res.end(buf);
}

/** SRS's JSON answers: compact, envelope first, JSONP-wrapped on request. */
function writeReply(
  res: ServerResponse,
  reply: Reply,
  headers: Record<string, string>,
  callback: string | null,
  deps: ApiDeps,
  extra: Record<string, string> = {},
): void {
  if (reply.kind === 'raw') {
    send(res, reply.status, reply.body, { ...headers, ...reply.headers, ...extra });
    return;
  }
  if (reply.kind === 'stream') {
    res.writeHead(reply.status, { ...headers, ...reply.headers, ...extra });
    // a read error mid-body can only cut the connection (the status is out)
    pipeline(reply.body, res).catch(() => res.destroy());
    return;
  }
  const obj =
    reply.kind === 'ok'
      ? { code: 0, server: deps.identity.serverId, service: deps.identity.serviceId, pid: deps.identity.pid, ...reply.fields }
      : { code: reply.code };
  const json = JSON.stringify(obj);
  if (callback !== null) {
    send(res, 200, `${callback}(${json})`, { ...headers, ...extra, 'Content-Type': 'text/javascript' });
  } else {
    send(res, 200, json, { ...headers, ...extra, 'Content-Type': 'application/json' });
  }
}
