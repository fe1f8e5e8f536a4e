/**
 * WebRTC signalling on the API port, as SRS 5/6 serves it:
 *
 * - WHIP (RFC 9725): `POST /rtc/v1/whip/?app=&stream=[&vhost=]` with an `application/sdp` offer
 *   -> 201, the answer, `Location: /rtc/v1/whip/?action=delete&app=&stream=&session=ID`;
 *   `DELETE` on that URL ends the session (200; 404 JSON when there is none, or when the session
 *   is a player, or of another app/stream than the URL's). A refusal is a 4xx
 *   `{"code":N,"msg":...}` (403/401 from security or a hook, 400 a bad offer, 409 busy).
 *   `Authorization: Bearer T` reaches the hooks as `param` `?token=T` (with the query's own
 *   parameters other than app, stream, vhost).
 * - WHEP: `POST /rtc/v1/whep/?app=&stream=[&vhost=]` the same way for a player (of a stream
 *   nobody publishes yet too: as SRS, it is answered and waits for the publisher, bounded by
 *   max_waiting_players and play.waiting_timeout), its Location `/rtc/v1/whep/?action=delete&...`; its
 *   DELETE ends only a player.
 * - SRS's `POST /rtc/v1/publish/` and `POST /rtc/v1/play/` with `{api, tid, streamurl, clientip, sdp}`
 *   (`streamurl` = `webrtc://host/app/stream?param`) -> `{code:0, server, service, pid, sdp, sessionid}`;
 *   errors are HTTP 200 `{"code":N}` with SRS's codes.
 */
import { isIP } from 'node:net';
import { fail, jsonError, ok, raw, type Reply, type RequestCtx, type Route } from './router.js';
import { ErrorCode, RtcPublishResponse } from '@tsrs/api-types';

/** What the routes need from the WebRTC server (listeners/rtc.ts). */
export interface RtcOfferRequest {
  /** empty: the default vhost */
  vhost: string;
  app: string;
  stream: string;
  /** the query with its '?', as hooks get it (a WHIP/WHEP bearer token arrives here as `?token=`) */
  param: string;
  /** the client's address as hooks and the client list see it: the HTTP client's, or SRS's JSON `clientip` (security checks it and `peer`) */
  ip: string;
  /**
   * the HTTP client's own address (the socket's), which the per-address bounds count
   * (max_connections_per_ip, rtc_server.max_pending_sessions_per_ip): a `clientip` in the body,
   * which the client chooses, must not move it into another address's share
   */
  peer: string;
  /** the SDP offer */
  offer: string;
  /** SRS's `?eip=` (or `?candidate=`): the address to name first in the answer's candidates */
  eip?: string;
  /** the host the client reached the API at (Host header), a candidate under `api_as_candidates` */
  apiHost?: string;
}

/** What a DELETE names besides the session id: its route's direction and the URL's names. */
export interface RtcSessionMatch {
  direction: 'publish' | 'play';
  /** empty: the default vhost */
  vhost: string;
  app: string;
  stream: string;
}

export interface RtcSignalling {
  publish(req: RtcOfferRequest): Promise<{ sessionId: string; answer: string }>;
  play(req: RtcOfferRequest): Promise<{ sessionId: string; answer: string }>;
  /**
   * Ends the session `sessionId` when it is of `match.direction` (a WHIP DELETE ends only a
   * publisher, a WHEP one only a player) and of the same app and stream (and vhost, empty: the
   * default one); false otherwise, the session left alone.
   */
  end(sessionId: string, match: RtcSessionMatch): boolean;
  /** the bound UDP port(s); empty until it listens */
  addresses(): { host: string; port: number }[];
  /** the shared UDP port's counters; undefined until it listens */
  portStats?(): { sessions: number; routed: number; dropped: number; sendDropped: number; batched: number; batches: number } | undefined;
  /** the circuit breaker's level, last load sample (percent) and RTP payloads shed at dying */
  readonly breaker?: { readonly level: number; readonly loadPercent: number; readonly shed: number };
  /** the delay the server added to WebRTC players' video frames (app/delay-histogram.ts) */
  readonly sendDelay?: { cumulative(): [number, number][]; readonly count: number; readonly sum: number };
}

/**
 * The API's `features.tsrs` WebRTC flag: true only when `rtc_server` is enabled in the config
 * and its UDP port is served; otherwise false with the reason a user can act on.
 */
