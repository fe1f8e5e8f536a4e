import type { Client } from './client.js';
import type { Consumer, ConsumerSink } from './consumer.js';
import { EventBus } from './events.js';
import { PlayerHandle, PublisherHandle, type OpenOptions } from './handles.js';
import { Source, sourceKey, type SourceOptions, type SourceOutput } from './source.js';

/** Creates the outputs (HLS, DVR, ...) a vhost's config asks for on a newly created Source. */
export type OutputFactory = (source: Source) => SourceOutput | undefined;

/** Decides whether a connection may connect/publish/play (security, hooks). */
export interface Admission {
  connect?(client: Client): Promise<void>;
  publish?(client: Client): Promise<void>;
  play?(client: Client): Promise<void>;
}

export class AdmissionError extends Error {
  constructor(
    message: string,
    /** SRS error code family, for logs and API answers */
    readonly code = 403,
    /** the status an HTTP player gets: 403 (security), 401 (a hook refused, as SRS 8), 503 (a bound) */
    readonly httpStatus: 401 | 403 | 503 = 403,
  ) {
    super(message);
  }
}

/** How long a Source that had a publisher stays around with nobody on it (players may come back). */
const IDLE_SOURCE_MS = 60_000;
/**
 * How long a Source that never had a publisher is kept with nobody on it: sources made only
 * to name a stream in a hook (stream_id) go at the next sweep after this.
 */
const UNUSED_SOURCE_MS = 5_000;
const SWEEP_MS = 5_000;

/** Bounds on players waiting for a stream nobody publishes (request_limits, play.waiting_timeout). */
export interface HubLimits {
  maxWaiting: number;
  maxWaitingPerIp: number;
  /** ms a player of a stream without a publisher waits before it is closed; 0 = forever */
  waitingTimeoutMs(vhost: string): number;
}

export const NO_LIMITS: HubLimits = {
  maxWaiting: Number.POSITIVE_INFINITY,
  maxWaitingPerIp: Number.POSITIVE_INFINITY,
  waitingTimeoutMs: () => 0,
};

/** A refusal because a bound is reached (HTTP answers 503, not 403). */
export class LimitError extends AdmissionError {
  constructor(message: string) {
    super(message, 503, 503);
  }
}

/** A publish refused because the stream already has a publisher (RTMP answers BadName, HTTP 409). */
export class BusyError extends AdmissionError {
  constructor(url: string) {
    super(`stream ${url} is busy`, 409);
  }
}

interface Waiting {
  ip: string;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The live model: all sources (vhost/app/stream) and all connected clients.
 * Protocol adapters call in; observers listen on `bus`.
 *
 * The hub is the one place that attaches clients to sources and detaches them: a client is
 * listed (`role`) and counted by its source exactly while it publishes or plays there, and
 * `removeClient` detaches whatever a closing connection still holds, so the API's client
 * list and the streams' client counts cannot drift apart.
 */
export class Hub {
  readonly bus = new EventBus();
  readonly sources = new Map<string, Source>();
  readonly clients = new Map<string, Client>();
  readonly outputFactories: OutputFactory[] = [];
  readonly admissions: Admission[] = [];
  /** each playing client's consumer */
  private readonly consumerOf = new Map<Client, Consumer>();
  /** players of streams without a publisher, with their timeout */
  private readonly waiting = new Map<Consumer, Waiting>();
  private readonly waitingByIp = new Map<string, number>();
  private sweeper: NodeJS.Timeout;
  private ticker: NodeJS.Timeout;

  constructor(
    private readonly optionsFor: (vhost: string) => SourceOptions,
    private readonly limits: () => HubLimits = () => NO_LIMITS,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
    this.ticker = setInterval(() => this.sample(), 1000).unref();
  }

  /** Register a new connection (after its protocol handshake). */
  addClient(client: Client): void {
    this.clients.set(client.id, client);
  }

