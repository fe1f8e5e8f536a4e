/**
 * An edge's upstream for one stream (SRS's edge ingester): plays the stream from an origin over
 * RTMP and publishes it into the edge's Source through a publisher handle, for every player of
 * that stream on the edge to share.
 *
 * Origins are tried in the configured order; when the upstream fails (refused, timed out,
 * stalled, or the origin died mid-stream) the next origin is tried, round the list, with a
 * backoff of 0.2 s doubling to 3 s while nothing works (none after an upstream that carried
 * media: players see a gap of about a connect). An origin that answers with SRS's RTMP 302
 * (`ex.redirect`, an origin cluster) is followed, at most MAX_REDIRECTS hops. The publisher
 * handle is opened at the first media and kept across origins, so players stay attached; it is
 * closed by `stop()` alone.
 */
import { isOnMetaData } from '../../kernel/flv-tag.js';
import type { Logger } from '../../log.js';
import { RtmpClient, RtmpRedirectError, parseClientUrl, type ParsedClientUrl } from '../../protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../../protocol/rtmp/messages.js';
import { packetKindOf } from '../../protocol/rtmp/to-source.js';
import { Client } from '../client.js';
import type { PublisherHandle } from '../handles.js';
import type { Hub } from '../hub.js';
import { parseHostPort, parseOrigins, upstreamParam, upstreamUrl } from './addr.js';
import { EDGE_VIA_FIELD } from './edge-via.js';

/** connect + play on one origin (SRS's edge uses 3 s too) */
const CONNECT_TIMEOUT_MS = 3000;
/** an upstream that sends no audio or video for this long is dropped (the next origin is tried) */
const STALL_MS = 5000;
const MAX_REDIRECTS = 3;
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 3000;
/** bound on messages held while the publisher handle opens */
const MAX_HELD = 4096;

export interface EdgeUpstreamOptions {
  hub: Hub;
  log: Logger;
  /** `cluster.origin` entries, read at each (re)connect (a reload applies at the next one) */
  origins: () => string[];
  /** the vhost asked of the origin (`cluster.vhost`, else the stream's own) */
  originVhost: () => string;
  vhost: string;
  app: string;
  stream: string;
  /** the first player's query ('' or '?...'), passed on (a token for the origin's hooks) */
  param: string;
  /** `tsrs_edge_via` sent with the connect: the pull chain, this edge last (cluster/edge-via) */
  via: string;
}

