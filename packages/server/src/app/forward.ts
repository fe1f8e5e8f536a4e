/**
 * SRS's forward: `vhost { forward { enabled on; destination 127.0.0.1:1936 host2; backend URL; } }`.
 *
 * Each published stream of the vhost is pushed (app/rtmp-push.ts) to every destination:
 * - `host[:port]` (port 1935 by default, `[v6]:port` too) publishes the same app and stream
 *   there, as SRS: `rtmp://host:port/APP/STREAM?PARAM`, with `vhost=VHOST` added to the query
 *   for a vhost other than the default one; tsrs also takes a whole `rtmp://...` URL, with
 *   [vhost] [app] [stream] [param] replaced.
 * - `backend http://...` (SRS 5): on each publish tsrs POSTs `{action:"on_forward", server_id,
 *   service_id, client_id, ip, vhost, app, tcUrl, stream, param}` and forwards to the answer's
 *   `{"code":0,"data":{"urls":["rtmp://..."]}}` (at most MAX_URLS; `[]` forwards nothing);
 *   `destination` is ignored then. The call is the last step of the publish's admission (after
 *   security and on_publish, as SRS 5 calls it from the source's on_publish): a failed call (no
 *   answer, a status other than 200/201, not JSON, code != 0, no `data.urls` array) refuses the
 *   publish, as SRS does ("get forward backend failed"). On a reload the backend is asked again
 *   for running streams; a failed call then keeps the forwarders that run (the publisher is
 *   never dropped by a reload).
 *
 * A destination that is this server's own RTMP port and the same vhost/app/stream would be a
 * loop (SRS: "forward loop detected"): skipped, with a warning. Each forwarder's connection
 * counts against max_connections (`limit`): over the cap it is refused, logged and retried. Stops with the unpublish; a
 * reload applies the vhost's new forward block to running streams (destinations removed stop,
 * new ones start, unchanged ones go on; a backend is asked again).
 */
import { networkInterfaces } from 'node:os';
import { DEFAULT_VHOST, type Config, type ForwardView } from '../config/index.js';
import type { Logger } from '../log.js';
import type { ConnectionLimit } from './connection-limit.js';
import { parseClientUrl } from '../protocol/rtmp/client-session.js';
import type { Client } from './client.js';
import type { EventBus } from './events.js';
import { substituteVars } from './exec.js';
import { ERROR_HOOK_REFUSED, HOOK_TIMEOUT_MS, readCapped } from './hooks.js';
import { AdmissionError, type Admission, type Hub } from './hub.js';
import { RtmpPush } from './rtmp-push.js';
import type { Source } from './source.js';
import type { ServerIdentity } from './stats-identity.js';

/** Destinations per stream, at most (a backend answering more is cut). */
export const MAX_URLS = 16;
const MAX_URL_LENGTH = 2048;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface ForwardDeps {
  hub: Hub;
  config: () => Config;
  identity: ServerIdentity;
  /** this server's RTMP ports (the loop guard) */
  rtmpPorts: () => number[];
  log: Logger;
  /** the server's connection count, which every forwarder's connection takes a place in */
  limit?: Pick<ConnectionLimit, 'reserve' | 'cap'>;
  /** backend call timeout, ms (default 30 s, SRS's hook timeout) */
  backendTimeoutMs?: number;
}