  /**
   * A connection's connect stage: registered (listed by its protocol's own bookkeeping from
   * now on), `client:connect`, then the connect admissions (on_connect). Throws
   * AdmissionError when refused; the client stays registered until its connection closes.
   */
  async connect(client: Client): Promise<void> {
    this.addClient(client);
    this.bus.emit('client:connect', client);
    await this.admit('connect', client);
  }

  /**
   * Admit `client` as its stream's publisher and make it so. Refused (thrown) with BusyError
   * when the stream has a publisher (checked before the hooks and again after), AdmissionError
   * when security or a hook says no or the connection went (`opts.gone`). A client that is not
   * registered yet is registered once admitted (or at connect, with `opts.connect`) and then
   * belongs to the handle: its close() removes it. Nothing is left behind by a refusal.
   */
  async openPublisher(client: Client, opts: OpenOptions = {}): Promise<PublisherHandle> {
    const owns = this.clients.get(client.id) !== client;
    try {
      if (owns && opts.connect) await this.connect(client);
      this.checkOpen(client, opts);
      if (this.findSource(client.vhost, client.app, client.stream)?.publisher) throw new BusyError(client.streamUrl);
      if (!opts.admitted) await this.admit('publish', client);
      this.register(client, opts);
      const source = this.publish(client);
      if (!source) throw new BusyError(client.streamUrl);
      return new PublisherHandle(this, client, source, owns);
    } catch (err) {
      if (owns && this.clients.get(client.id) === client) this.removeClient(client);
      throw err;
    }
  }

  /**
   * Admit `client` as a player of its stream and start it: with `sink`, a Consumer that gets
   * the stream's start packets then live ones (LimitError before the hooks, and again at the
   * start, when the stream has no publisher and too many players wait); without, a viewer
   * served from files (HLS), counted by the stream. Refusals as openPublisher.
   */
  async openPlayer(client: Client, sink: ConsumerSink | undefined, opts: OpenOptions = {}): Promise<PlayerHandle> {
    const owns = this.clients.get(client.id) !== client;
    try {
      if (owns && opts.connect) await this.connect(client);
      this.checkOpen(client, opts);
      if (sink) this.checkWaiting(client.ip, client.vhost, client.app, client.stream);
      await this.admit('play', client);
      this.register(client, opts);
      if (!sink) return new PlayerHandle(this, client, this.view(client), undefined, owns);
      const consumer = this.play(client, sink);
      return new PlayerHandle(this, client, consumer.source, consumer, owns);
    } catch (err) {
      if (owns && this.clients.get(client.id) === client) this.removeClient(client);
      throw err;
    }
  }

  private checkOpen(client: Client, opts: OpenOptions): void {
    if (client.closed || opts.gone?.()) throw new AdmissionError(`client ${client.id} is gone`);
  }

  /** After admission: the connection may have gone, or its id been taken, while the hooks ran. */
  private register(client: Client, opts: OpenOptions): void {
    this.checkOpen(client, opts);
    const other = this.clients.get(client.id);
    if (other && other !== client) throw new AdmissionError(`client id ${client.id} is another client's`);
    if (!other) this.addClient(client);
  }

  /** Every admission in order; a refusal drops the source a hook made just to name the stream. */
  async admit(stage: keyof Admission, client: Client): Promise<void> {
    try {
      for (const a of this.admissions) await a[stage]?.(client);
    } catch (err) {
      this.releaseIfUnused(this.findSource(client.vhost, client.app, client.stream));
      throw err;
    }
  }

  source(vhost: string, app: string, stream: string): Source {
    const key = sourceKey(vhost, app, stream);
    let s = this.sources.get(key);
    if (!s) {
      s = new Source(vhost, app, stream, this.optionsFor(vhost));
      s.onLimit = (event) => this.bus.emit('stream:limit', event);
      s.onTracks = (source) => this.bus.emit('stream:tracks', source);
      s.onOutputError = (event) => this.bus.emit('stream:output-error', event);
      this.sources.set(key, s);
      for (const make of this.outputFactories) {
        const output = make(s);
        if (output) s.addOutput(output);
      }
    }
    return s;
  }