export class EdgeUpstream {
  /** the edge's view of the upstream: listed by the API as the stream's publisher */
  readonly client: Client;
  /** upstream connections made that played (for logs and tests) */
  connects = 0;
  private handle: PublisherHandle | undefined;
  private rtmp: RtmpClient | undefined;
  private stopped = false;
  private next = 0;
  private bytesIn = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly o: EdgeUpstreamOptions) {
    this.client = new Client({
      ip: '127.0.0.1',
      type: 'fmle-publish',
      vhost: o.vhost,
      app: o.app,
      stream: o.stream,
      param: o.param,
      protocol: 'rtmp-edge',
      transport: {
        // A kick drops the current upstream; the next origin is tried while players remain.
        close: () => this.rtmp?.destroy(),
        bytesRead: () => this.bytesIn + (this.rtmp?.bytesIn ?? 0),
        bytesWritten: () => 0,
      },
    });
  }

  get active(): boolean {
    return !this.stopped;
  }

  /** the origin now played from, `host:port` (undefined between connections) */
  current: string | undefined;

  start(): void {
    void this.run();
  }

  /** Ends the upstream and the edge's publish of the stream (its players wait for the next). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.rtmp?.destroy();
    this.wake?.();
    this.handle?.close();
    this.handle = undefined;
    this.o.log.info({ url: this.client.streamUrl }, 'edge upstream stopped');
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const origins = parseOrigins(this.o.origins());
      if (origins.length === 0) {
        this.o.log.warn({ url: this.client.streamUrl }, 'edge: no valid origin in cluster.origin');
        await this.pause(BACKOFF_MAX_MS);
        continue;
      }
      const origin = origins[this.next % origins.length];
      const url = upstreamUrl(origin, this.o.app, this.o.stream, upstreamParam(this.o.param, this.o.originVhost()));
      const played = await this.pullFrom(url, 0);
      if (this.stopped) return;
      this.next = (this.next + 1) % origins.length;
      failures = played ? 0 : failures + 1;
      if (failures > 0) await this.pause(Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.floor((failures - 1) / origins.length)));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Plays from one origin until that connection ends; true when media came from it. */
  private async pullFrom(url: ParsedClientUrl, hops: number): Promise<boolean> {
    const where = `${url.host}:${url.port}`;
    let rtmp: RtmpClient;
    try {
      rtmp = await RtmpClient.connect(url, { mode: 'play', timeoutMs: CONNECT_TIMEOUT_MS, connectExtra: { [EDGE_VIA_FIELD]: this.o.via } });
    } catch (err) {
      if (err instanceof RtmpRedirectError && hops < MAX_REDIRECTS && !this.stopped) {
        const next = redirectTarget(err.url);
        if (next) {
          this.o.log.info({ url: this.client.streamUrl, from: where, to: `${next.host}:${next.port}` }, 'edge: origin redirects (RTMP 302)');
          return this.pullFrom(next, hops + 1);
        }
      }
      this.o.log.warn({ url: this.client.streamUrl, origin: where, err: err instanceof Error ? err.message : String(err) }, 'edge: origin failed');
      return false;
    }
    if (this.stopped) {
      rtmp.destroy();
      return false;
    }
    this.rtmp = rtmp;
    this.current = where;
    this.connects++;
    this.o.log.info({ url: this.client.streamUrl, origin: where }, 'edge upstream playing');
    let gotMedia = false;
    let stall: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        this.o.log.warn({ url: this.client.streamUrl, origin: where }, `edge: nothing from the origin for ${STALL_MS} ms`);
        rtmp.destroy();
      }, STALL_MS);
    };
    arm();
    await new Promise<void>((resolve) => {
      rtmp.on('error', () => {});
      rtmp.on('close', () => resolve());
      rtmp.on('message', (m: RtmpMessage) => {
        if (!this.deliver(m)) return rtmp.destroy();
        // only media counts: an origin sending metadata alone is stalled all the same
        if (m.typeId !== MSG.VIDEO && m.typeId !== MSG.AUDIO) return;
        gotMedia = true;
        arm();
      });
    });
    clearTimeout(stall);
    this.bytesIn += rtmp.bytesIn;
    this.rtmp = undefined;
    this.current = undefined;
    if (!this.stopped) this.o.log.warn({ url: this.client.streamUrl, origin: where }, 'edge upstream ended');
    return gotMedia;
  }

  /** One message into the edge's Source; false when the stream cannot be published here. */
  private deliver(m: RtmpMessage): boolean {
    if (this.stopped) return false;
    // Only stream metadata among data messages (not |RtmpSampleAccess, NetStream.Data.Start).
    if (m.typeId !== MSG.VIDEO && m.typeId !== MSG.AUDIO && !isOnMetaData(m.payload)) return true;
    if (this.handle) {
      this.handle.write(packetKindOf(m.typeId), m.timestamp, m.payload);
      return true;
    }
    // Held while the handle opens (a few microtasks): the origin's first messages are the
    // metadata, sequence headers and GOP players need first.
    if (!this.held) {
      this.held = [];
      this.open();
    }
    if (this.held.length < MAX_HELD) this.held.push(m);
    return true;
  }

  /** messages that came while the publisher handle was opening */
  private held: RtmpMessage[] | undefined;

  /** Becomes the edge stream's publisher, then writes what was held. */
  private open(): void {
    this.o.hub.openPublisher(this.client, { admitted: true, gone: () => this.stopped }).then(
      (handle) => {
        const held = this.held ?? [];
        this.held = undefined;
        if (this.stopped) return handle.close();
        this.handle = handle;
        for (const m of held) handle.write(packetKindOf(m.typeId), m.timestamp, m.payload);
      },
      (err) => {
        this.held = undefined;
        // A local publisher took the stream: an edge serves it from there.
        this.o.log.warn({ url: this.client.streamUrl, err: err instanceof Error ? err.message : String(err) }, 'edge: upstream cannot publish here');
        this.stop();
      },
    );
  }
}

/** The URL an RTMP 302 names, when it is a well-formed rtmp:// URL to a host:port. */
function redirectTarget(url: string): ParsedClientUrl | undefined {
  try {
    const u = parseClientUrl(url);
    return parseHostPort(`${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`) ? u : undefined;
  } catch {
    return undefined;
  }
}
