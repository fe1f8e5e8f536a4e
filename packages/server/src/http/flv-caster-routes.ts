/**
 * SRS's flv stream caster (`stream_caster { caster flv; output rtmp://127.0.0.1/[app]/[stream]; }`):
 * an HTTP POST (or PUT, as `curl -T` sends) of an FLV body to `/app/stream.flv` publishes it.
 * `[app]` is the path before the last level, `[stream]` the last level without `.flv`; the
 * output URL filled with them names the stream (and its vhost with `?vhost=`). tsrs publishes
 * the body's tags straight into that stream through a publisher handle: the connect and
 * publish hooks and security run as for an RTMP publisher, the publisher is listed
 * (`fmle-publish`, as SRS's casters publish over RTMP), recorded and kickable, and the stream
 * ends when the body ends (answer 200) or the connection goes.
 *
 * Answers: 400 bad path or names, 401 a hook refused (as SRS 8 answers players), 403 security or
 * vhost disabled, 404 unknown vhost or not a `.flv` path, 405 another method, 409 the stream has
 * a publisher, 503 a bound is reached (the caster already runs stream_caster.max_publishers
 * POSTs, tsrs, default 100; or an admission bound); 400 and a closed connection for a corrupt body.
 * Bounds: the first tag within the vhost's `publish.firstpkt_timeout`, then at most
 * `publish.normal_timeout` between bytes; a tag body at most 8 MiB; the request head as any
 * HTTP request (handshake_timeout, 16 KiB); the socket counts against max_connections.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Client } from '../app/client.js';
import { casterStream } from '../app/casters/output-url.js';
import type { PublisherHandle } from '../app/handles.js';
import { AdmissionError, BusyError, type Hub } from '../app/hub.js';
import { Episode } from '../app/resource-errors.js';
import { resolveVhost } from '../app/resolve-vhost.js';
import { nameProblem, streamNamesProblem } from '../app/safe-name.js';
import type { Config } from '../config/index.js';
import { peerIp } from '../listeners/tcp.js';
import type { Logger } from '../log.js';
import { FlvToSource } from '../protocol/flv/to-source.js';

export interface FlvCasterOptions {
  hub: Hub;
  config: () => Config;
  log: Logger;
  /** the caster's `output` template, read at each request */
  output: () => string;
  /** stream_caster.max_publishers: POST publishers (admitting or publishing) at once; default 100 */
  maxPublishers?: number;
}

/** Requests the caster reads a live body from (its listener leaves their body unbounded). */
export function isCasterPublish(req: IncomingMessage): boolean {
  return req.method === 'POST' || req.method === 'PUT';
}

/** `/a/b/s.flv?q` -> app `a/b`, stream `s`, query `?q`; undefined for other paths. */
export function casterPath(url: string): { app: string; stream: string; query: string } | undefined {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const m = /^\/(.+)\/([^/]+)\.flv$/i.exec(path);
  if (!m) return undefined;
  try {
    return { app: decodeURIComponent(m[1]), stream: decodeURIComponent(m[2]), query: q >= 0 ? url.slice(q) : '' };
  } catch {
    return undefined;
  }
}

/** Two raw queries ('' or '?...') as one. */
function joinQueries(a: string, b: string): string {
  const parts = [a, b].map((x) => x.replace(/^\?/, '')).filter((x) => x !== '');
  return parts.length ? `?${parts.join('&')}` : '';
}

function answer(res: ServerResponse, status: number, text: string): true {
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
    res.end(text);
  }
  return true;
}