  findSource(vhost: string, app: string, stream: string): Source | undefined {
    return this.sources.get(sourceKey(vhost, app, stream));
  }

  /** Players waiting for a publisher now: all, and from `ip`. */
  waitingPlayers(ip?: string): number {
    return ip === undefined ? this.waiting.size : (this.waitingByIp.get(ip) ?? 0);
  }

  /**
   * Whether a player from `ip` may start on this stream: always when it is published,
   * else only under the waiting bounds. Throws LimitError when not (checked before the
   * hooks run, and again when the player attaches).
   */
  checkWaiting(ip: string, vhost: string, app: string, stream: string): void {
    if (this.findSource(vhost, app, stream)?.active) return;
    const l = this.limits();
    if (this.waiting.size >= l.maxWaiting) throw new LimitError(`${this.waiting.size} players already wait for publishers (max_waiting_players)`);
    const mine = this.waitingByIp.get(ip) ?? 0;
    if (mine >= l.maxWaitingPerIp) throw new LimitError(`${mine} players from ${ip} already wait for publishers (max_waiting_players_per_ip)`);
  }

  /** Become the publisher of the client's stream; undefined when the stream is busy (or the client gone). */
  publish(client: Client): Source | undefined {
    if (client.closed) return undefined;
    const source = this.source(client.vhost, client.app, client.stream);
    if (!source.publish(client)) return undefined;
    client.role = 'publish';
    for (const c of source.consumers) this.stopWaiting(c);
    this.bus.emit('stream:publish', source, client);
    return source;
  }

  unpublish(client: Client): void {
    const source = client.source;
    if (!source || source.publisher !== client) return;
    source.unpublish();
    if (client.role === 'publish') client.role = undefined;
    // Its players wait for the next publisher, for a while.
    for (const c of source.consumers) this.startWaiting(c);
    this.bus.emit('stream:unpublish', source, client);
    // once for the stream, on behalf of a player still there
    const still = source.consumers.values().next().value?.client ?? source.viewers.values().next().value;
    if (still) this.announceDemand(source, still);
    this.releaseIfUnused(source);
  }

  /**
   * A player joins its stream with a Consumer. Throws AdmissionError when the client is
   * already gone, LimitError when the stream has no publisher and too many players wait.
   */
  play(client: Client, sink: ConsumerSink): Consumer {
    if (client.closed) throw new AdmissionError(`client ${client.id} is gone`);
    const old = this.consumerOf.get(client);
    if (old) this.stop(old);
    this.checkWaiting(client.ip, client.vhost, client.app, client.stream);
    const source = this.source(client.vhost, client.app, client.stream);
    const consumer = source.addConsumer(client, sink);
    this.consumerOf.set(client, consumer);
    client.role = 'play';
    if (!source.active) this.startWaiting(consumer);
    this.bus.emit('stream:play', source, client);
    if (!source.active) this.announceDemand(source, client);
    return consumer;
  }

  stop(consumer: Consumer): void {
    const source = consumer.source;
    if (!source.consumers.has(consumer)) return;
    this.stopWaiting(consumer);
    source.removeConsumer(consumer);
    const client = consumer.client;
    if (this.consumerOf.get(client) === consumer) {
      this.consumerOf.delete(client);
      if (client.role === 'play') client.role = undefined;
    }
    this.bus.emit('stream:stop', source, client);
    this.announceIfIdle(source);
    this.releaseIfUnused(source);
  }

  /** A player served without a Consumer (an HLS viewer) joins its stream. */
  view(client: Client): Source {
    if (client.closed) throw new AdmissionError(`client ${client.id} is gone`);
    const source = this.source(client.vhost, client.app, client.stream);
    client.source = source;
    source.viewers.add(client);
    client.role = 'play';
    this.bus.emit('stream:play', source, client);
    if (!source.active) this.announceDemand(source, client);
    return source;
  }

