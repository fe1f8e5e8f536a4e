/**
 * Publisher and player handles: what a protocol holds while a client publishes or plays.
 * The Hub opens them (`hub.openPublisher`, `hub.openPlayer`) after admission; `close()` lets
 * go of everything the open took (role, consumer or viewer slot, the client itself when the
 * open registered it), once, whatever calls it first: the protocol's end, a kick, a timeout.
 */
import type { PacketKind } from '../kernel/packet.js';
import type { Client } from './client.js';
import type { Consumer } from './consumer.js';
import type { Hub } from './hub.js';
import type { Source } from './source.js';

/** What opening a handle may do besides admission. */
export interface OpenOptions {
  /**
   * Run the connect stage first (register the client, `client:connect`, on_connect) when the
   * client is not registered yet: publishers that have no connect of their own (the stream
   * casters) go through the same hooks as an RTMP publisher.
   */
  connect?: boolean;
  /** true when the connection went away while the hooks ran: the open is refused */
  gone?: () => boolean;
  /**
   * Admitted elsewhere: the publish admissions (security, on_publish) are not run. An edge's
   * upstream publishes what its origin admitted, and SRS runs no on_publish for it on the edge.
   */
  admitted?: boolean;
}

/** The publisher of one stream. */
export class PublisherHandle {
  private closed = false;
  /**
   * How this protocol gets a keyframe from its publisher (a WebRTC publisher sends a PLI, rate
   * limited there); undefined for protocols that cannot ask (RTMP, FLV over HTTP, MPEG-TS): then
   * `requestKeyframe()` does nothing and answers false.
   */
  onKeyframeRequest: (() => void) | undefined;

  constructor(
    private readonly hub: Hub,
    readonly client: Client,
    readonly source: Source,
    /** the open registered the client: close() removes it too */
    private readonly ownsClient: boolean,
  ) {
    // the stream's keyframe requests (a WebRTC player's PLI) come here until unpublish clears it
    source.requestKeyframe = () => this.requestKeyframe();
  }

  get active(): boolean {
    return !this.closed;
  }

  /**
   * One FLV-form message (what an RTMP publisher sends): `kind` from the RTMP message type
   * (8 audio, 9 video, 18 script), `timestamp` in ms on the wire (the Source corrects jitter),
   * `body` the FLV tag body. Ignored after close().
   */
  write(kind: PacketKind, timestamp: number, body: Buffer): void {
    if (this.closed) return;
    this.source.onMessage(kind, timestamp, body);
  }

  /**
   * Ask the publisher for a keyframe (a player joined late or lost a picture, an output lost its
   * place); false when this protocol cannot ask or the handle is closed.
   */
  requestKeyframe(): boolean {
    if (this.closed || !this.onKeyframeRequest) return false;
    this.onKeyframeRequest();
    return true;
  }

  /** Stop publishing (`stream:unpublish`); the client goes too when the open registered it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.unpublish(this.client);
    if (this.ownsClient) this.hub.removeClient(this.client);
  }
}

/** A player of one stream: with a Consumer (RTMP, HTTP-FLV/TS/AAC/MP3) or a viewer (HLS). */
export class PlayerHandle {
  private closed = false;

  constructor(
    private readonly hub: Hub,
    readonly client: Client,
    readonly source: Source,
    /** the player's queue; undefined for a viewer served without one (HLS) */
    readonly consumer: Consumer | undefined,
    private readonly ownsClient: boolean,
  ) {}

  get active(): boolean {
    return !this.closed;
  }

  /** Stop playing (`stream:stop`); the client goes too when the open registered it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.consumer) this.hub.stop(this.consumer);
    else this.hub.unview(this.client);
    if (this.ownsClient) this.hub.removeClient(this.client);
  }
}
