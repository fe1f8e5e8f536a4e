/**
 * The narrow seam between the HTTP API / live feed (src/api) and the live model: `ApiQueries`
 * answers with wire objects (@tsrs/api-types) and plain figures, `ApiActions` does the few
 * things the API may do to the server. src/api never sees a Hub, Source or Client.
 *
 * `ApiModel` implements both once, as SRS's "statistic": stable vhost ids, which streams are
 * listed (published, or played before any publisher; forgotten when the publisher leaves),
 * server/vhost byte totals and 30 s kbps. Fed by bus events and a 1 s ticker; queries only read.
 */
import type { Client as ClientWire, LiveEvent, LiveEventType, Stream as StreamWire, Vhost as VhostWire } from '@tsrs/api-types';
import { DEFAULT_VHOST, type Config } from '../config/index.js';
import type { Client } from './client.js';
import type { DvrManager } from './dvr/dvr-manager.js';
import type { ServerEvents } from './events.js';
import type { Hub } from './hub.js';
import { newObjectId } from './ids.js';
import { KbpsSampler } from './kbps.js';
import type { Source } from './source.js';

/** Bytes received and sent (counters since start). */
export interface ByteTotals {
  recv: number;
  send: number;
}

/** One listed stream: its wire object and the raw counters the live feed and /metrics read. */
export interface StreamFigures {
  /** as /api/v1/streams/ shows it */
  view: StreamWire;
  /** the vhost's name (the wire object carries its id) */
  vhostName: string;
  /** stream time of the last video frame counted in `view.frames`, ms */
  lastFrameDts: number;
  /** ms of stream time between the last two keyframes while published, else 0 */
  keyframeIntervalMs: number;
  /** packets dropped by slow players */
  dropped: number;
  /** a DVR output is writing the stream */
  recording: boolean;
}

/** Counters of the whole live model, for /metrics. */
export interface ModelFigures {
  /** connections the model knows (admitted or not) */
  connections: number;
  /** sources in the model (published, played, or recently either) */
  sources: number;
  /** players waiting for a stream nobody publishes */
  waitingPlayers: number;
  /** packets dropped by slow players of every source */
  droppedPackets: number;
  /** clients ever admitted to publish or play, and those that ended in an error */
  clientsTotal: number;
  clientsErrors: number;
}

/** What the API may read. Lists are in id order (SRS iterates maps keyed by id). */
export interface ApiQueries {
  vhosts(): VhostWire[];
  vhost(id: string): VhostWire | undefined;
  streams(): StreamWire[];
  stream(id: string): StreamWire | undefined;
  /** the listed streams with their counters (sampled once a second by the live feed) */
  streamFigures(): StreamFigures[];
  /** publishers and players (admitted, attached by the hub) */
  clients(): ClientWire[];
  client(id: string): ClientWire | undefined;
  /** whether `vhost/app/stream` (names) has a publisher on this server */
  publishing(vhost: string, app: string, stream: string): boolean;
  /** bytes moved by every client, live and gone */
  serverBytes(): ByteTotals;
  /** server kbps over `windowMs` (SRS's 30 s by default) */
  serverKbps(windowMs?: number): ByteTotals;
  figures(): ModelFigures;
  /** `fn` gets the live feed's events as they happen; returns the unsubscribe function */
  onEvent(fn: (e: LiveEvent) => void): () => void;
}

/** HTTP hook counters, for /metrics (HttpHooks keeps them). */
export interface HookFigures {
  /** calls per action */
  readonly calls: ReadonlyMap<string, number>;
  /** failed or refusing calls per action */
  readonly failures: ReadonlyMap<string, number>;
  readonly failureCount: number;
  /** requests on the wire now */
  readonly inFlight: number;
  /** notifications dropped, the queue being full */
  readonly dropped: number;
}

/** DVR control as the API drives it. */
export type DvrControl = Pick<DvrManager, 'start' | 'stop' | 'active' | 'isOpen'>;

/** What the API may do. */
export interface ApiActions {
  /** closes the client's connection at once (a kicked publisher unpublishes); false: no such client */
  kickClient(id: string): boolean;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export class ApiModel implements ApiQueries, ApiActions {
  private readonly vhostIds = new Map<string, string>();
  /** streams SRS's stats list: published, or played before any publisher */
  private readonly listed = new Set<Source>();
  /** bytes of clients that are gone, per vhost */
  private readonly closedBytes = new Map<string, ByteTotals>();
  private readonly vhostKbps = new Map<string, KbpsSampler>();
  private readonly serverKbpsSampler = new KbpsSampler();
  /** clients ever seen, and the ones that ended in an error (srs_clients_total / _errs_total) */
  private clientsTotal = 0;
  private clientsErrors = 0;
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
    this.serverKbpsSampler.sample(total.recv, total.send, now);
  }

  private vhostBytes(name: string): ByteTotals {
    const t = { ...(this.closedBytes.get(name) ?? { recv: 0, send: 0 }) };
    for (const c of this.hub.clients.values()) {
      if (c.vhost !== name) continue;
      t.recv += c.transport.bytesRead();
      t.send += c.transport.bytesWritten();
    }
    return t;
  }

