import type { ForwardState } from '@tsrs/api-types';
import { newContextId } from './ids.js';
import { KbpsSampler } from './kbps.js';
import { srsStreamUrl } from './stream-url.js';
import type { Source } from './source.js';

/** SRS client types, as the HTTP API reports them. */
export type ClientType =
  | 'rtmp-play'
  | 'flv-play'
  | 'hls-play'
  | 'ts-play'
  | 'aac-play'
  | 'mp3-play'
  | 'rtc-play'
  | 'srt-play'
  | 'flash-publish'
  | 'fmle-publish'
  | 'haivision-publish'
  | 'rtc-publish'
  | 'srt-publish'
  | 'rtmp-forwarder'
  | 'Unknown';

export type EndReason = 'normal' | 'kicked' | 'error';

/** What the app needs from a connection, whatever its protocol. */
export interface ClientTransport {
  /** close the connection (asynchronously); the adapter then calls hub.closeClient */
  close(reason: string): void;
  bytesRead(): number;
  bytesWritten(): number;
}

export interface ClientInit {
  ip: string;
  /**
   * the socket's own address when `ip` is one the client claimed (SRS's JSON `clientip` of
   * `/rtc/v1/publish|play/`); security checks both
   */
  peerIp?: string;
  type?: ClientType;
  vhost?: string;
  app?: string;
  stream?: string;
  param?: string;
  tcUrl?: string;
  pageUrl?: string;
  swfUrl?: string;
  transport: ClientTransport;
  /** reuse an id already shown in logs */
  id?: string;
  /** the protocol, when the SRS type does not tell it (history's `protocol`) */
  protocol?: string;
}

/** One connection (publisher or player) in the live model. */
export class Client {
  readonly id: string;
  /** the address hooks, the API and security see: the socket's, or one the client claimed (SRS's `clientip`) */
  readonly ip: string;
  /** the socket's address when it differs from `ip` (a claimed `clientip`), else undefined */
  readonly peerIp: string | undefined;
  readonly startedAt = Date.now();
  type: ClientType;
  vhost: string;
  app: string;
  stream: string;
  /** raw query with its '?', as hooks receive it */
  param: string;
  tcUrl: string;
  pageUrl: string;
  swfUrl: string;
  source: Source | undefined;
  endReason: EndReason | undefined;
  closed = false;
  /**
   * What it does now, set by the Hub alone: it is listed by the API and counted by its
   * source exactly while this is set (after admission, until it stops or leaves).
   */
  role: 'publish' | 'play' | undefined;
  readonly kbps = new KbpsSampler();
  readonly transport: ClientTransport;
  private readonly leaving = new AbortController();
  /**
   * Aborted once the connection is gone (its socket closed), even before it was admitted:
   * work done on its behalf (a hook call deciding on it) stops then.
   */
  readonly gone: AbortSignal = this.leaving.signal;
  /**
   * The protocol when the SRS type does not tell it: the stream casters publish as
   * `fmle-publish` (as SRS, whose casters publish over RTMP) with `flv-post` / `mpegts-udp` here.
   */
  readonly protocol: string | undefined;
  /** tsrs: a forwarder's destination state, for the API (type `rtmp-forwarder` only) */
  forwardState: (() => ForwardState) | undefined;
  /**
   * tsrs: the edges this connection pulls a stream for, first edge first (an edge upstream's
   * RTMP connect names them in `tsrs_edge_via`); [] for everyone else. See cluster/edge-via.
   */
  edgeVia: readonly string[] = [];
  /** tsrs: a publisher's input counters where its protocol keeps them (Stream.tsrs_input of the API) */
  inputStats: (() => Record<string, number>) | undefined;

  constructor(init: ClientInit) {
    this.id = init.id ?? newContextId();
    this.ip = init.ip;
    this.peerIp = init.peerIp !== undefined && init.peerIp !== init.ip ? init.peerIp : undefined;
    this.type = init.type ?? 'Unknown';
    this.vhost = init.vhost ?? '';
    this.app = init.app ?? '';
    this.stream = init.stream ?? '';
    this.param = init.param ?? '';
    this.tcUrl = init.tcUrl ?? '';
    this.pageUrl = init.pageUrl ?? '';
    this.swfUrl = init.swfUrl ?? '';
    this.transport = init.transport;
    this.protocol = init.protocol;
  }

  get publish(): boolean {
    return this.type.endsWith('-publish');
  }

  /** `vhost/app/stream`, vhost left out for the default vhost (SRS's stream_url). */
  get streamUrl(): string {
    return srsStreamUrl(this.vhost, this.app, this.stream);
  }

  get aliveSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** The connection is gone: aborts `gone` (idempotent). */
  leave(): void {
    this.leaving.abort();
  }

  /** Close this connection on an operator's request (API kick). */
  kick(): void {
    if (!this.endReason) this.endReason = 'kicked';
    this.transport.close('kicked');
  }

  sample(now: number): void {
    this.kbps.sample(this.transport.bytesRead(), this.transport.bytesWritten(), now);
  }
}
