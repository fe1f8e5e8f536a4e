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
 *   `{"code":0,"data":{"urls":["rtmp://..."]}}` (at most MAX_URLS); `destination` is ignored
 *   then. A failed call or a refusal (code != 0) forwards nothing; the publisher goes on (SRS
 *   refuses the publish instead).
 *
 * A destination that is this server's own RTMP port and the same vhost/app/stream would be a
 * loop (SRS: "forward loop detected"): skipped, with a warning. Stops with the unpublish; a
 * reload applies the vhost's new forward block to running streams (destinations removed stop,
 * new ones start, unchanged ones go on; a backend is asked again).
 */
import { networkInterfaces } from 'node:os';
import { DEFAULT_VHOST, type Config, type ForwardView } from '../config/index.js';
import type { Logger } from '../log.js';
import { parseClientUrl } from '../protocol/rtmp/client-session.js';
import type { Client } from './client.js';
import type { EventBus } from './events.js';
import { substituteVars } from './exec.js';
import { HOOK_TIMEOUT_MS, readCapped } from './hooks.js';
import type { Hub } from './hub.js';
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

export class ForwardManager {
  private readonly streams = new Map<Source, Forwarding>();

  constructor(private readonly d: ForwardDeps) {}

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
    const wanted = view.enabled ? await this.destinations(source, f.publisher, view) : [];
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
        onStop: (p) => {
          if (f.pushes.get(url) === p) f.pushes.delete(url);
        },
      });
      f.pushes.set(url, push);
      push.start();
    }
  }

  /** The RTMP URLs a stream goes to: the backend's answer, else the destinations. */
  private async destinations(source: Source, publisher: Client, view: ForwardView): Promise<string[]> {
    if (view.backend) return this.askBackend(view.backend, source, publisher);
    const urls: string[] = [];
    for (const dest of view.destination) {
      const url = destinationUrl(dest, publisher);
      if (url && isRtmpUrl(url)) urls.push(url);
      else this.d.log.warn({ url: source.url }, `forward ${source.url}: destination '${dest}' is not host[:port] or an rtmp:// URL: ignored`);
    }
    return urls;
  }

  private async askBackend(backend: string, source: Source, c: Client): Promise<string[]> {
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
    const fail = (reason: string): string[] => {
      this.d.log.warn({ url: source.url, backend, reason }, `forward ${source.url}: backend ${backend} failed (${reason}): not forwarded`);
      return [];
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
    if (urls.length !== list.length) this.d.log.warn({ url: source.url, backend }, `forward ${source.url}: backend gave URLs that are not rtmp://host/app/stream: ignored`);
    this.d.log.info({ url: source.url, backend, urls }, `forward ${source.url}: backend answered ${urls.length} destination(s)`);
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
