/**
 * One Source pushed to one RTMP URL by tsrs's RTMP client (SRS's forwarder): a reusable piece
 * for `vhost { forward { ... } }` and any other "publish this stream over there" (an edge
 * pushing its publishers to the origin).
 *
 * The push is an internal player of the Source: a Client of type `rtmp-forwarder` (listed by
 * the API with its destination state, no on_play/on_stop hooks, as SRS) holding a PlayerHandle
 * whose Consumer is the push's bounded queue (`queueLengthMs` of media time and
 * `queueMaxBytes`; past either it drops to the next keyframe, counted in `dropped`). Each
 * connection publishes, then starts from the stream's metadata, sequence headers and the GOP
 * cache, then goes live. A refused, lost or stalled connection (socket full for `stallTimeoutMs`)
 * is retried with a doubling backoff (`minBackoffMs` .. `maxBackoffMs`, reset after 5 s of
 * forwarding); meanwhile the queue keeps its bounds, so a slow or dead destination costs the
 * publisher and the other players nothing.
 *
 * With `limit`, each connection takes a place in the server's max_connections count (SRS counts
 * every connection) for as long as it lasts; a connection over the cap is not made: the push
 * waits as after a refusal (state `retrying`, error `max_connections reached`) and tries again
 * with the same backoff.
 *
 * States: `connecting` (TCP, handshake, connect, publish), `forwarding`, `retrying` (waiting for
 * the next attempt), `stopped` (stop(), or the client kicked through the API).
 */
import type { ForwardState } from '@tsrs/api-types';
import type { Packet } from '../kernel/packet.js';
import type { Logger } from '../log.js';
import type { ConnectionLimit } from './connection-limit.js';
import { RtmpClient, parseClientUrl, type ParsedClientUrl } from '../protocol/rtmp/client-session.js';
import { Client, type ClientType } from './client.js';
import type { ConsumerSink } from './consumer.js';
import { PlayerHandle } from './handles.js';
import type { Hub } from './hub.js';
import type { Source } from './source.js';

export type PushState = ForwardState['state'];

export interface RtmpPushOptions {
  hub: Hub;
  source: Source;
  /** `rtmp://host[:port]/app/stream[?query]` to publish to */
  url: string;
  log: Logger;
  /** the client type the API lists (default `rtmp-forwarder`) */
  type?: ClientType;
  /** the queue's bound in media time, ms */
  queueLengthMs: number;
  /** the queue's bound in body bytes */
  queueMaxBytes: number;
  /** first retry delay, ms (default 250); doubled per failure */
  minBackoffMs?: number;
  /** longest retry delay, ms (default 3000, SRS's forwarder retry interval) */
  maxBackoffMs?: number;
  /** TCP + handshake + connect + publish within this, ms (default 5000) */
  connectTimeoutMs?: number;
  /** a connection whose socket stays full this long is dropped and retried, ms (default 30000) */
  stallTimeoutMs?: number;
  /** the server's connection count: each connection takes a place in it (absent: not counted) */
  limit?: Pick<ConnectionLimit, 'reserve' | 'cap'>;
  /** called once when the push stopped (stop() or a kick) */
  onStop?: (push: RtmpPush) => void;
}

/** Forwarding this long resets the backoff to its start. */
const STABLE_MS = 5000;

export class RtmpPush {
  readonly client: Client;
  readonly url: string;
  state: PushState = 'connecting';
  /** connections lost or refused so far */
  reconnects = 0;
  /** why the last connection failed ('' when none did) */
  error = '';
  private readonly target: ParsedClientUrl;
  private rtmp: RtmpClient | undefined;
  private handle: PlayerHandle | undefined;
  /** bytes of connections that ended */
  private sentBefore = 0;
  private readBefore = 0;
  private backoffMs: number;
  private forwardingSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private stallReason = '';
  private stopped = false;
  /** gives back the connection's place in the server's count */
  private release: () => void = () => {};

  /** Throws RtmpProtocolError when `url` is not an RTMP URL with an app and a stream. */
  constructor(private readonly o: RtmpPushOptions) {
    this.url = o.url;
    this.target = parseClientUrl(o.url);
    this.backoffMs = o.minBackoffMs ?? 250;
    const { source } = o;
    this.client = new Client({
      ip: this.target.host,
      type: o.type ?? 'rtmp-forwarder',
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      tcUrl: this.target.tcUrl,
      protocol: 'rtmp',
      transport: {
        close: (reason) => this.stop(reason),
        bytesRead: () => this.readBefore + (this.rtmp?.bytesIn ?? 0),
        bytesWritten: () => this.sentBytes,
      },
    });
    this.client.forwardState = () => this.status();
  }

  get sentBytes(): number {
    return this.sentBefore + (this.rtmp?.bytesOut ?? 0);
  }

  /** Media packets dropped by the queue (destination too slow or away). */
  get dropped(): number {
    return this.handle?.consumer?.dropped ?? 0;
  }