/** The query SRS appends to a forwarded stream: the publisher's param, plus `vhost=` unless default. */
export function forwardQuery(vhost: string, param: string): string {
  let q = param.startsWith('?') ? param.slice(1) : param;
  if (vhost && vhost !== DEFAULT_VHOST && !/(^|&)vhost=/.test(q)) q = q ? `${q}&vhost=${vhost}` : `vhost=${vhost}`;
  return q ? `?${q}` : '';
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/**
 * The RTMP URL of one `destination` for a stream; undefined when it is neither `host[:port]`
 * nor an `rtmp://` URL.
 */
export function destinationUrl(dest: string, s: { vhost: string; app: string; stream: string; param: string }): string | undefined {
  if (/^rtmp:\/\//i.test(dest)) return substituteVars(dest, { vhost: s.vhost, port: 1935, app: s.app, stream: s.stream, param: s.param });
  const m = HOST_PORT.exec(dest);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : 1935;
  if (port < 1 || port > 65535) return undefined;
  return `rtmp://${m[1]}:${port}/${s.app}/${s.stream}${forwardQuery(s.vhost, s.param)}`;
}

/** Addresses that reach this machine. */
function localHosts(): Set<string> {
  const out = new Set(['localhost', '0.0.0.0', '::', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/**
 * Whether `url` publishes back into `source` on this server: a local address, one of our RTMP
 * ports, and the same app, stream and vhost (`?vhost=`, else the host when it is a vhost of ours).
 */
export function isLoop(url: string, source: Pick<Source, 'vhost' | 'app' | 'stream'>, ports: readonly number[], config: Config): boolean {
  const u = parseClientUrl(url);
  if (!ports.includes(u.port)) return false;
  if (!u.host.startsWith('127.') && !localHosts().has(u.host)) return false;
  const q = u.stream.indexOf('?');
  const name = q < 0 ? u.stream : u.stream.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : u.stream.slice(q + 1));
  const vhost = query.get('vhost') ?? query.get('domain') ?? (config.root.find('vhost', u.host) ? u.host : DEFAULT_VHOST);
  return u.app === source.app && name === source.stream && vhost === source.vhost;
}

interface Forwarding {
  publisher: Client;
  pushes: Map<string, RtmpPush>;
  /** the forward block it runs (to see a reload's change) */
  conf: string;
  /** bumped at each apply: a slower backend answer for an older one is dropped */
  generation: number;
}

/** Why a backend call failed. */
class BackendError extends Error {}

export class ForwardManager {
  private readonly streams = new Map<Source, Forwarding>();
  /** the backend's answer for a publisher it admitted, used once by its publish */
  private readonly answers = new WeakMap<Client, string[]>();

  constructor(private readonly d: ForwardDeps) {}

  /**
   * The publish admission (goes after security and the hooks): with forward on and a `backend`,
   * asks it for the publisher's destinations; throws AdmissionError (the publish is refused)
   * when the call fails, as SRS 5.
   */
  readonly admission: Admission = {
    publish: async (client) => {
      const view = this.d.config().getVhost(client.vhost)?.forward;
      if (!view?.enabled || !view.backend) return;
      try {
        this.answers.set(client, await this.askBackend(view.backend, client.streamUrl, client));
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        this.d.log.warn({ cid: client.id, url: client.streamUrl, backend: view.backend, reason: err.message }, `forward ${client.streamUrl}: backend ${view.backend} failed (${err.message}): publish refused`);
        throw new AdmissionError(`forward backend ${view.backend} failed: ${err.message}`, ERROR_HOOK_REFUSED, 401);
      }
    },
  };

  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source, client) => {
      const f: Forwarding = { publisher: client, pushes: new Map(), conf: '', generation: 0 };
      this.streams.set(source, f);
      void this.apply(source, f);
    });
    bus.on('stream:unpublish', (source) => this.stopStream(source));
  }

  /** The forwarders of a stream now. */
  pushes(source: Source): RtmpPush[] {
    return [...(this.streams.get(source)?.pushes.values() ?? [])];
  }

  /** After a reload: streams whose vhost's forward block changed follow the new one. */
  reload(): void {
    for (const [source, f] of this.streams) {
      const view = this.view(source);
      for (const p of f.pushes.values()) p.setQueue(view.queue_length * 1000, view.queue_max_bytes);
      if (JSON.stringify(view) !== f.conf) void this.apply(source, f);
    }
  }

  close(): void {
    for (const source of [...this.streams.keys()]) this.stopStream(source);
  }

  private view(source: Source): ForwardView {
    return this.d.config().getVhost(source.vhost)?.forward ?? { enabled: false, destination: [], backend: '', queue_length: 10, queue_max_bytes: 16 * 1024 * 1024 };
  }

  private stopStream(source: Source): void {
    const f = this.streams.get(source);
    if (!f) return;
    this.streams.delete(source);
    for (const p of f.pushes.values()) p.stop('unpublished');
  }

  private async apply(source: Source, f: Forwarding): Promise<void> {
    const gen = ++f.generation;
    const view = this.view(source);
    f.conf = JSON.stringify(view);
    let wanted: string[];
    try {
      wanted = view.enabled ? await this.destinations(source, f.publisher, view) : [];
    } catch (err) {
      this.d.log.warn({ url: source.url, backend: view.backend, reason: (err as Error).message }, `forward ${source.url}: backend ${view.backend} failed (${(err as Error).message}): the forwarders stay as they are`);
      return;
    }
    if (this.streams.get(source) !== f || f.generation !== gen) return; // unpublished, or applied again meanwhile
    const urls = new Set<string>();
    for (const url of wanted) {
      if (urls.size >= MAX_URLS) {
        this.d.log.warn({ url: source.url }, `forward ${source.url}: more than ${MAX_URLS} destinations, the rest ignored`);
        break;
      }
      if (isLoop(url, source, this.d.rtmpPorts(), this.d.config())) {
        this.d.log.warn({ url: source.url, to: url }, `forward ${source.url} -> ${url}: a forward loop (this server, the same stream): skipped`);
        continue;
      }
      urls.add(url);
    }
    for (const [url, p] of f.pushes) if (!urls.has(url)) p.stop('removed from the config');
    for (const url of urls) {
      if (f.pushes.has(url)) continue;
      const push = new RtmpPush({
        hub: this.d.hub,
        source,
        url,
        log: this.d.log,
        queueLengthMs: view.queue_length * 1000,
        queueMaxBytes: view.queue_max_bytes,
        limit: this.d.limit,
        onStop: (p) => {
          if (f.pushes.get(url) === p) f.pushes.delete(url);
        },
      });
      f.pushes.set(url, push);
      push.start();
    }
  }

  /**
   * The RTMP URLs a stream goes to: the backend's answer (the one its admission got, else a new
   * call: a reload, or a publisher admitted elsewhere), else the destinations. Throws
   * BackendError when the backend fails.
   */
  private async destinations(source: Source, publisher: Client, view: ForwardView): Promise<string[]> {
    if (view.backend) {
      const admitted = this.answers.get(publisher);
      this.answers.delete(publisher);
      return admitted ?? this.askBackend(view.backend, source.url, publisher);
    }
    const urls: string[] = [];
    for (const dest of view.destination) {
      const url = destinationUrl(dest, publisher);
      if (url && isRtmpUrl(url)) urls.push(url);
      else this.d.log.warn({ url: source.url }, `forward ${source.url}: destination '${dest}' is not host[:port] or an rtmp:// URL: ignored`);
    }
    return urls;
  }

  /** SRS 5's on_forward call: the answer's RTMP URLs, or BackendError. */
  private async askBackend(backend: string, url: string, c: Client): Promise<string[]> {
    const body = {
      action: 'on_forward',
      server_id: this.d.identity.serverId,
      service_id: this.d.identity.serviceId,
      client_id: c.id,
      ip: c.ip,
      vhost: c.vhost,
      app: c.app,
      tcUrl: c.tcUrl,
      stream: c.stream,
      param: c.param,
    };
    const fail = (reason: string): never => {
      throw new BackendError(reason);
    };
    let answer: unknown;
    try {
      const res = await fetch(backend, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.d.backendTimeoutMs ?? HOOK_TIMEOUT_MS),
      });
      const text = await readCapped(res, MAX_ANSWER_BYTES);
      if (res.status !== 200 && res.status !== 201) return fail(`status ${res.status}`);
      answer = JSON.parse(text);
    } catch (err) {
      return fail((err as Error).message);
    }
    const a = answer as { code?: unknown; data?: { urls?: unknown } } | null;
    if (!a || typeof a !== 'object' || a.code !== 0) return fail(`code ${String(a?.code)}`);
    const list = a.data?.urls;
    if (!Array.isArray(list)) return fail('no data.urls');
    const urls = list.filter((u): u is string => typeof u === 'string' && isRtmpUrl(u));
    if (urls.length !== list.length) this.d.log.warn({ url, backend }, `forward ${url}: backend gave URLs that are not rtmp://host/app/stream: ignored`);
    this.d.log.info({ url, backend, urls }, `forward ${url}: backend answered ${urls.length} destination(s)`);
    return urls;
  }
}

function isRtmpUrl(url: string): boolean {
  if (url.length > MAX_URL_LENGTH || /[\s\x00-\x1f\x7f]/.test(url)) return false;
  try {
    parseClientUrl(url);
    return true;
  } catch {
    return false;
  }
}
