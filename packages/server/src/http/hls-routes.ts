import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newContextId } from '../app/ids.js';
import { HlsSessions, type HlsLimits, type HlsSession, type HlsViewer } from '../app/hls/hls-sessions.js';
import { AdmissionError, LimitError, type Hub } from '../app/hub.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { resolveVhost } from '../app/resolve-vhost.js';
import { streamNamesProblem } from '../app/safe-name.js';
import { DEFAULT_VHOST } from '../config/index.js';
import { staticRoots } from './roots.js';
import { decodePathSegments, encodePathSegments, joinInside, realPathInside } from './safe-path.js';
import { sendFile } from './static-files.js';
import { peerIp } from '../listeners/tcp.js';

/** SRS's query parameter naming an HLS viewer's session. */
export const HLS_CTX = 'hls_ctx';
const M3U8_TYPE = 'application/vnd.apple.mpegurl';
/** what a ctx may look like (SRS makes 8 chars of [0-9a-z]) */
const CTX_RE = /^[0-9A-Za-z_-]{1,64}$/;

export interface HlsRoutesOptions {
  hub: Hub;
  config: () => Config;
  log: Logger;
}

interface StreamRef {
  vhost: string;
  app: string;
  stream: string;
}

interface Located {
  /** the path as HLS wrote it (root + URL path) */
  path: string;
  /** the real file, inside its root */
  real: string;
  st: Stats;
}

/**
 * SRS's master playlist for a viewer without a session: one variant, the same
 * URL with `hls_ctx` first and the request's other parameters after it.
 */
export function masterPlaylist(path: string, ctx: string, query: string): string {
  const rest = query.replace(/^\?/, '');
  return `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n${path}?${HLS_CTX}=${ctx}${rest ? `&${rest}` : ''}`;
}