export function rtcFeature(enabled: boolean, rtc: RtcSignalling | undefined): { rtc: boolean; rtc_reason: string } {
  if (rtc && rtc.addresses().length > 0) {
    if (enabled) return { rtc: true, rtc_reason: '' };
    return { rtc: false, rtc_reason: 'WebRTC is off on this server (rtc_server was disabled by a reload).' };
  }
  if (enabled && rtc) return { rtc: false, rtc_reason: 'WebRTC is not served: the rtc_server UDP port is not listening.' };
  if (enabled) return { rtc: false, rtc_reason: 'WebRTC is not served: rtc_server was enabled after tsrs started (restart tsrs to serve it).' };
  return { rtc: false, rtc_reason: 'WebRTC is off on this server (rtc_server is not enabled).' };
}

export interface RtcApiDeps {
  /** undefined while rtc_server is off */
  rtc: () => RtcSignalling | undefined;
}

const DISABLED = ErrorCode.RtcDisabled;
const INVALID_PARAMS = ErrorCode.RtcInvalidParams;
const API_BODY = ErrorCode.RtcApiBody;
const REFUSALS = [ErrorCode.RtcSdpDecode, ErrorCode.RtcSdpExchange, ErrorCode.RtcSourceBusy, ErrorCode.RtcDisabled, ErrorCode.RtcInvalidParams];

interface Refusal {
  code: number;
  httpStatus: number;
  message: string;
}

function refusal(err: unknown): Refusal {
  const e = err as { code?: unknown; httpStatus?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && typeof e.httpStatus === 'number') return { code: e.code, httpStatus: e.httpStatus, message: String(e.message) };
  return { code: ErrorCode.SystemError, httpStatus: 500, message: String((err as Error)?.message ?? err) };
}

/** `?k=v&...` of the query without the names the route itself reads, plus the bearer token. */
function hookParam(query: URLSearchParams, bearer: string | undefined): string {
  const rest = new URLSearchParams();
  for (const [k, v] of query) if (!['app', 'stream', 'vhost', 'action', 'session'].includes(k)) rest.append(k, v);
  if (bearer && !rest.has('token')) rest.append('token', bearer);
  const s = rest.toString();
  return s ? `?${s}` : '';
}

/** The hostname of the request's Host header (IPv6 brackets kept), or undefined. */
function apiHostOf(ctx: RequestCtx): string | undefined {
  const h = ctx.headers.host;
  if (typeof h !== 'string' || h.length > 255) return undefined;
  try {
    return new URL(`http://${h}/`).hostname;
  } catch {
    return undefined;
  }
}

/** SRS's server-address override: `eip`, else `candidate`, of the first query that has one. */
function eipOf(...queries: URLSearchParams[]): string | undefined {
  for (const q of queries) {
    const v = q.get('eip') ?? q.get('candidate');
    if (v) return v;
  }
  return undefined;
}

function bearerOf(ctx: RequestCtx): string | undefined {
  const h = ctx.headers.authorization;
  const m = /^Bearer\s+(\S+)$/i.exec(typeof h === 'string' ? h : '');
  return m?.[1];
}

