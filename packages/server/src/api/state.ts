/**
 * The API's view of the live model, SRS's "statistic": stable vhost ids, which streams are
 * listed, server/vhost byte totals and kbps. Fed by bus events and a 1 s ticker; requests
 * only read it.
 */
import type { Client as ClientWire, Stream as StreamWire, Vhost as VhostWire } from '@tsrs/api-types';
import type { Client } from '../app/client.js';
import type { Hub } from '../app/hub.js';
import { newObjectId } from '../app/ids.js';
import { KbpsSampler } from '../app/kbps.js';
import type { Source } from '../app/source.js';
import { DEFAULT_VHOST, type Config } from '../config/index.js';

interface Totals {
  recv: number;
  send: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export class ApiState {
  private readonly vhostIds = new Map<string, string>();
  /** streams SRS's stats list: published, or played before any publisher */
  private readonly listed = new Set<Source>();
  /** bytes of clients that are gone, per vhost */
  private readonly closedBytes = new Map<string, Totals>();
  private readonly vhostKbps = new Map<string, KbpsSampler>();
  readonly serverKbps = new KbpsSampler();
  /** clients ever seen, and the ones that ended in an error (srs_clients_total / _errs_total) */
  clientsTotal = 0;
  clientsErrors = 0;
  private readonly seen = new Set<string>();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly hub: Hub,
    private readonly config: () => Config,
  ) {
    const bus = hub.bus;
    bus.on('stream:publish', (s, c) => this.listStream(s, c));
    bus.on('stream:play', (s, c) => this.listStream(s, c));
    // SRS forgets a stream when its publisher leaves, even while players stay.
    bus.on('stream:unpublish', (s) => this.listed.delete(s));
    bus.on('stream:stop', (s) => {
      if (s.clientCount === 0) this.listed.delete(s);
    });
    bus.on('client:close', (c) => {
      const t = this.closedBytes.get(c.vhost) ?? { recv: 0, send: 0 };
      t.recv += c.transport.bytesRead();
      t.send += c.transport.bytesWritten();
      this.closedBytes.set(c.vhost, t);
      if (c.endReason === 'error') this.clientsErrors++;
      this.seen.delete(c.id);
    });
    this.ticker = setInterval(() => this.sample(), 1000).unref();
    for (const name of config().vhostNames()) this.vhostId(name);
  }

  close(): void {
    clearInterval(this.ticker);
  }

  private listStream(s: Source, c: Client): void {
    this.listed.add(s);
    if (!this.seen.has(c.id)) {
      this.seen.add(c.id);
      this.clientsTotal++;
    }
  }

  /** A vhost's id, stable for this run ("vid-" + 7 chars, as SRS). */
  vhostId(name: string): string {
    let id = this.vhostIds.get(name);
    if (!id) {
      id = newObjectId();
      this.vhostIds.set(name, id);
    }
    return id;
  }

  private sample(): void {
    const now = Date.now();
    const total = { recv: 0, send: 0 };
    for (const name of new Set([...this.config().vhostNames(), ...this.closedBytes.keys()])) {
      const t = this.vhostBytes(name);
      total.recv += t.recv;
      total.send += t.send;
      let k = this.vhostKbps.get(name);
      if (!k) this.vhostKbps.set(name, (k = new KbpsSampler()));
      k.sample(t.recv, t.send, now);
    }
    this.serverKbps.sample(total.recv, total.send, now);
  }

  private vhostBytes(name: string): Totals {
    const t = { ...(this.closedBytes.get(name) ?? { recv: 0, send: 0 }) };
    for (const c of this.hub.clients.values()) {
      if (c.vhost !== name) continue;
      t.recv += c.transport.bytesRead();
      t.send += c.transport.bytesWritten();
    }
    return t;
  }

  /** Bytes moved by every client of the server, live and gone. */
  serverBytes(): Totals {
    const t = { recv: 0, send: 0 };
    for (const v of this.closedBytes.values()) {
      t.recv += v.recv;
      t.send += v.send;
    }
    for (const c of this.hub.clients.values()) {
      t.recv += c.transport.bytesRead();
      t.send += c.transport.bytesWritten();
    }
    return t;
  }

  /** Listed streams in id order (SRS iterates a map keyed by id). */
  streams(): Source[] {
    return [...this.listed].filter((s) => this.hub.sources.get(s.key) === s).sort((a, b) => cmp(a.id, b.id));
  }

  /** Clients publishing or playing now (admitted, attached by the hub), in id order. */
  clients(): Client[] {
    return [...this.hub.clients.values()].filter((c) => c.role !== undefined && !c.closed).sort((a, b) => cmp(a.id, b.id));
  }

  // -------------------------------------------------------------------------------------------
  // Wire objects (field order as SRS 6)

  vhostView(name: string): VhostWire {
    const v = this.config().getVhost(name);
    const bytes = this.vhostBytes(name);
    const k = this.vhostKbps.get(name)?.kbps() ?? { recv: 0, send: 0 };
    const hlsEnabled = v?.hls.enabled ?? false;
    return {
      id: this.vhostId(name),
      name,
      enabled: v?.enabled ?? true,
      clients: this.clients().filter((c) => c.vhost === name).length,
      streams: this.streams().filter((s) => s.vhost === name).length,
      send_bytes: bytes.send,
      recv_bytes: bytes.recv,
      kbps: { recv_30s: k.recv, send_30s: k.send },
      hls: hlsEnabled ? { enabled: true, fragment: round2(v!.hls.hls_fragment) } : { enabled: false },
    };
  }

  vhosts(): string[] {
    const names = this.config().vhostNames();
    return names.length ? names : [DEFAULT_VHOST];
  }

  streamView(s: Source): StreamWire {
    const k = s.kbps.kbps();
    return {
      id: s.id,
      name: s.stream,
      vhost: this.vhostId(s.vhost),
      app: s.app,
      tcUrl: s.tcUrl,
      url: s.url,
      live_ms: Date.now(),
      clients: s.clientCount,
      frames: s.frames,
      send_bytes: s.playerBytesSent(),
      recv_bytes: s.recvBytes,
      kbps: { recv_30s: k.recv, send_30s: k.send },
      publish: s.publisher ? { active: true, cid: s.publisher.id } : { active: false },
      video: s.video ? { ...s.video } : null,
      audio: s.audio ? { ...s.audio } : null,
    };
  }

  clientView(c: Client): ClientWire {
    const k = c.kbps.kbps();
    return {
      id: c.id,
      vhost: this.vhostId(c.vhost),
      stream: c.source?.id ?? '',
      ip: c.ip,
      pageUrl: c.pageUrl,
      swfUrl: c.swfUrl,
      tcUrl: c.tcUrl,
      url: c.streamUrl,
      name: c.stream,
      type: c.type,
      publish: c.publish,
      alive: round2(c.aliveSeconds),
      send_bytes: c.transport.bytesWritten(),
      recv_bytes: c.transport.bytesRead(),
      kbps: { recv_30s: k.recv, send_30s: k.send },
    };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