/** `hls_ts_ctx`: every media URI of a playlist (segments, EXT-X-MAP) gets `hls_ctx=<ctx>`. */
export function tagPlaylist(text: string, ctx: string): string {
  const tag = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}${HLS_CTX}=${ctx}`;
  return text
    .split('\n')
    .map((line) => {
      const l = line.trim();
      if (!l) return line;
      if (!l.startsWith('#')) return tag(l);
      if (l.startsWith('#EXT-X-MAP:')) return l.replace(/URI="([^"]*)"/, (_m, uri: string) => `URI="${tag(uri)}"`);
      return line;
    })
    .join('\n');
}

/** The query without hls_ctx, raw (as hooks get it in `param`): '' or '?a=b&c=d'. */
export function paramWithoutCtx(query: string): string {
  const parts = query
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '' && p !== HLS_CTX && !p.startsWith(`${HLS_CTX}=`));
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * HLS viewers as clients (SRS 5's `hls_ctx on`, the default), for the playlists
 * this server's HLS writes:
 *
 * - `x.m3u8` without hls_ctx answers a master playlist naming `x.m3u8?hls_ctx=<new id>`
 *   and keeps nothing (a probe of the URL costs nothing);
 * - `x.m3u8?hls_ctx=<id>` gets the media playlist, whose segment URIs carry the ctx when
 *   `hls_ts_ctx` is on; a ctx with no session is remembered as pending (bounded, short-lived);
 * - the first segment fetched with a pending ctx opens its `hls-play` session: admitted like
 *   any player (security, on_play; refused → 403, past request_limits → 503), listed,
 *   counted, recorded. Then each request refreshes it and segments count their bytes.
 *   (SRS 5 makes the client at the master playlist; tsrs waits until the viewer plays, so
 *   cheap GETs leave no clients, hooks or history rows behind.) With `hls_ts_ctx off`
 *   segments carry no ctx, so the first media playlist request opens the session;
 * - a segment with an unknown ctx is a plain file;
 * - a kicked or refused ctx gets 403 on playlists and segments for a while (a fresh master
 *   playlist request starts a new, newly admitted session).
 *
 * Everything else (hls_ctx off, files HLS did not write, HEAD) is left to the static files.
 */
export function hlsRoutesHandler(opts: HlsRoutesOptions) {
  const hlsOf = (vhost: string) => opts.config().getVhost(vhost)?.hls;
  const sessions = new HlsSessions({
    hub: opts.hub,
    log: opts.log.child({ mod: 'hls-ctx' }),
    expiryMs: (vhost) => 2 * (hlsOf(vhost)?.hls_window ?? 60) * 1000,
    limits: () => hlsLimits(opts.config()),
  });
  /** playlists this server's HLS writes, by their path: which stream each one is */
  const playlists = new Map<string, StreamRef>();
  opts.hub.bus.on('hls:segment', (e) => {
    playlists.set(e.m3u8, { vhost: e.source.vhost, app: e.source.app, stream: e.source.stream });
  });

  /** The file a URL path names in the served roots, as the static handler finds it. */
  const locate = async (urlPath: string): Promise<Located | undefined> => {
    const segments = decodePathSegments(urlPath);
    if (!segments) return undefined;
    for (const root of staticRoots(opts.config())) {
      const path = joinInside(root, segments);
      if (!path) return undefined;
      let st: Stats;
      try {
        st = await stat(path);
      } catch {
        continue;
      }
      if (!st.isFile()) return undefined;
      const real = await realPathInside(root, path);
      return real ? { path, real, st } : undefined;
    }
    return undefined;
  };

  /**
   * A playlist that is not written yet may name a stream nobody publishes: `stream:demand`
   * (no client) for `/[app]/[stream].m3u8` on a vhost whose HLS writes `[app]/[stream].m3u8`
   * (vhost from `?vhost=`, else the Host header, else the default vhost), so an on-demand
   * producer can start it; the player's next request finds the playlist. Refused names
   * announce nothing.
   */
  const announceDemand = (req: IncomingMessage, path: string, query: string): void => {
    const segments = decodePathSegments(path);
    if (!segments || segments.length < 2) return;
    const config = opts.config();
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const wanted = new URLSearchParams(query.replace(/^\?/, '')).get('vhost') ?? host;
    const vhost = resolveVhost(config, wanted) ?? resolveVhost(config, DEFAULT_VHOST);
    const hls = vhost === undefined ? undefined : config.getVhost(vhost);
    if (vhost === undefined || !hls?.enabled || !hls.hls.enabled || hls.hls.hls_m3u8_file !== '[app]/[stream].m3u8') return;
    const app = segments.slice(0, -1).join('/');
    const stream = segments[segments.length - 1].replace(/\.m3u8$/i, '');
    if (streamNamesProblem({ app, stream })) return;
    opts.hub.demand(vhost, app, stream, paramWithoutCtx(query));
  };

  /** Opens a viewer's session; undefined after answering 401 (a hook refused), 403 (refused) or 503 (limits). */
  const open = async (viewer: HlsViewer, res: ServerResponse): Promise<HlsSession | undefined> => {
    try {
      return await sessions.open(viewer);
    } catch (err) {
      const reason = err instanceof AdmissionError ? err.message : String(err);
      opts.log.warn({ cid: viewer.id, ip: viewer.ip, url: `${viewer.app}/${viewer.stream}`, reason }, 'hls-play refused');
      if (err instanceof LimitError) answer(res, 503, 'Service Unavailable', undefined, { 'Retry-After': '5' });
      else if (err instanceof AdmissionError && err.httpStatus === 401) answer(res, 401, 'Unauthorized');
      else answer(res, 403, 'Forbidden');
      return undefined;
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const query = q >= 0 ? url.slice(q) : '';
    const isPlaylist = /\.m3u8$/i.test(path);
    const ctx = ctxOf(query);
    if (!isPlaylist && ctx === undefined) return false;
    // a kicked or refused ctx gets nothing more, whatever it asks for
    if (!isPlaylist && sessions.wasKicked(ctx!)) return answer(res, 403, 'Forbidden');
    const file = await locate(path);
    if (!file) {
      if (isPlaylist) announceDemand(req, path, query);
      return false;
    }

    if (!isPlaylist) {
      // a segment (or init segment) of a session, or of a viewer about to become one
      let session = sessions.find(ctx!);
      let served = file;
      if (!session) {
        const viewer = sessions.pendingOf(ctx!);
        if (!viewer) return false;
        session = await open(viewer, res);
        if (!session) return true;
        // the window may have slid while the hooks ran
        const still = await locate(path);
        if (!still) return answer(res, 404, 'Not Found');
        served = still;
      }
      sessions.touch(session);
      await sendFile(req, res, served.real, served.st, (n) => sessions.addBytes(session, n));
      return true;
    }

    const ref = playlists.get(file.path);
    const hls = ref && hlsOf(ref.vhost);
    if (!ref || !hls?.enabled || !hls.hls_ctx) return false;
    if (ctx === undefined || ctx === '') {
      // the checked path, re-encoded: `//host/...` as asked would send the player to another host
      const body = masterPlaylist(encodePathSegments(decodePathSegments(path) ?? []), newContextId(), query);
      return answer(res, 200, body, M3U8_TYPE);
    }
    if (!CTX_RE.test(ctx)) return answer(res, 400, 'Bad Request');
    if (sessions.wasKicked(ctx)) return answer(res, 403, 'Forbidden');
    const viewer: HlsViewer = {
      id: ctx,
      ip: peerIp(req.socket),
      vhost: ref.vhost,
      app: ref.app,
      stream: ref.stream,
      param: paramWithoutCtx(query),
      tcUrl: `http://${req.headers.host ?? '127.0.0.1'}/${ref.app}`,
      pageUrl: String(req.headers.referer ?? ''),
    };
    let session = sessions.find(ctx);
    if (!session && !hls.hls_ts_ctx) {
      // segments carry no ctx: this request is the only sign the viewer plays
      session = await open(viewer, res);
      if (!session) return true;
    }
    if (session) sessions.touch(session);
    let text: string;
    try {
      text = await readFile(file.real, 'utf8');
    } catch {
      return answer(res, 404, 'Not Found');
    }
    if (hls.hls_ts_ctx) text = tagPlaylist(text, ctx);
    const body = Buffer.from(text);
    if (res.destroyed) return true;
    res.writeHead(200, { 'Content-Type': M3U8_TYPE, 'Cache-Control': 'no-cache', 'Content-Length': body.length });
    res.end(body);
    if (session) sessions.addBytes(session, body.length);
    else sessions.offer(viewer, body.length);
    return true;
  };
  return Object.assign(handler, { sessions });
}

/** request_limits as the HLS sessions use them. */
export function hlsLimits(config: Config): HlsLimits {
  const l = config.global.request_limits;
  return {
    maxViewers: l.max_hls_viewers,
    maxViewersPerIp: l.max_hls_viewers_per_ip,
    maxPending: l.max_hls_pending,
    maxPendingPerIp: l.max_hls_pending_per_ip,
    pendingMs: l.hls_pending_timeout * 1000,
  };
}

/** The hls_ctx parameter of a raw query: undefined when absent. */
function ctxOf(query: string): string | undefined {
  if (!query.includes(HLS_CTX)) return undefined;
  for (const p of query.replace(/^\?/, '').split('&')) {
    if (p === HLS_CTX) return '';
    if (p.startsWith(`${HLS_CTX}=`)) {
      try {
        return decodeURIComponent(p.slice(HLS_CTX.length + 1));
      } catch {
        return '\0';
      }
    }
  }
  return undefined;
}

function answer(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): true {
  if (res.headersSent || res.destroyed) return true;
  const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra };
  if (type === M3U8_TYPE) headers['Cache-Control'] = 'no-cache';
  res.writeHead(status, headers);
  res.end(body);
  return true;
}
