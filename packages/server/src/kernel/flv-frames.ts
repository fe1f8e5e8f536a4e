/**
 * Frames from another container (MPEG-TS access units, RTP depacketized
 * frames) -> FLV messages, the form a Source stores: the stateful half of
 * flv-build.ts.
 *
 * - Video (H.264, H.265): parameter sets are taken out of the access unit;
 *   when they change, an AVC/HEVC sequence header (config record built from
 *   them) goes out first. AUDs are dropped (FLV has no use for them), the other
 *   NAL units form the frame. Frames before the first parameter sets cannot be
 *   decoded and are dropped (counted). Keyframe = an IDR (H.264) / IRAP (H.265).
 * - Audio: an AAC AudioSpecificConfig or Opus OpusHead that changes goes out as
 *   the sequence header first; MP3 has none.
 * - Time: 90 kHz in, milliseconds out (FLV's unit): dts rounded, cts = pts - dts.
 *   Timestamps stay on the caller's line; a Source's jitter correction makes
 *   them start at 0.
 */
import { CodecError } from './bit-reader.js';
import { avcConfigFromNalus, hevcConfigFromNalus, parameterSetsOf } from './annexb.js';
import { avcNaluType } from './avc.js';
import { hevcNaluType } from './hevc.js';
import {
  aacFrameBody, aacSequenceHeaderBody, avcFrameBody, avcSequenceHeaderBody, hevcFrameBody, hevcSequenceStartBody, mp3FrameBody,
  opusFrameBody, opusSequenceStartBody,
} from './flv-build.js';

export interface FlvMessage {
  kind: 'audio' | 'video';
  /** decode time, ms */
  dts: number;
  /** composition offset, ms (video) */
  cts: number;
  /** the FLV tag body */
  body: Buffer;
  keyframe: boolean;
  sequenceHeader: boolean;
}

const isAud = (codec: 'h264' | 'h265', n: Uint8Array) => (codec === 'h264' ? avcNaluType(n) === 9 : hevcNaluType(n) === 35);
const isParamSet = (codec: 'h264' | 'h265', n: Uint8Array) => {
  const t = codec === 'h264' ? avcNaluType(n) : hevcNaluType(n);
  return codec === 'h264' ? t === 7 || t === 8 : t >= 32 && t <= 34;
};
const isRandomAccess = (codec: 'h264' | 'h265', n: Uint8Array) => {
  const t = codec === 'h264' ? avcNaluType(n) : hevcNaluType(n);
  return codec === 'h264' ? t === 5 : t >= 16 && t <= 23;
};

export class FlvFrameMuxer {
  /** video frames dropped because no parameter sets had been seen */
  droppedVideo = 0;
  private videoConfig: Buffer | undefined;
  private audioConfig: Buffer | undefined;
  /** the parameter sets the current sequence header was built from */
  private paramSets: Buffer[] = [];

  /**
   * One video access unit (NAL units without start codes) -> its FLV messages:
   * a sequence header when the parameter sets changed, then the frame (none when
   * it holds nothing but parameter sets and AUDs). Throws CodecError when the
   * parameter sets do not make a config record (e.g. an SPS that does not parse).
   */
  video(codec: 'h264' | 'h265', nalus: readonly Buffer[], dts90k: number, pts90k: number): FlvMessage[] {
    const out: FlvMessage[] = [];
    const dts = Math.round(dts90k / 90);
    const cts = Math.round(pts90k / 90) - dts;
    const params = nalus.filter((n) => n.length > 0 && isParamSet(codec, n));
    if (params.length > 0 && !sameList(params, this.paramSets)) {
      const ps = parameterSetsOf(params, codec);
      const complete = codec === 'h264' ? ps.sps.length > 0 && ps.pps.length > 0 : ps.vps.length > 0 && ps.sps.length > 0 && ps.pps.length > 0;
      if (complete) {
        const record = codec === 'h264' ? avcConfigFromNalus(params) : hevcConfigFromNalus(params);
        this.paramSets = params.map((p) => Buffer.from(p)); // kept past the access unit's buffer
        if (!this.videoConfig?.equals(record)) {
          this.videoConfig = record;
          const body = codec === 'h264' ? avcSequenceHeaderBody(record) : hevcSequenceStartBody(record);
          out.push({ kind: 'video', dts, cts: 0, body, keyframe: true, sequenceHeader: true });
        }
      }
    }
    const frame = nalus.filter((n) => n.length > 0 && !isAud(codec, n) && !isParamSet(codec, n));
    if (frame.length === 0) return out;
    if (!this.videoConfig) {
      this.droppedVideo++;
      return out;
    }
    const keyframe = frame.some((n) => isRandomAccess(codec, n));
    const body = codec === 'h264' ? avcFrameBody(frame, keyframe, cts) : hevcFrameBody(frame, keyframe, cts);
    out.push({ kind: 'video', dts, cts, body, keyframe, sequenceHeader: false });
    return out;
  }

  /**
   * One audio frame -> its FLV messages: the sequence header first when `config`
   * (AAC AudioSpecificConfig, Opus OpusHead) is new, then the frame. AAC needs a
   * config (CodecError without one); MP3 frames carry their own header.
   */
  audio(codec: 'aac' | 'mp3' | 'opus', data: Buffer, pts90k: number, config?: Buffer): FlvMessage[] {
    const out: FlvMessage[] = [];
    const dts = Math.round(pts90k / 90);
    const msg = (body: Buffer, sequenceHeader: boolean): FlvMessage => ({ kind: 'audio', dts, cts: 0, body, keyframe: false, sequenceHeader });
    if (codec === 'mp3') return [msg(mp3FrameBody(data), false)];
    if (config && !this.audioConfig?.equals(config)) {
      this.audioConfig = Buffer.from(config);
      out.push(msg(codec === 'aac' ? aacSequenceHeaderBody(config) : opusSequenceStartBody(config), true));
    }
    if (codec === 'aac' && !this.audioConfig) throw new CodecError('flv-frames', 'an AAC frame without an AudioSpecificConfig');
    out.push(msg(codec === 'aac' ? aacFrameBody(data) : opusFrameBody(data), false));
    return out;
  }
}

function sameList(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]));
}
