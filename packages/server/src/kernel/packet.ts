/**
 * The media packet that flows from one publisher to every consumer.
 *
 * A Packet is parsed once, at the publisher, and never mutated afterwards
 * (except for the lazily filled caches, which are pure functions of the
 * packet). Every output that needs a wire form (RTMP chunks, FLV tag, ...)
 * makes it once per packet and stores it here, so N players share one Buffer.
 */
import { splitNalus } from './avc.js';
import { audioTrackOf, videoTrackOf, type AudioTrack, type VideoTrack } from './tracks.js';
import { classifyAudio, classifyVideo, isOnMetaData, type AudioCodec, type FlvAudioTag, type FlvVideoTag, type VideoCodec } from './flv-tag.js';

export type PacketKind = 'audio' | 'video' | 'script';

/** FLV/RTMP message type ids for the three media kinds. */
export const MESSAGE_TYPE: Record<PacketKind, number> = { audio: 8, video: 9, script: 18 };

/**
 * One coded frame of a packet, codec-neutral: what the muxers and packetizers read instead of
 * FLV bytes. Every Buffer in it is a view of the packet's body (no copy).
 */
export interface MediaFrame {
  readonly kind: 'video' | 'audio';
  readonly codec: VideoCodec | AudioCodec;
  /** decode and presentation time, ms */
  readonly dts: number;
  readonly pts: number;
  /** video: a coded picture of frame type 1 (random access); audio: always true */
  readonly keyframe: boolean;
  /**
   * The coded payload: length-prefixed NAL units (AVC/HEVC, AVCC/HVCC sample form), OBUs (AV1),
   * one raw audio frame (AAC without ADTS, an MP3 frame, an Opus packet).
   */
  readonly data: Buffer;
  /** AVC/HEVC: the NAL units without their length prefixes, in order (empty for other codecs) */
  readonly nalUnits: readonly Buffer[];
  /** why the NAL unit lengths do not add up (nalUnits is then empty); undefined when they do */
  readonly error: string | undefined;
}

const NO_NAL_UNITS: readonly Buffer[] = Object.freeze([]);

export class Packet {
  /** RTMP chunk encoding cache: (chunkSize, csid, streamId) -> complete chunked message. */
  rtmpKey = -1;
  /** when the Source took the packet (performance.now(), ms); 0: not through a Source */
  arrivedAt = 0;
  rtmp: Buffer | undefined;
  /** FLV tag (11-byte header + body + 4-byte previous tag size). */
  flvTag: Buffer | undefined;
  /**
   * AVC/HEVC NAL unit length field size (lengthSizeMinusOne + 1 of the stream's decoder
   * configuration record); set by whoever makes the packet, before `frame` is first read.
   */
  nalLengthSize = 4;
  private tagCache: FlvVideoTag | FlvAudioTag | undefined;
  /** null: no frame (headers, metadata, end of sequence, command frames, empty payloads) */
  private frameCache: MediaFrame | null | undefined;
  /** null: describes no track */
  private trackCache: VideoTrack | AudioTrack | null | undefined;

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

  /**
   * The coded frame this packet carries, parsed on first use and cached, so every output
   * (TS, fMP4, DVR, ADTS, RTP) shares one parse; undefined for packets that carry none.
   */
  get frame(): MediaFrame | undefined {
    if (this.frameCache === undefined) this.frameCache = this.makeFrame();
    return this.frameCache ?? undefined;
  }

  /** The video track this packet's sequence start describes (kernel/tracks.ts), parsed once; undefined for other packets. */
  get videoTrack(): VideoTrack | undefined {
    if (this.kind !== 'video') return undefined;
    if (this.trackCache === undefined) this.trackCache = videoTrackOf(this) ?? null;
    return (this.trackCache as VideoTrack | null) ?? undefined;
  }

  /**
   * The audio track this packet describes, parsed once: a sequence start, or a frame of a codec
   * without one (MP3); undefined for other packets.
   */
  get audioTrack(): AudioTrack | undefined {
    if (this.kind !== 'audio') return undefined;
    if (this.trackCache === undefined) this.trackCache = audioTrackOf(this) ?? null;
    return (this.trackCache as AudioTrack | null) ?? undefined;
  }

  private makeFrame(): MediaFrame | null {
    const tag = this.video ?? this.audio;
    if (!tag || tag.error || tag.packetType !== 'coded-frames' || tag.data.length === 0) return null;
    if (tag.kind === 'audio') {
      return { kind: 'audio', codec: tag.codec, dts: this.dts, pts: this.dts, keyframe: true, data: tag.data, nalUnits: NO_NAL_UNITS, error: undefined };
    }
    let nalUnits = NO_NAL_UNITS;
    let error: string | undefined;
    if (tag.codec === 'h264' || tag.codec === 'h265') {
      try {
        nalUnits = splitNalus(tag.data, this.nalLengthSize);
      } catch (err) {
        error = (err as Error).message;
      }
    }
    return { kind: 'video', codec: tag.codec, dts: this.dts, pts: this.dts + tag.cts, keyframe: tag.keyframe, data: tag.data, nalUnits, error };
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

