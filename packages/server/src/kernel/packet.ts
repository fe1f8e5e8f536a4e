/**
 * The media packet that flows from one publisher to every consumer.
 *
 * A Packet is parsed once, at the publisher, and never mutated afterwards
 * (except for the lazily filled caches, which are pure functions of the
 * packet). Every output that needs a wire form (RTMP chunks, FLV tag, ...)
 * makes it once per packet and stores it here, so N players share one Buffer.
 */
import { classifyAudio, classifyVideo, isOnMetaData, type FlvAudioTag, type FlvVideoTag } from './flv-tag.js';

export type PacketKind = 'audio' | 'video' | 'script';

/** FLV/RTMP message type ids for the three media kinds. */
export const MESSAGE_TYPE: Record<PacketKind, number> = { audio: 8, video: 9, script: 18 };

export class Packet {
  /** RTMP chunk encoding cache: (chunkSize, csid, streamId) -> complete chunked message. */
  rtmpKey = -1;
  rtmp: Buffer | undefined;
  /** FLV tag (11-byte header + body + 4-byte previous tag size). */
  flvTag: Buffer | undefined;
  private tagCache: FlvVideoTag | FlvAudioTag | undefined;

  constructor(
    readonly kind: PacketKind,
    /** decode timestamp in ms (after the source's jitter correction) */
    readonly dts: number,
    /** the FLV/RTMP message body (tag body), shared, never written to */
    readonly body: Buffer,
    /** true for a video keyframe: a coded picture of FLV frame type 1 */
    readonly keyframe = false,
    /** true for video/audio sequence starts (decoder configuration) and onMetaData */
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

  /** The classifier's reading of a video body (kernel/flv-tag.ts), made once; undefined for other kinds. */
  get video(): FlvVideoTag | undefined {
    if (this.kind !== 'video') return undefined;
    return (this.tagCache ??= classifyVideo(this.body)) as FlvVideoTag;
  }

  /** The classifier's reading of an audio body, made once; undefined for other kinds. */
  get audio(): FlvAudioTag | undefined {
    if (this.kind !== 'audio') return undefined;
    return (this.tagCache ??= classifyAudio(this.body)) as FlvAudioTag;
  }

  /** A packet whose flags come from the classifier (the one way packets are made from message bodies). */
  static of(kind: PacketKind, dts: number, body: Buffer): Packet {
    if (kind === 'video') {
      const v = classifyVideo(body);
      const p = new Packet(kind, dts, body, v.keyframe, v.sequenceStart, v.cts);
      p.tagCache = v;
      return p;
    }
    if (kind === 'audio') {
      const a = classifyAudio(body);
      const p = new Packet(kind, dts, body, false, a.sequenceStart);
      p.tagCache = a;
      return p;
    }
    return new Packet(kind, dts, body, false, isOnMetaData(body));
  }
}