export function flvCasterHandler(opts: FlvCasterOptions) {
  const maxPublishers = opts.maxPublishers ?? 100;
  /** POSTs admitting or publishing now */
  let publishers = 0;
  // refusals at the cap: one warning when an episode starts, one line when it is over
  const full = new Episode(opts.log, 'flv caster: publish refused, the caster is full (stream_caster.max_publishers)');
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const where = casterPath(req.url ?? '/');
    if (!where) return answer(res, 404, 'Not Found');
    if (!isCasterPublish(req)) return answer(res, 405, 'Method Not Allowed: POST an FLV body');
    const ip = peerIp(req.socket);
    if (publishers >= maxPublishers) {
      full.hit({ ip, url: req.url, max_publishers: maxPublishers });
      return answer(res, 503, `Service Unavailable: the flv caster already has ${maxPublishers} publishers (stream_caster.max_publishers)`);
    }
    publishers++;
    let counted = true;
    const release = () => {
      if (counted) publishers--;
      counted = false;
    };
    req.socket.once('close', release);
    try {
      return await publish(req, res, where, ip, release);
    } catch (err) {
      release();
      throw err;
    }
  };

  async function publish(req: IncomingMessage, res: ServerResponse, where: NonNullable<ReturnType<typeof casterPath>>, ip: string, release: () => void): Promise<boolean> {
    const refuse = (status: number, text: string) => {
      release();
      return answer(res, status, text);
    };
    const config = opts.config();
    // the path's names as sent (a decoded '/' must not move a level into the app), then the stream they name
    const names = casterStream(opts.output(), where);
    const vhost = names && resolveVhost(config, names.vhost);
    const bad =
      streamNamesProblem(where) ??
      (!names ? 'the caster output names no app/stream' : (nameProblem('vhost', names.vhost) ?? streamNamesProblem(names)));
    if (bad || !names) {
      opts.log.warn({ ip, url: req.url, reason: bad }, 'flv caster: publish refused, bad name');
      return refuse(400, `Bad Request: ${bad}`);
    }
    if (!vhost) return refuse(404, `vhost ${names.vhost} not found`);
    const view = config.getVhost(vhost);
    if (view?.enabled === false) return refuse(403, `vhost ${vhost} is disabled`);
    const client = new Client({
      ip,
      type: 'fmle-publish',
      protocol: 'flv-post',
      vhost,
      app: names.app,
      stream: names.stream,
      param: joinQueries(names.param, where.query),
      tcUrl: names.tcUrl,
      pageUrl: String(req.headers.referer ?? ''),
      transport: {
        close: () => req.socket.destroy(),
        bytesRead: () => req.socket.bytesRead,
        bytesWritten: () => req.socket.bytesWritten,
      },
    });
    const log = opts.log.child({ cid: client.id });
    let publisher: PublisherHandle;
    // a publisher that hangs up while its hooks decide: the hook calls stop
    const gone = () => client.leave();
    req.socket.once('close', gone);
    try {
      publisher = await opts.hub.openPublisher(client, { connect: true, gone: () => req.socket.destroyed });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.warn({ ip, url: client.streamUrl, reason }, 'flv caster: publish refused');
      if (req.socket.destroyed) return release(), true;
      // busy 409; else as HTTP players are refused: 401 a hook, 403 security, 503 a bound
      const status = err instanceof BusyError ? 409 : err instanceof AdmissionError ? err.httpStatus : 500;
      return refuse(status, reason);
    } finally {
      req.socket.off('close', gone);
    }
    log.info({ ip, url: client.streamUrl, param: client.param }, 'flv caster: publish');
    const flv = new FlvToSource(publisher);
    const publish = view?.publish;
    let timer: NodeJS.Timeout | undefined;
    const end = (status: number, reason: string) => {
      clearTimeout(timer);
      release();
      // a partial tag's bytes (up to 8 MiB) go now, whoever still holds this request's closures
      flv.release();
      if (!publisher.active) return;
      publisher.close();
      log.info({ url: client.streamUrl, reason, tags: flv.tags, recv: req.socket.bytesRead }, 'flv caster: unpublish');
      answer(res, status, reason);
      // a body still coming is not read any more
      if (!req.complete) req.socket.destroySoon();
    };
    const timeout = () => {
      client.endReason ??= 'error';
      end(408, 'publisher timeout');
      req.socket.destroy();
    };
    timer = setTimeout(timeout, publish?.firstpkt_timeout ?? 20_000);
    req.on('data', (chunk: Buffer) => {
      if (!publisher.active) return;
      const started = flv.tags > 0;
      try {
        flv.push(chunk);
      } catch (err) {
        client.endReason = 'error';
        log.warn({ url: client.streamUrl, err: (err as Error).message }, 'flv caster: bad FLV body');
        return end(400, `bad FLV body: ${(err as Error).message}`);
      }
      if (!started && flv.tags > 0) {
        clearTimeout(timer);
        timer = setTimeout(timeout, publish?.normal_timeout ?? 5000);
      } else if (started) timer?.refresh();
    });
    req.on('end', () => {
      try {
        flv.end();
        end(200, 'OK');
      } catch (err) {
        end(400, `bad FLV body: ${(err as Error).message}`);
      }
    });
    // gone (kicked, reset) before its body ended
    req.socket.once('close', () => end(499, 'closed'));
    req.on('error', () => end(400, 'request error'));
    return true;
  }
}
