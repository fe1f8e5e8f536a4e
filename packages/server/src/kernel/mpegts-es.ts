/**
 * The elementary-stream side of the MPEG-TS demuxer: one PES payload in, the
 * access units it carries out.
 *
 * - H.264 / H.265: the PES payload is one access unit in Annex B (13818-1 2.14,
 *   ITU-T H.222 for HEVC); its NAL units are split as subarrays.
 * - AAC (stream_type 0x0F): ADTS frames (ISO/IEC 13818-7 6.2, 14496-3 1.A.2),
 *   each turned into a raw AAC frame plus the AudioSpecificConfig its header implies.
 * - MP3 (0x03 / 0x04): MPEG audio frames split on their headers (11172-3, 13818-3).
 * - Opus (0x06 + registration descriptor 'Opus'): the Opus-in-TS framing, an
 *   opus_control_header before each packet (11-bit prefix 0x3FF, start/end trim
 *   and extension flags, au_size as a run of 0xFF bytes plus one byte), each
 *   packet one access unit.
 *
 * Audio access units after the first in a PES get timestamps advanced by the
 * frame durations (90 kHz). Damaged trailing bytes are dropped and counted; a
 * parser here never throws.
 */
import { buildAudioSpecificConfig, parseMp3FrameHeader } from './aac.js';
import { AAC_SAMPLE_RATES } from './aac.js';
import { splitAnnexB } from './annexb.js';
import { avcNaluType } from './avc.js';
import { hevcNaluType } from './hevc.js';
import { buildOpusHead, opusPacketSamples, OPUS_CLOCK_RATE } from './opus.js';
import { CodecError } from './bit-reader.js';

export type TsCodec = 'h264' | 'h265' | 'aac' | 'mp3' | 'opus';

/** One access unit out of the demuxer. */
export interface TsAccessUnit {
  kind: 'video' | 'audio';
  codec: TsCodec;
  /** the elementary stream's PID */
  pid: number;
  /** presentation time, 90 kHz, unwrapped (continues past 2^33) */
  pts: number;
  /** decode time, 90 kHz, unwrapped; = pts when the PES has no DTS */
  dts: number;
  /** video: the access unit in Annex B; AAC: one raw frame (no ADTS header); MP3: one frame; Opus: one packet */
  data: Buffer;
  /** video: the NAL units of `data` (subarrays) */
  nalus?: Buffer[];
  /** video: holds an IDR (H.264) or IRAP (H.265) picture; audio: always true */
  keyframe: boolean;
  /** AAC: AudioSpecificConfig from the ADTS header; Opus: an OpusHead from the PMT descriptor */
  config?: Buffer;
  /** audio: sample rate (Hz; Opus 48000) and channel count, when known */
  sampleRate?: number;
  channels?: number;
}

/** Per-stream state kept between PES packets (the last AudioSpecificConfig, to reuse one Buffer). */
export interface EsState {
  pid: number;
  codec: TsCodec;
  /** Opus: channel_config_code from the extension descriptor (0x80) */
  opusChannelConfig?: number;
  config?: Buffer;
  configKey?: number;
  /** bytes dropped because a frame was cut or malformed */
  droppedBytes: number;
}

const HZ = 90000;

/** The access units of one complete PES payload. */
export function accessUnitsOf(es: EsState, payload: Buffer, pts: number, dts: number): TsAccessUnit[] {
  switch (es.codec) {
    case 'h264':
    case 'h265':
      return videoUnit(es, payload, pts, dts);
    case 'aac':
      return adtsUnits(es, payload, pts);
    case 'mp3':
      return mp3Units(es, payload, pts);
    case 'opus':
      return opusUnits(es, payload, pts);
  }
}

function videoUnit(es: EsState, payload: Buffer, pts: number, dts: number): TsAccessUnit[] {
  const nalus = splitAnnexB(payload);
  if (nalus.length === 0) {
    es.droppedBytes += payload.length;
    return [];
  }
  let keyframe = false;
  for (const n of nalus) {
    if (es.codec === 'h264' ? avcNaluType(n) === 5 : hevcNaluType(n) >= 16 && hevcNaluType(n) <= 23) {
      keyframe = true;
      break;
    }
  }
  return [{ kind: 'video', codec: es.codec, pid: es.pid, pts, dts, data: payload, nalus, keyframe }];
}

// --- AAC in ADTS ------------------------------------------------------------------

function adtsUnits(es: EsState, payload: Buffer, pts: number): TsAccessUnit[] {
  const out: TsAccessUnit[] = [];
  let off = 0;
  let t = pts;
  const n = payload.length;
  while (off + 7 <= n) {
    if (payload[off] !== 0xff || (payload[off + 1] & 0xf6) !== 0xf0) {
      // not a syncword (layer must be 0): skip to the next one
      off++;
      es.droppedBytes++;
      continue;
    }
    const protectionAbsent = payload[off + 1] & 1;
    const profile = payload[off + 2] >> 6;
    const sfi = (payload[off + 2] >> 2) & 0xf;
    const channelConfig = ((payload[off + 2] & 1) << 2) | (payload[off + 3] >> 6);
    const frameLength = ((payload[off + 3] & 3) << 11) | (payload[off + 4] << 3) | (payload[off + 5] >> 5);
    const blocks = (payload[off + 6] & 3) + 1;
    const headerLength = protectionAbsent ? 7 : 9;
    if (sfi >= AAC_SAMPLE_RATES.length || frameLength < headerLength || off + frameLength > n) {
      // a bad or cut frame ends this PES
      es.droppedBytes += n - off;
      break;
    }
    const sampleRate = AAC_SAMPLE_RATES[sfi];
    const key = (profile << 8) | (sfi << 4) | channelConfig;
    if (es.config === undefined || es.configKey !== key) {
      es.config = buildAudioSpecificConfig(profile + 1, sampleRate, channelConfig);
      es.configKey = key;
    }
    out.push({
      kind: 'audio', codec: 'aac', pid: es.pid, pts: t, dts: t, data: payload.subarray(off + headerLength, off + frameLength),
      keyframe: true, config: es.config, sampleRate, channels: channelConfig === 7 ? 8 : channelConfig,
    });
    t += Math.round((1024 * blocks * HZ) / sampleRate);
    off += frameLength;
  }
  if (off < n && off + 7 > n) es.droppedBytes += n - off;
  return out;
}