/** `webrtc://host[:port]/app/stream?query` -> names and param; undefined when malformed. */
export function parseStreamUrl(streamurl: string): { vhost: string; app: string; stream: string; param: string } | undefined {
  let url: URL;
  let parts: string[];
  try {
    url = new URL(streamurl.replace(/^webrtc:\/\//i, 'http://'));
    parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  } catch {
    return undefined; // not a URL, or a malformed percent-encoding
  }
  if (parts.length < 2) return undefined;
  const stream = parts.pop()!;
  const vhost = url.searchParams.get('vhost') ?? url.searchParams.get('domain') ?? url.hostname;
  return { vhost, app: parts.join('/'), stream, param: url.search };
}

type Direction = 'publish' | 'play';

/** WHIP (publish) or WHEP (play): an `application/sdp` offer in, 201 + the answer + Location out. */
function whipLike(d: RtcApiDeps, path: string, direction: Direction): Route {
  const what = direction === 'publish' ? 'WHIP: publish over WebRTC' : 'WHEP: play over WebRTC';
  return {
    path,
    tag: 'rtc',
    ops: {
      POST: {
        summary: `${what} (an SDP offer in, the answer out)`,
        response: 'sdp',
        body: 'sdp',
        errors: REFUSALS,
        query: {
          app: { description: 'the app', type: 'string' },
          stream: { description: 'the stream', type: 'string' },
          vhost: { description: 'the vhost (default: the default vhost)', type: 'string' },
        },
        handle: async (ctx) => {
          const rtc = d.rtc();
          if (!rtc) return jsonError(503, DISABLED, 'rtc_server is disabled');
          const q = ctx.query;
          try {
            const req = {
              vhost: q.get('vhost') ?? '',
              app: q.get('app') ?? '',
              stream: q.get('stream') ?? '',
              param: hookParam(q, bearerOf(ctx)),
              ip: ctx.ip,
              peer: ctx.ip,
              offer: typeof ctx.body === 'string' ? ctx.body : '',
              eip: eipOf(q),
              apiHost: apiHostOf(ctx),
            };
            const { sessionId, answer } = await (direction === 'publish' ? rtc.publish(req) : rtc.play(req));
            const loc = new URLSearchParams({ action: 'delete', app: q.get('app') ?? '', stream: q.get('stream') ?? '', session: sessionId });
            if (q.get('vhost')) loc.set('vhost', q.get('vhost')!);
            return raw(201, answer, { 'Content-Type': 'application/sdp', Location: `${path}?${loc}` });
          } catch (err) {
            const r = refusal(err);
            return jsonError(r.httpStatus, r.code, r.message);
          }
        },
      },
      DELETE: {
        summary: `${direction === 'publish' ? 'WHIP' : 'WHEP'}: end a session (the Location of its POST)`,
        response: 'text',
        query: {
          session: { description: 'the session id', type: 'string' },
          app: { description: "the session's app", type: 'string' },
          stream: { description: "the session's stream", type: 'string' },
          vhost: { description: "the session's vhost (default: the default vhost)", type: 'string' },
        },
        handle: (ctx) => {
          const rtc = d.rtc();
          if (!rtc) return jsonError(503, DISABLED, 'rtc_server is disabled');
          const q = ctx.query;
          const id = q.get('session') ?? '';
          const match = { direction, vhost: q.get('vhost') ?? '', app: q.get('app') ?? '', stream: q.get('stream') ?? '' };
          return rtc.end(id, match) ? raw(200, '') : jsonError(404, INVALID_PARAMS, `no WebRTC ${direction === 'publish' ? 'publisher' : 'player'} session ${id} of ${match.app}/${match.stream}`);
        },
      },
    },
  };
}

/** SRS's JSON signalling: `{api, tid, streamurl, clientip, sdp}` -> `{code, server, sdp, sessionid}`. */
function srsJson(d: RtcApiDeps, path: string, direction: Direction): Route {
  return {
    path,
    tag: 'rtc',
    ops: {
      POST: {
        summary: `SRS's WebRTC ${direction}: {api, tid, streamurl, clientip, sdp} -> {sdp, sessionid}`,
        response: RtcPublishResponse,
        body: 'json',
        errors: [...REFUSALS, ErrorCode.RtcApiBody],
        handle: async (ctx) => {
          const rtc = d.rtc();
          if (!rtc) return fail(DISABLED);
          const body = ctx.body as Record<string, unknown> | undefined;
          if (!body || typeof body !== 'object' || typeof body.sdp !== 'string' || typeof body.streamurl !== 'string') return fail(API_BODY);
          const names = parseStreamUrl(body.streamurl);
          if (!names) return fail(INVALID_PARAMS);
          const clientip = typeof body.clientip === 'string' && isIP(body.clientip) ? body.clientip : ctx.ip;
          try {
            const req = { ...names, ip: clientip, peer: ctx.ip, offer: body.sdp, eip: eipOf(ctx.query, new URLSearchParams(names.param)), apiHost: apiHostOf(ctx) };
            const { sessionId, answer } = await (direction === 'publish' ? rtc.publish(req) : rtc.play(req));
            return ok({ sdp: answer, sessionid: sessionId });
          } catch (err) {
            return fail(refusal(err).code);
          }
        },
      },
    },
  };
}

export function rtcRoutes(d: RtcApiDeps): Route[] {
  return [
    whipLike(d, '/rtc/v1/whip/', 'publish'),
    whipLike(d, '/rtc/v1/whep/', 'play'),
    srsJson(d, '/rtc/v1/publish/', 'publish'),
    srsJson(d, '/rtc/v1/play/', 'play'),
  ];
}