  status(): ForwardState {
    return { destination: this.url, state: this.state, reconnects: this.reconnects, send_bytes: this.sentBytes, dropped: this.dropped, error: this.error };
  }

  /** Join the Source as its internal player and make the first connection. */
  start(): void {
    const { hub, source } = this.o;
    hub.addClient(this.client);
    const consumer = hub.play(this.client, this.sink);
    consumer.setQueueLength(this.o.queueLengthMs, this.o.queueMaxBytes);
    this.handle = new PlayerHandle(hub, this.client, source, consumer, true);
    this.o.log.info({ cid: this.client.id, url: source.url, to: this.url }, `forward ${source.url} -> ${this.url}: start`);
    void this.connect();
  }

  /** New queue bounds (a reload). */
  setQueue(queueLengthMs: number, queueMaxBytes: number): void {
    this.handle?.consumer?.setQueueLength(queueLengthMs, queueMaxBytes);
  }

  /** Stop for good: leave the Source, unpublish politely at the destination. Idempotent. */
  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    const rtmp = this.rtmp;
    if (rtmp) {
      this.sentBefore += rtmp.bytesOut;
      this.readBefore += rtmp.bytesIn;
      this.rtmp = undefined;
      const release = this.release;
      rtmp.close().catch(() => rtmp.destroy()).finally(release);
    }
    this.handle?.close();
    this.o.log.info({ cid: this.client.id, to: this.url, reason, reconnects: this.reconnects, dropped: this.dropped }, `forward ${this.o.source.url} -> ${this.url}: stopped (${reason})`);
    this.o.onStop?.(this);
  }

  /** The Consumer writes here; false (congested) while there is no connection to write to. */
  private readonly sink: ConsumerSink = {
    write: (packets: readonly Packet[]): boolean => {
      const rtmp = this.rtmp;
      if (!rtmp || this.state !== 'forwarding') return false;
      if (rtmp.sendPackets(packets)) return true;
      if (!rtmp.open) return false;
      this.stallTimer ??= setTimeout(() => this.stalled(rtmp), this.o.stallTimeoutMs ?? 30_000).unref();
      void rtmp.drained().then(() => {
        if (this.rtmp !== rtmp || !rtmp.open) return;
        clearTimeout(this.stallTimer);
        this.stallTimer = undefined;
        this.handle?.consumer?.onDrain();
      });
      return false;
    },
  };

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const release = this.o.limit ? this.o.limit.reserve('forward', this.url) : () => {};
    if (!release) {
      this.retry(`max_connections reached (${this.o.limit?.cap}): not connected`);
      return;
    }
    let rtmp: RtmpClient;
    try {
      rtmp = await RtmpClient.connect(this.target, { mode: 'publish', timeoutMs: this.o.connectTimeoutMs ?? 5000 });
    } catch (err) {
      release();
      if (!this.stopped) this.retry((err as Error).message);
      return;
    }
    if (this.stopped) {
      rtmp.destroy();
      release();
      return;
    }
    this.rtmp = rtmp;
    this.release = release;
    this.state = 'forwarding';
    this.forwardingSince = Date.now();
    rtmp.on('error', (err: Error) => (this.stallReason ||= err.message));
    rtmp.on('close', () => this.lost(rtmp));
    if (this.reconnects > 0) this.o.log.info({ cid: this.client.id, to: this.url, reconnects: this.reconnects }, `forward ${this.o.source.url} -> ${this.url}: forwarding again`);
    // metadata, sequence headers and the GOP from its keyframe, then live
    this.handle?.consumer?.restart(this.o.source.startPackets());
  }

  private stalled(rtmp: RtmpClient): void {
    this.stallTimer = undefined;
    if (this.rtmp !== rtmp) return;
    this.stallReason = `destination stalled: socket full for ${this.o.stallTimeoutMs ?? 30_000} ms`;
    rtmp.destroy();
  }

  private lost(rtmp: RtmpClient): void {
    if (this.rtmp !== rtmp) return;
    this.rtmp = undefined;
    this.release();
    this.sentBefore += rtmp.bytesOut;
    this.readBefore += rtmp.bytesIn;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const reason = this.stallReason || 'connection closed by the destination';
    this.stallReason = '';
    if (Date.now() - this.forwardingSince >= STABLE_MS) this.backoffMs = this.o.minBackoffMs ?? 250;
    if (!this.stopped) this.retry(reason);
  }

  private retry(reason: string): void {
    this.reconnects++;
    this.error = reason;
    this.state = 'retrying';
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 3000);
    // a dead destination retries for as long as the stream lasts: the first failures, then every 20th
    if (this.reconnects <= 3 || this.reconnects % 20 === 0) {
      this.o.log.warn({ cid: this.client.id, to: this.url, reconnects: this.reconnects, retry_ms: delay }, `forward ${this.o.source.url} -> ${this.url}: ${reason}; retrying`);
    }
    this.retryTimer = setTimeout(() => void this.connect(), delay).unref();
  }
}