  /** Bytes moved by every client of the server, live and gone. */
  serverBytes(): ByteTotals {
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

  /** Listed streams in id order. */
  private listedSources(): Source[] {
    return [...this.listed].filter((s) => this.hub.sources.get(s.key) === s).sort((a, b) => cmp(a.id, b.id));
  }

  /** Clients publishing or playing now (admitted, attached by the hub), in id order. */
  private activeClients(): Client[] {
    return [...this.hub.clients.values()].filter((c) => c.role !== undefined && !c.closed).sort((a, b) => cmp(a.id, b.id));
  }

  // -------------------------------------------------------------------------------------------
  // Wire objects (field order as SRS 6)

  private vhostView(name: string): VhostWire {
    const v = this.config().getVhost(name);
    const bytes = this.vhostBytes(name);
    const k = this.vhostKbps.get(name)?.kbps() ?? { recv: 0, send: 0 };
    const hlsEnabled = v?.hls.enabled ?? false;
    return {
      id: this.vhostId(name),
      name,
      enabled: v?.enabled ?? true,
      clients: this.activeClients().filter((c) => c.vhost === name).length,
      streams: this.listedSources().filter((s) => s.vhost === name).length,
      send_bytes: bytes.send,
      recv_bytes: bytes.recv,
      kbps: { recv_30s: k.recv, send_30s: k.send },
      hls: hlsEnabled ? { enabled: true, fragment: round2(v!.hls.hls_fragment) } : { enabled: false },
    };
  }

  private vhostNames(): string[] {
    const names = this.config().vhostNames();
    return names.length ? names : [DEFAULT_VHOST];
  }

  private streamView(s: Source): StreamWire {
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
      tsrs_errors: Object.fromEntries(s.guard.errors),
      tsrs_dropped_frames: s.droppedFrames,
      ...(s.publisher?.inputStats ? { tsrs_input: s.publisher.inputStats() } : {}),
    };
  }

  private clientView(c: Client): ClientWire {
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
      ...(c.forwardState ? { forward: c.forwardState() } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // ApiQueries / ApiActions

  vhosts(): VhostWire[] {
    return this.vhostNames().map((n) => this.vhostView(n));
  }

  vhost(id: string): VhostWire | undefined {
    const name = this.vhostNames().find((n) => this.vhostId(n) === id);
    return name === undefined ? undefined : this.vhostView(name);
  }

  streams(): StreamWire[] {
    return this.listedSources().map((s) => this.streamView(s));
  }

  stream(id: string): StreamWire | undefined {
    const s = this.listedSources().find((x) => x.id === id);
    return s && this.streamView(s);
  }

  streamFigures(): StreamFigures[] {
    return this.listedSources().map((s) => ({
      view: this.streamView(s),
      vhostName: s.vhost,
      lastFrameDts: s.lastFrameDts,
      keyframeIntervalMs: s.publisher ? s.keyframeIntervalMs : 0,
      dropped: s.droppedPackets,
      recording: isRecording(s),
    }));
  }

  clients(): ClientWire[] {
    return this.activeClients().map((c) => this.clientView(c));
  }

  private liveClient(id: string): Client | undefined {
    const c = this.hub.clients.get(id);
    return c && !c.closed ? c : undefined;
  }

  client(id: string): ClientWire | undefined {
    const c = this.liveClient(id);
    return c && this.clientView(c);
  }

  publishing(vhost: string, app: string, stream: string): boolean {
    return this.hub.findSource(vhost, app, stream)?.publisher !== undefined;
  }

  serverKbps(windowMs?: number): ByteTotals {
    return this.serverKbpsSampler.kbps(windowMs);
  }

  figures(): ModelFigures {
    let droppedPackets = 0;
    for (const s of this.hub.sources.values()) droppedPackets += s.droppedPackets;
    return {
      connections: this.hub.clients.size,
      sources: this.hub.sources.size,
      waitingPlayers: this.hub.waitingPlayers(),
      droppedPackets,
      clientsTotal: this.clientsTotal,
      clientsErrors: this.clientsErrors,
    };
  }

  onEvent(fn: (e: LiveEvent) => void): () => void {
    const bus = this.hub.bus;
    const subs: [keyof ServerEvents, (...a: never[]) => void][] = [];
    const send = (type: LiveEventType, source?: Source, client?: Client) => {
      const e: LiveEvent = { type, at: Date.now() };
      if (source) e.stream = { id: source.id, vhost: this.vhostId(source.vhost), app: source.app, name: source.stream };
      if (client) e.client = { id: client.id, ip: client.ip, type: client.type };
      fn(e);
    };
    const on = <K extends keyof ServerEvents>(type: K, g: (...a: ServerEvents[K]) => void) => {
      bus.on(type, g as never);
      subs.push([type, g as never]);
    };
    on('stream:publish', (s, c) => send('stream:publish', s, c));
    on('stream:unpublish', (s, c) => send('stream:unpublish', s, c));
    on('stream:play', (s, c) => send('stream:play', s, c));
    on('stream:stop', (s, c) => send('stream:stop', s, c));
    on('client:connect', (c) => send('client:connect', undefined, c));
    on('client:close', (c) => send('client:close', c.source, c));
    on('dvr:file', (e) => send('dvr:file', e.source));
    on('hls:segment', (e) => send('hls:segment', e.source));
    return () => {
      for (const [type, g] of subs.splice(0)) bus.off(type, g as never);
    };
  }

  kickClient(id: string): boolean {
    const c = this.liveClient(id);
    if (!c) return false;
    c.kick();
    return true;
  }
}

/** Whether a DVR output is writing the stream: outputs that record expose `recording: true`. */
export function isRecording(source: Source): boolean {
  return source.outputs.some((o) => (o as { recording?: unknown }).recording === true);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
