/**
 * The media packet that flows from one publisher to every consumer.
 *
 * A Packet is parsed once, at the publisher, and never mutated afterwards
 * (except for the lazily filled encoding caches, which are pure functions of
 * the packet). Every output that needs a wire form (RTMP chunks, FLV tag, ...)
 * makes it once per packet and stores it here, so N players share one Buffer.
 */
export type PacketKind = 'audio' | 'video' | 'script';

/** FLV/RTMP message type ids for the three media kinds. */
export const MESSAGE_TYPE: Record<PacketKind, number> = { audio: 8, video: 9, script: 18 };

export class Packet {
  /** RTMP chunk encoding cache: (chunkSize, csid, streamId) -> complete chunked message. */
  rtmpKey = -1;
  rtmp: Buffer | undefined;
  /** FLV tag (11-byte header + body + 4-byte previous tag size). */
  flvTag: Buffer | undefined;

  constructor(
    readonly kind: PacketKind,
    /** decode timestamp in ms (after the source's jitter correction) */
    readonly dts: number,
    /** the FLV/RTMP message body (tag body), shared, never written to */
    readonly body: Buffer,
    /** true for a video keyframe (FLV frame type 1) */
    readonly keyframe = false,
    /** true for AVC/HEVC/AAC sequence headers and onMetaData */
    readonly sequenceHeader = false,
    /** composition time offset in ms (video only), pts = dts + cts */
    readonly cts = 0,
  ) {}

  get pts(): number {
    return this.dts + this.cts;
  }

  get size(): number {
    return this.body.length;
  }
}
