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
 * Video waits for its parameter sets and then a keyframe (a player could decode nothing before);
 * audio waits for nothing. Timestamps are DTS in ms from the first access unit of any track (so
 * the tracks stay in sync), never below 0. Damage in the input never throws: the demuxer
 * counts it, and a unit the FLV builders refuse is dropped and counted in `dropped`.
 */
import { avcConfigFromNalus, hevcConfigFromNalus, parameterSetsOf } from '../../kernel/annexb.js';
import { avcNaluType, AvcNaluType } from '../../kernel/avc.js';
import {
  aacFrameBody, aacSequenceHeaderBody, avcFrameBody, avcSequenceHeaderBody, hevcFrameBody, hevcSequenceStartBody, mp3FrameBody, opusFrameBody,
  opusSequenceStartBody,
} from '../../kernel/flv-build.js';
import { hevcNaluType, HevcNaluType } from '../../kernel/hevc.js';
import { TsDemuxer, type TsAccessUnit, type TsDemuxerOptions } from '../../kernel/mpegts-demux.js';
import type { PacketKind } from '../../kernel/packet.js';

/** Where the messages go: a PublisherHandle. */
export interface FlvMessageTarget {
  write(kind: PacketKind, timestamp: number, body: Buffer): void;
}

const HZ_PER_MS = 90;

/** NAL units FLV frames leave out: access unit delimiters and parameter sets (they go in the sequence header). */
function keptInFrame(codec: 'h264' | 'h265', nalu: Buffer): boolean {
  if (nalu.length === 0) return false;
  if (codec === 'h264') {
    const t = avcNaluType(nalu);
    return t !== AvcNaluType.Aud && t !== AvcNaluType.Sps && t !== AvcNaluType.Pps;
  }
  const t = hevcNaluType(nalu);
  return t !== HevcNaluType.Aud && t !== HevcNaluType.Vps && t !== HevcNaluType.Sps && t !== HevcNaluType.Pps;
}

export class TsToSource {
  readonly demuxer: TsDemuxer;
  /** access units the FLV builders refused (malformed), or video before its configuration */
  dropped = 0;
  /** messages written */
  messages = 0;
  /** the tracks seen, e.g. `h264`, `aac` (for logs) */
  readonly codecs = new Set<string>();
  private base: number | undefined;
  private videoConfig: Buffer | undefined;
  private videoStarted = false;
  private audioConfig: Buffer | undefined;

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

  private ms(ts90k: number): number {
    this.base ??= ts90k;
    return Math.max(0, Math.round((ts90k - this.base) / HZ_PER_MS));
  }

  private write(kind: PacketKind, timestamp: number, body: Buffer): void {
    this.messages++;
    this.target.write(kind, timestamp, body);
  }

  private unit(au: TsAccessUnit): void {
    this.codecs.add(au.codec);
    try {
      if (au.codec === 'h264' || au.codec === 'h265') this.video(au, au.codec);
      else this.audio(au);
    } catch {
      this.dropped++;
    }
  }

  private video(au: TsAccessUnit, codec: 'h264' | 'h265'): void {
    const nalus = au.nalus ?? [];
    const dts = this.ms(au.dts);
    const ps = parameterSetsOf(nalus, codec);
    if (ps.sps.length > 0) {
      let config: Buffer | undefined;
      try {
        config = codec === 'h264' ? avcConfigFromNalus(nalus) : hevcConfigFromNalus(nalus);
      } catch {
        config = undefined; // an incomplete set: keep the one we have
      }
      if (config && !config.equals(this.videoConfig ?? Buffer.alloc(0))) {
        this.videoConfig = config;
        this.write('video', dts, codec === 'h264' ? avcSequenceHeaderBody(config) : hevcSequenceStartBody(config));
      }
    }
    if (!this.videoConfig || (!this.videoStarted && !au.keyframe)) {
      this.dropped++;
      return;
    }
    this.videoStarted = true;
    const frame = nalus.filter((n) => keptInFrame(codec, n));
    if (frame.length === 0) return;
    const cts = Math.round((au.pts - au.dts) / HZ_PER_MS);
    this.write('video', dts, codec === 'h264' ? avcFrameBody(frame, au.keyframe, cts) : hevcFrameBody(frame, au.keyframe, cts));
  }

  private audio(au: TsAccessUnit): void {
    const pts = this.ms(au.pts);
    if (au.codec === 'mp3') return this.write('audio', pts, mp3FrameBody(au.data));
    if (au.config && !au.config.equals(this.audioConfig ?? Buffer.alloc(0))) {
      this.audioConfig = au.config;
      this.write('audio', pts, au.codec === 'aac' ? aacSequenceHeaderBody(au.config) : opusSequenceStartBody(au.config));
    }
    if (!this.audioConfig) {
      this.dropped++;
      return;
    }
    this.write('audio', pts, au.codec === 'aac' ? aacFrameBody(au.data) : opusFrameBody(au.data));
  }
}
