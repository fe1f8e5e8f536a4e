/**
 * An MPEG-TS byte stream (UDP datagrams, any split) onto a publisher: the kernel's TsDemuxer
 * gives access units, this turns them into FLV-form messages, as an RTMP publisher would send:
 *
 * - H.264: an AVC sequence header (AVCDecoderConfigurationRecord built from the SPS/PPS of the
 *   stream) before the first frame and again whenever the parameter sets change; frames as
 *   length-prefixed NAL units without AUD/SPS/PPS, composition time = PTS - DTS.
 * - H.265: the same with VPS/SPS/PPS and an HEVCDecoderConfigurationRecord, as enhanced RTMP.
 * - AAC: the AudioSpecificConfig of the ADTS headers as the sequence header (again when it
 *   changes), raw frames after it. MP3 frames as they are; Opus as enhanced RTMP (OpusHead from
 *   the PMT's descriptor).
 *
 * The FLV bodies and sequence headers come from the kernel's FlvFrameMuxer. Video waits for its
 * parameter sets and then a keyframe (a player could decode nothing before);
 * audio waits for nothing. Timestamps are DTS in ms from the first access unit of any track (so
 * the tracks stay in sync), never below 0. Damage in the input never throws: the demuxer
 * counts it, and a unit the FLV builders refuse is dropped and counted in `dropped`.
 */
import { FlvFrameMuxer, type FlvMessage } from '../../kernel/flv-frames.js';
import { TsDemuxer, type TsAccessUnit, type TsDemuxerOptions } from '../../kernel/mpegts-demux.js';
import type { PacketKind } from '../../kernel/packet.js';

/** Where the messages go: a PublisherHandle. */
export interface FlvMessageTarget {
  write(kind: PacketKind, timestamp: number, body: Buffer): void;
}

export class TsToSource {
  readonly demuxer: TsDemuxer;
  /** access units the FLV builders refused (malformed), or video before its configuration or first keyframe */
  dropped = 0;
  /** messages written */
  messages = 0;
  /** the tracks seen, e.g. `h264`, `aac` (for logs) */
  readonly codecs = new Set<string>();
  private readonly muxer = new FlvFrameMuxer();
  /** 90 kHz time of the first access unit: the stream's 0 */
  private base: number | undefined;
  private videoStarted = false;

  constructor(
    private readonly target: FlvMessageTarget,
    opts?: TsDemuxerOptions,
  ) {
    this.demuxer = new TsDemuxer(opts);
  }

  /** Feeds bytes (a datagram); every access unit they complete is written. Never throws on input. */
  push(chunk: Buffer): void {
    for (const au of this.demuxer.push(chunk)) this.unit(au);
  }

  /** The input ended: the access units still held (an unbounded video PES) are written. */
  end(): void {
    for (const au of this.demuxer.end()) this.unit(au);
  }

  /** A 90 kHz time on the stream's line: from its first access unit, never below 0. */
  private rel(ts90k: number): number {
    this.base ??= ts90k;
    return Math.max(0, ts90k - this.base);
  }

  private unit(au: TsAccessUnit): void {
    this.codecs.add(au.codec);
    let out: FlvMessage[];
    try {
      const dts = this.rel(au.dts);
      const pts = Math.max(dts, this.rel(au.pts));
      out = au.codec === 'h264' || au.codec === 'h265' ? this.muxer.video(au.codec, au.nalus ?? [], dts, pts) : this.muxer.audio(au.codec, au.data, pts, au.config);
    } catch {
      this.dropped++;
      return;
    }
    for (const m of out) {
      // a player could decode nothing before the first keyframe
      if (m.kind === 'video' && !m.sequenceHeader && !this.videoStarted) {
        if (!m.keyframe) {
          this.dropped++;
          continue;
        }
        this.videoStarted = true;
      }
      this.messages++;
      this.target.write(m.kind, m.dts, m.body);
    }
  }
}
