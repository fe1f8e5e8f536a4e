import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Client, type ClientType } from '../app/client.js';
import type { ConsumerSink } from '../app/consumer.js';
import type { PlayerHandle } from '../app/handles.js';
import { remuxEncoder, type FlvTracks, type RemuxEncoder } from '../app/http-remux.js';
import { AdmissionError, type Hub } from '../app/hub.js';
import { streamNamesProblem } from '../app/safe-name.js';
import type { Source } from '../app/source.js';
import { DEFAULT_VHOST, type Config, type VhostView } from '../config/index.js';
import type { Packet } from '../kernel/packet.js';
import type { Logger } from '../log.js';
import { compileMount, type MountMatch, type StreamMount } from './stream-mount.js';
import { peerIp } from '../listeners/tcp.js';
import { stat } from 'node:fs/promises';
import { staticRoots } from './roots.js';
import { decodePathSegments, joinInside } from './safe-path.js';

/**
 * Whether `pathname` names an existing file under the server's file roots (http_server.dir and
 * the hls_paths). A `.ts` live mount yields to it: an HLS segment `live/s-0.ts` written by any
 * vhost is served as the file, never taken for a live stream named `s-0` that would never come.
 */
async function isExistingFile(config: Config, pathname: string): Promise<boolean> {
  const segments = decodePathSegments(pathname);
  if (!segments) return false;
  for (const root of staticRoots(config)) {
    const file = joinInside(root, segments);
    if (!file) continue;
    try {
      if ((await stat(file)).isFile()) return true;
    } catch {
      // not there
    }
  }
  return false;
}

const CLIENT_TYPES: Record<MountMatch['format'], ClientType> = {
  flv: 'flv-play',
  ts: 'ts-play',
  aac: 'aac-play',
  mp3: 'mp3-play',
};

/** What a HEAD answers (the encoders say the same for GET). */
const CONTENT_TYPES: Record<MountMatch['format'], string> = {
  flv: 'video/x-flv',
  ts: 'video/mp2t',
  aac: 'audio/aac',
  mp3: 'audio/mpeg',
};

export interface StreamRoutesOptions {
  hub: Hub;
  config: () => Config;
  log: Logger;
}

/** Where a player's body bytes go: its socket, or the response while it has none. */
interface BodyOut {
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
  write(bytes: Uint8Array): boolean;
  on(event: 'drain', listener: () => void): unknown;
}

interface Route extends MountMatch {
  vhost: string;
  view: VhostView;
}

/**
 * Live streams over HTTP from each vhost's `http_remux` mount: HTTP-FLV, HTTP-TS,
 * AAC (ADTS) and MP3. A player is a hub Client with a Consumer, exactly like an
 * RTMP player: it starts with metadata, sequence headers and the GOP, then live
 * packets, through a bounded queue; a slow socket only stalls its own consumer.
 * As SRS does, a player of a stream nobody publishes yet waits for the publisher.
 */