  /** A viewer leaves its stream. */
  unview(client: Client): void {
    const source = client.source;
    if (!source || !source.viewers.delete(client)) return;
    if (client.role === 'play') client.role = undefined;
    this.bus.emit('stream:stop', source, client);
    this.announceIfIdle(source);
    this.releaseIfUnused(source);
  }

  /**
   * A request for a stream that has no player to attach yet (an HLS playlist not written):
   * `stream:demand` without a client, when nobody publishes the stream. Creates nothing.
   */
  demand(vhost: string, app: string, stream: string, param: string): void {
    const source = this.findSource(vhost, app, stream);
    if (source?.active) return;
    this.bus.emit('stream:demand', { vhost, app, stream, param, client: undefined, players: source?.players ?? 0 });
  }

  private announceDemand(source: Source, client: Client): void {
    const { vhost, app, stream } = source;
    this.bus.emit('stream:demand', { vhost, app, stream, param: client.param, client, players: source.players });
  }

  private announceIfIdle(source: Source): void {
    if (source.players > 0) return;
    const { vhost, app, stream } = source;
    this.bus.emit('stream:idle', { vhost, app, stream, source });
  }


  /**
   * A connection ended. Whatever it still publishes or plays is let go here (adapters
   * usually did it already), then it leaves the client list.
   */
  removeClient(client: Client): void {
    if (client.closed) return;
    const consumer = this.consumerOf.get(client);
    if (consumer) this.stop(consumer);
    this.unview(client);
    this.unpublish(client);
    client.closed = true;
    client.leave();
    client.role = undefined;
    if (!client.endReason) client.endReason = 'normal';
    this.clients.delete(client.id);
    this.bus.emit('client:close', client);
  }

  private startWaiting(consumer: Consumer): void {
    if (this.waiting.has(consumer)) return;
    const ip = consumer.client.ip;
    const ms = this.limits().waitingTimeoutMs(consumer.source.vhost);
    const timer = ms > 0 ? setTimeout(() => this.waitedTooLong(consumer), ms).unref() : undefined;
    this.waiting.set(consumer, { ip, timer });
    this.waitingByIp.set(ip, (this.waitingByIp.get(ip) ?? 0) + 1);
  }

  private stopWaiting(consumer: Consumer): void {
    const w = this.waiting.get(consumer);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.waiting.delete(consumer);
    const n = (this.waitingByIp.get(w.ip) ?? 1) - 1;
    if (n > 0) this.waitingByIp.set(w.ip, n);
    else this.waitingByIp.delete(w.ip);
  }

  /** play.waiting_timeout: the player's connection is closed; its adapter then stops it. */
  private waitedTooLong(consumer: Consumer): void {
    const w = this.waiting.get(consumer);
    if (!w) return;
    w.timer = undefined;
    consumer.client.transport.close('no publisher (play.waiting_timeout)');
  }

  /** A source that never had a publisher and has nobody on it goes at once. */
  private releaseIfUnused(source: Source | undefined): void {
    if (!source || source.publishedAt !== 0 || !this.unused(source)) return;
    if (this.sources.get(source.key) !== source) return;
    this.sources.delete(source.key);
    source.close();
  }

  private unused(s: Source): boolean {
    return !s.publisher && s.consumers.size === 0 && s.viewers.size === 0;
  }

  private sample(): void {
    const now = Date.now();
    for (const c of this.clients.values()) c.sample(now);
    for (const s of this.sources.values()) {
      s.kbps.sample(s.recvBytes, s.playerBytesSent(), now);
    }
  }

  /** Forget sources nobody publishes or plays for a while. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, s] of this.sources) {
      if (!this.unused(s)) continue;
      if (now - s.lastActiveAt < (s.publishedAt === 0 ? UNUSED_SOURCE_MS : IDLE_SOURCE_MS)) continue;
      s.close();
      this.sources.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.ticker);
    for (const w of this.waiting.values()) if (w.timer) clearTimeout(w.timer);
    for (const s of this.sources.values()) s.close();
  }
}
