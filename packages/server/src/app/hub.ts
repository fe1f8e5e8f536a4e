import type { Client } from './client.js';
import type { Consumer, ConsumerSink } from './consumer.js';
import { EventBus } from './events.js';
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
  ) {
    super(message);
  }
}

/** How long a Source with nobody on it stays around (players may come back). */
const IDLE_SOURCE_MS = 60_000;

/**
 * The live model: all sources (vhost/app/stream) and all connected clients.
 * Protocol adapters call in; observers listen on `bus`.
 */
export class Hub {
  readonly bus = new EventBus();
  readonly sources = new Map<string, Source>();
  readonly clients = new Map<string, Client>();
  readonly outputFactories: OutputFactory[] = [];
  readonly admissions: Admission[] = [];
  private sweeper: NodeJS.Timeout;
  private ticker: NodeJS.Timeout;

  constructor(private readonly optionsFor: (vhost: string) => SourceOptions) {
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
    this.ticker = setInterval(() => this.sample(), 1000).unref();
  }

  /** Register a new connection (after its protocol handshake). */
  addClient(client: Client): void {
    this.clients.set(client.id, client);
  }

  async admit(stage: keyof Admission, client: Client): Promise<void> {
    for (const a of this.admissions) await a[stage]?.(client);
  }

  source(vhost: string, app: string, stream: string): Source {
    const key = sourceKey(vhost, app, stream);
    let s = this.sources.get(key);
    if (!s) {
      s = new Source(vhost, app, stream, this.optionsFor(vhost));
      s.onLimit = (event) => this.bus.emit('stream:limit', event);
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

  /** Become the publisher of the client's stream; undefined when the stream is busy. */
  publish(client: Client): Source | undefined {
    const source = this.source(client.vhost, client.app, client.stream);
    if (!source.publish(client)) return undefined;
    this.bus.emit('stream:publish', source, client);
    return source;
  }

  unpublish(client: Client): void {
    const source = client.source;
    if (!source || source.publisher !== client) return;
    source.unpublish();
    this.bus.emit('stream:unpublish', source, client);
  }

  play(client: Client, sink: ConsumerSink): Consumer {
    const source = this.source(client.vhost, client.app, client.stream);
    const consumer = source.addConsumer(client, sink);
    this.bus.emit('stream:play', source, client);
    return consumer;
  }

  stop(consumer: Consumer): void {
    if (!consumer.source.consumers.has(consumer)) return;
    consumer.source.removeConsumer(consumer);
    this.bus.emit('stream:stop', consumer.source, consumer.client);
  }

  /** A connection ended: its protocol adapter already stopped/unpublished it. */
  removeClient(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    if (!client.endReason) client.endReason = 'normal';
    this.clients.delete(client.id);
    this.bus.emit('client:close', client);
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
      if (s.publisher || s.consumers.size > 0 || s.viewers.size > 0) continue;
      if (now - s.lastActiveAt < IDLE_SOURCE_MS) continue;
      s.close();
      this.sources.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.ticker);
    for (const s of this.sources.values()) s.close();
  }
}