export function streamRoutesHandler(opts: StreamRoutesOptions) {
  const mounts = new Map<string, StreamMount | undefined>();
  const mountOf = (template: string) => {
    if (!mounts.has(template)) mounts.set(template, compileMount(template));
    return mounts.get(template);
  };

  const route = (req: IncomingMessage): Route | undefined => {
    // The path as sent: a URL parser would fold `.%2e` segments away and make
    // `/x/%2e%2e/live/s.flv` another name for `/live/s.flv`; such names get refused instead.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q >= 0 ? raw.slice(0, q) : raw;
    const search = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    if (!/\.(flv|ts|aac|mp3)$/i.test(pathname)) return undefined;
    const config = opts.config();
    const isVhost = (name: string) => name !== DEFAULT_VHOST && config.root.find('vhost', name) !== undefined;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    for (const name of config.vhostNames()) {
      const view = config.getVhost(name);
      if (!view || !view.enabled || !view.http_remux.enabled) continue;
      const m = mountOf(view.http_remux.mount)?.match(pathname, isVhost);
      if (!m) continue;
      // vhost: from the path, else ?vhost=, else the Host header, else the default vhost
      const wanted = m.vhost ?? search.get('vhost') ?? host;
      const vhost = isVhost(wanted) ? wanted : DEFAULT_VHOST;
      const landed = config.getVhost(vhost);
      if (!landed || landed.name !== view.name) continue;
      return { ...m, vhost, view };
    }
    return undefined;
  };

  const refuse = (res: ServerResponse, status: 401 | 403 | 503): true => {
    if (!res.headersSent && !res.destroyed) {
      const body = STATUS_CODES[status] ?? 'Forbidden';
      // a refused player's socket is not kept for more requests
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
    }
    return true;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const r = route(req);
    if (!r) return false;
    if (r.format === 'ts' && (await isExistingFile(opts.config(), (req.url ?? '/').split('?')[0]))) return false;
    // the same names an RTMP publish may use: nothing that leaves a directory or aliases a stream
    const bad = streamNamesProblem(r);
    if (bad) {
      opts.log.warn({ ip: peerIp(req.socket), app: r.app, stream: r.stream, reason: bad }, 'http play refused: bad name');
      const body = `Bad Request: ${bad}`;
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    const q = (req.url ?? '').indexOf('?');
    const client = new Client({
      ip: peerIp(req.socket),
      type: CLIENT_TYPES[r.format],
      vhost: r.vhost,
      app: r.app,
      stream: r.stream,
      param: q >= 0 ? (req.url ?? '').slice(q) : '',
      tcUrl: `http://${req.headers.host ?? '127.0.0.1'}/${r.app}`,
      pageUrl: String(req.headers.referer ?? ''),
      transport: {
        close: () => res.destroy(),
        bytesRead: () => req.socket.bytesRead,
        bytesWritten: () => req.socket.bytesWritten,
      },
    });
    const log = opts.log.child({ cid: client.id });
    const refused = (err: unknown): true => {
      const reason = err instanceof AdmissionError ? err.message : String(err);
      log.warn({ ip: client.ip, url: client.streamUrl, reason }, `${client.type} refused`);
      return refuse(res, err instanceof AdmissionError ? err.httpStatus : 403);
    };
    // a player that hangs up while its hooks decide: the hook calls stop (bounded by open sockets)
    const gone = () => client.leave();
    const deciding = async <T>(admission: () => Promise<T>): Promise<T> => {
      req.socket.once('close', gone);
      try {
        return await admission();
      } finally {
        req.socket.off('close', gone);
      }
    };
    if (req.method === 'HEAD') {
      // a probe: admitted like a player (its answer says whether a GET would be), never listed
      try {
        await deciding(() => opts.hub.admit('play', client));
      } catch (err) {
        return refused(err);
      }
      if (res.destroyed || req.socket.destroyed) return true;
      res.removeHeader('Transfer-Encoding');
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[r.format], 'Cache-Control': 'no-cache', Connection: 'close' });
      res.end();
      return true;
    }
    let encoder: RemuxEncoder | undefined;
    const out: { bytes: BodyOut | undefined } = { bytes: undefined };
    const sink: ConsumerSink = {
      outputName: `http-${r.format}`,
      write(packets: readonly Packet[]): boolean {
        const o = out.bytes;
        if (!o || !encoder || o.destroyed) return true;
        o.cork();
        let ok = true;
        for (let i = 0; i < packets.length; i++) {
          const bytes = encoder.encode(packets[i]);
          if (bytes) ok = o.write(bytes);
        }
        o.uncork();
        return ok;
      },
    };
    // Nothing is registered or created before the player is admitted: a refused request
    // leaves no client, no history row and no source behind. A stream nobody publishes is
    // refused before the hooks once too many players wait for publishers.
    let player: PlayerHandle;
    try {
      player = await deciding(() => opts.hub.openPlayer(client, sink, { gone: () => res.destroyed || req.socket.destroyed }));
    } catch (err) {
      if (res.destroyed || req.socket.destroyed) return true;
      return refused(err);
    }
    const consumer = player.consumer!;
    const source = consumer.source;
    encoder = remuxEncoder(r.format, source, guessTracks(source, r.view));
    // The body is close-delimited, not chunked: a live stream never ends, so keep-alive buys
    // nothing, while chunked framing costs every packet a size line and a CRLF (three more
    // socket writes per tag inside Node's OutgoingMessage). Removing Transfer-Encoding with no
    // Content-Length is Node's supported way to get a body that runs until the socket closes
    // (`_http_outgoing.js` sets `_last`), and `Connection: close` says so to the player.
    res.removeHeader('Transfer-Encoding');
    res.writeHead(200, { 'Content-Type': encoder.contentType, 'Cache-Control': 'no-cache', Connection: 'close' });
    // The status line, headers and the format's head go out through the response; the packets
    // then go straight to the socket (the body is close-delimited, nothing to frame), the
    // shared per-packet buffers corked into one writev per flush, as the RTMP sink does.
    // A response still queued behind a pipelined one has no socket yet: it keeps writing
    // through the response, which holds its bytes until its turn. The consumer's first flush
    // comes on the next turn (setImmediate), after these bytes.
    const head = encoder.head();
    if (head) res.write(head);
    else res.flushHeaders();
    out.bytes = res.socket ?? res;
    out.bytes.on('drain', () => consumer.onDrain());
    res.once('close', () => {
      player.close();
      encoder?.release();
      log.info({ url: client.streamUrl, sent: req.socket.bytesWritten, dropped: consumer.dropped }, `${client.type} closed`);
    });
    req.socket.on('error', () => res.destroy());
    log.info({ ip: client.ip, url: client.streamUrl, param: client.param, waiting: !source.active }, `${client.type} start`);
    return true;
  };
}

/** SRS's guess_has_av: the FLV header's track flags from what the stream carries, else the config. */
function guessTracks(source: Source | undefined, v: VhostView): FlvTracks {
  const c = v.http_remux;
  if (!c.guess_has_av || !source?.active) return { hasAudio: c.has_audio, hasVideo: c.has_video };
  const hasVideo = source.videoHeader !== undefined;
  const hasAudio = source.audioHeader !== undefined || source.audio !== null;
  if (!hasVideo && !hasAudio) return { hasAudio: c.has_audio, hasVideo: c.has_video };
  return { hasAudio, hasVideo };
}
