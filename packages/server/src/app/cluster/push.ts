/**
 * A publish on an edge, pushed through to the origin (SRS's edge publish): an output of the
 * edge's Source that publishes the same stream to the first origin that accepts it, over RTMP.
 *
 * It starts at the stream's headers (the latest onMetaData and audio/video sequence starts,
 * kept as they pass) and then a video keyframe (any frame for a stream without video). When the
 * origin connection fails or ends, the next origin is tried (round the list, 1 s apart) and the
 * stream starts again from its headers and a keyframe; while the socket is congested, frames
 * are dropped up to the next keyframe. Closed with the publish.
 */
import type { Packet } from '../../kernel/packet.js';
import { MESSAGE_TYPE } from '../../kernel/packet.js';
import type { Logger } from '../../log.js';
import { RtmpClient } from '../../protocol/rtmp/client-session.js';
import type { Source, SourceOutput } from '../source.js';
import { parseOrigins, upstreamParam, upstreamUrl } from './addr.js';

const CONNECT_TIMEOUT_MS = 3000;
const RETRY_MS = 1000;
/** socket bytes queued beyond which frames are dropped to the next keyframe */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export interface EdgePushOptions {
  log: Logger;
  origins: () => string[];
  /** the vhost asked of the origin */
  originVhost: () => string;
  /** the publisher's query ('' or '?...'), passed on (a token for the origin's hooks) */
  param: string;
}

export class EdgePush implements SourceOutput {
  readonly name = 'edge-push';
  private rtmp: RtmpClient | undefined;
  private closed = false;
  private next = 0;
  /** the latest headers: metadata, video and audio sequence starts */
  private readonly headers = new Map<string, Packet>();
  private needKeyframe = true;
  private hasVideo = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: Source,
    private readonly o: EdgePushOptions,
  ) {}

  onPublish(): void {
    this.connect();
  }

  onPacket(p: Packet): void {
    if (p.sequenceHeader) this.headers.set(p.kind, p);
    if (p.kind === 'video') this.hasVideo = true;
    const rtmp = this.rtmp;
    if (!rtmp || p.sequenceHeader) {
      if (rtmp && !this.needKeyframe) this.send(rtmp, p);
      return;
    }
    if (this.needKeyframe) {
      const start = p.kind === 'video' ? p.keyframe : !this.hasVideo && p.kind === 'audio';
      if (!start) return;
      this.needKeyframe = false;
      for (const h of this.headers.values()) this.send(rtmp, h, p.dts);
    }
    if (!this.send(rtmp, p) && rtmp.queuedBytes > MAX_QUEUED_BYTES) this.needKeyframe = true;
  }

  onUnpublish(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    const rtmp = this.rtmp;
    this.rtmp = undefined;
    if (rtmp) void rtmp.close();
  }

  private send(rtmp: RtmpClient, p: Packet, dts = p.dts): boolean {
    return rtmp.sendMedia(MESSAGE_TYPE[p.kind], dts, p.body);
  }

  private connect(): void {
    if (this.closed || this.rtmp) return;
    const origins = parseOrigins(this.o.origins());
    if (origins.length === 0) return this.o.log.warn({ url: this.url }, 'edge: no valid origin to push to');
    const origin = origins[this.next++ % origins.length];
    const { app, stream } = this.source;
    const url = upstreamUrl(origin, app, stream, upstreamParam(this.o.param, this.o.originVhost()));
    RtmpClient.connect(url, { mode: 'publish', timeoutMs: CONNECT_TIMEOUT_MS }).then(
      (rtmp) => {
        if (this.closed) return rtmp.destroy();
        this.rtmp = rtmp;
        this.needKeyframe = true;
        this.o.log.info({ url: this.url, origin: url.tcUrl }, 'edge: publish pushed to the origin');
        rtmp.on('error', () => {});
        rtmp.on('close', () => {
          if (this.rtmp !== rtmp) return;
          this.rtmp = undefined;
          this.o.log.warn({ url: this.url, origin: url.tcUrl }, 'edge: origin push ended');
          this.later();
        });
      },
      (err: unknown) => {
        this.o.log.warn({ url: this.url, origin: url.tcUrl, err: err instanceof Error ? err.message : String(err) }, 'edge: origin refused the push');
        this.later();
      },
    );
  }

  private later(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => this.connect(), RETRY_MS);
  }

  private get url(): string {
    return this.source.url;
  }
}