// --- MP3 ------------------------------------------------------------------------------

function mp3Units(es: EsState, payload: Buffer, pts: number): TsAccessUnit[] {
  const out: TsAccessUnit[] = [];
  let off = 0;
  let t = pts;
  const n = payload.length;
  while (off + 4 <= n) {
    let h;
    try {
      h = parseMp3FrameHeader(payload, off);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      off++;
      es.droppedBytes++;
      continue;
    }
    // free format (no length in the header): the rest of the PES is the frame
    const len = h.frameLength > 0 ? h.frameLength : n - off;
    if (off + len > n) {
      es.droppedBytes += n - off;
      off = n;
      break;
    }
    out.push({ kind: 'audio', codec: 'mp3', pid: es.pid, pts: t, dts: t, data: payload.subarray(off, off + len), keyframe: true, sampleRate: h.sampleRate, channels: h.channels });
    t += Math.round((h.samplesPerFrame * HZ) / h.sampleRate);
    off += len;
  }
  if (off < n) es.droppedBytes += n - off;
  return out;
}

// --- Opus -----------------------------------------------------------------------------

/** Streams and coupled streams of channel_config_code 1..8 (Vorbis channel order, RFC 7845 5.1.1.2). */
const OPUS_STREAMS = [0, 1, 1, 2, 2, 3, 4, 4, 5];
const OPUS_COUPLED = [0, 0, 1, 1, 2, 2, 2, 3, 3];
const OPUS_MAPPING: number[][] = [
  [], [0], [0, 1], [0, 2, 1], [0, 1, 2, 3], [0, 4, 1, 2, 3], [0, 4, 1, 2, 3, 5], [0, 4, 1, 2, 3, 5, 6], [0, 6, 1, 2, 3, 4, 5, 7],
];

/**
 * An OpusHead for the PMT's channel_config_code: 1..8 channels (family 0 for
 * mono/stereo, 1 above); 0 is dual mono (two mono streams, family 255).
 * Pre-skip is not carried in the PMT (the first packet's start trim is): 0.
 */
export function opusHeadForChannelConfig(code: number): Buffer | undefined {
  if (code === 0) {
    return buildOpusHead({ channels: 2, preSkip: 0, mappingFamily: 255, streamCount: 2, coupledCount: 0, channelMapping: [0, 1] });
  }
  if (code < 1 || code > 8) return undefined;
  if (code <= 2) return buildOpusHead({ channels: code, preSkip: 0 });
  return buildOpusHead({
    channels: code, preSkip: 0, mappingFamily: 1, streamCount: OPUS_STREAMS[code], coupledCount: OPUS_COUPLED[code], channelMapping: OPUS_MAPPING[code],
  });
}

function opusUnits(es: EsState, payload: Buffer, pts: number): TsAccessUnit[] {
  const out: TsAccessUnit[] = [];
  const n = payload.length;
  const channels = es.opusChannelConfig === undefined ? undefined : es.opusChannelConfig === 0 ? 2 : es.opusChannelConfig;
  if (es.config === undefined && es.opusChannelConfig !== undefined) es.config = opusHeadForChannelConfig(es.opusChannelConfig);
  let off = 0;
  let t = pts;
  while (off + 2 <= n) {
    // control_header_prefix: 11 bits 0x3FF
    if (payload[off] !== 0x7f || (payload[off + 1] & 0xe0) !== 0xe0) break;
    const flags = payload[off + 1];
    let p = off + 2;
    let size = 0;
    for (;;) {
      if (p >= n) break;
      const b = payload[p++];
      size += b;
      if (b !== 0xff) break;
    }
    if (flags & 0x10) p += 2; // start_trim
    if (flags & 0x08) p += 2; // end_trim
    if (flags & 0x04) {
      if (p >= n) break;
      p += 1 + payload[p]; // control_extension_length + bytes
    }
    if (size === 0 || p + size > n) break;
    const packet = payload.subarray(p, p + size);
    out.push({ kind: 'audio', codec: 'opus', pid: es.pid, pts: t, dts: t, data: packet, keyframe: true, config: es.config, sampleRate: OPUS_CLOCK_RATE, channels });
    let samples = 960;
    try {
      samples = opusPacketSamples(packet);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
    t += Math.round((samples * HZ) / OPUS_CLOCK_RATE);
    off = p + size;
  }
  if (off < n) es.droppedBytes += n - off;
  return out;
}
