/**
 * Opus: the identification header "OpusHead" (RFC 7845 5.1), which is also the
 * enhanced-RTMP Opus sequence start and the fMP4/WebM codec private data, and
 * the packet's TOC byte and framing (RFC 6716 3.1-3.2): configuration, stereo
 * flag, frame count and duration in 48 kHz samples.
 *
 * Every parser throws only CodecError, bounded by the input length.
 */
import { CodecError } from './bit-reader.js';

/** Opus always decodes at 48 kHz; RTP and packet durations count in this clock. */
export const OPUS_CLOCK_RATE = 48000;

const MAGIC = Buffer.from('OpusHead', 'latin1');
const HEAD_SIZE = 19;

export interface OpusHead {
  /** the version byte; 1 today, any value with major version (upper 4 bits) 0 is accepted */
  version: number;
  /** output channel count, 1..255 */
  channels: number;
  /** samples (48 kHz) to discard from the decoder output at the start */
  preSkip: number;
  /** the sample rate of the encoder's input, informational (0 = unknown) */
  inputSampleRate: number;
  /** output gain in Q7.8 dB (signed) */
  outputGain: number;
  /** 0 (mono/stereo, RTP mapping), 1 (Vorbis order), 255 (undefined), ... */
  mappingFamily: number;
  /** streams in each packet (family 0: 1) */
  streamCount: number;
  /** streams of them that are stereo (family 0: channels - 1) */
  coupledCount: number;
  /** output channel -> decoded channel, 255 = silence (family 0: [0] or [0, 1]) */
  channelMapping: number[];
}

/** Parses an OpusHead ID header; bytes after it are ignored (RFC 7845 5.1 allows extensions). */
export function parseOpusHead(data: Uint8Array): OpusHead {
  const err = (m: string) => new CodecError('opus-head', m);
  if (data.length < HEAD_SIZE) throw err(`ID header too short (${data.length} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) throw err('no "OpusHead" magic');
  const version = data[8];
  if (version >> 4 !== 0) throw err(`unsupported major version ${version >> 4}`);
  const channels = data[9];
  if (channels === 0) throw err('channel count 0');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const preSkip = dv.getUint16(10, true);
  const inputSampleRate = dv.getUint32(12, true);
  const outputGain = dv.getInt16(16, true);
  const mappingFamily = data[18];
  if (mappingFamily === 0) {
    if (channels > 2) throw err(`mapping family 0 with ${channels} channels`);
    return {
      version, channels, preSkip, inputSampleRate, outputGain, mappingFamily,
      streamCount: 1, coupledCount: channels - 1, channelMapping: channels === 1 ? [0] : [0, 1],
    };
  }
  if (data.length < HEAD_SIZE + 2 + channels) throw err(`channel mapping table truncated (${channels} channels)`);
  const streamCount = data[19];
  const coupledCount = data[20];
  if (streamCount === 0) throw err('stream count 0');
  if (coupledCount > streamCount) throw err(`coupled count ${coupledCount} above stream count ${streamCount}`);
  if (streamCount + coupledCount > 255) throw err('more than 255 decoded channels');
  const channelMapping: number[] = [];
  for (let i = 0; i < channels; i++) {
    const m = data[21 + i];
    if (m !== 255 && m >= streamCount + coupledCount) throw err(`channel ${i} maps to ${m}, beyond ${streamCount + coupledCount} decoded channels`);
    channelMapping.push(m);
  }
  return { version, channels, preSkip, inputSampleRate, outputGain, mappingFamily, streamCount, coupledCount, channelMapping };
}

export interface OpusHeadInit {
  channels: number;
  preSkip?: number;
  inputSampleRate?: number;
  outputGain?: number;
  /** default 0 (needs 1 or 2 channels) */
  mappingFamily?: number;
  /** family != 0 only */
  streamCount?: number;
  coupledCount?: number;
  channelMapping?: readonly number[];
}

/** Builds an OpusHead ID header (19 bytes for family 0, 21 + channels otherwise). */
export function buildOpusHead(init: OpusHeadInit): Buffer {
  const family = init.mappingFamily ?? 0;
  const { channels } = init;
  if (!Number.isInteger(channels) || channels < 1 || channels > 255 || (family === 0 && channels > 2)) {
    throw new CodecError('opus-head', `cannot write ${channels} channels with mapping family ${family}`);
  }
  const extra = family === 0 ? 0 : 2 + channels;
  const out = Buffer.alloc(HEAD_SIZE + extra);
  MAGIC.copy(out, 0);
  out[8] = 1;
  out[9] = channels;
  out.writeUInt16LE(init.preSkip ?? 3840, 10);
  out.writeUInt32LE(init.inputSampleRate ?? OPUS_CLOCK_RATE, 12);
  out.writeInt16LE(init.outputGain ?? 0, 16);
  out[18] = family;
  if (family !== 0) {
    const mapping = init.channelMapping ?? [];
    if (mapping.length !== channels) throw new CodecError('opus-head', `channel mapping has ${mapping.length} entries for ${channels} channels`);
    out[19] = init.streamCount ?? 0;
    out[20] = init.coupledCount ?? 0;
    mapping.forEach((m, i) => (out[21 + i] = m));
    parseOpusHead(out); // the same checks as for a received header
  }
  return out;
}

// ---------------------------------------------------------------------------
// TOC byte and packet framing (RFC 6716 3.1, 3.2)
// ---------------------------------------------------------------------------

export type OpusMode = 'silk' | 'hybrid' | 'celt';
export type OpusBandwidth = 'nb' | 'mb' | 'wb' | 'swb' | 'fb';

export interface OpusToc {
  /** configuration number 0..31 (Table 2) */
  config: number;
  mode: OpusMode;
  bandwidth: OpusBandwidth;
  /** duration of each frame in 48 kHz samples: 120 (2.5 ms) .. 2880 (60 ms) */
  frameSamples: number;
  stereo: boolean;
  /** frame count code c: 0 one frame, 1 two equal frames, 2 two frames, 3 an arbitrary number */
  code: 0 | 1 | 2 | 3;
}

const SILK_SAMPLES = [480, 960, 1920, 2880];
const HYBRID_SAMPLES = [480, 960];
const CELT_SAMPLES = [120, 240, 480, 960];
const SILK_BW: OpusBandwidth[] = ['nb', 'mb', 'wb'];
const CELT_BW: OpusBandwidth[] = ['nb', 'wb', 'swb', 'fb'];

/** Reads the TOC byte (RFC 6716 3.1). */
export function parseOpusToc(toc: number): OpusToc {
  const config = (toc >> 3) & 0x1f;
  const stereo = (toc & 4) !== 0;
  const code = (toc & 3) as 0 | 1 | 2 | 3;
  if (config < 12) return { config, mode: 'silk', bandwidth: SILK_BW[config >> 2], frameSamples: SILK_SAMPLES[config & 3], stereo, code };
  if (config < 16) return { config, mode: 'hybrid', bandwidth: config < 14 ? 'swb' : 'fb', frameSamples: HYBRID_SAMPLES[config & 1], stereo, code };
  return { config, mode: 'celt', bandwidth: CELT_BW[(config - 16) >> 2], frameSamples: CELT_SAMPLES[config & 3], stereo, code };
}

export interface OpusPacketInfo extends OpusToc {
  /** number of frames in the packet (1..48) */
  frameCount: number;
  /** packet duration in 48 kHz samples (at most 5760 = 120 ms) */
  samples: number;
  /** compressed size of each frame in bytes (0 = a dropped frame / DTX) */
  frameSizes: number[];
}

/** The longest packet RFC 6716 allows: 120 ms. */
const MAX_PACKET_SAMPLES = 5760;
/** A frame is at most 1275 bytes (RFC 6716 3.2.1). */
const MAX_FRAME_BYTES = 1275;

/**
 * Parses an Opus packet's framing (RFC 6716 3.2) and checks requirements R1-R7:
 * frame count, sizes and duration. The frames themselves are not decoded.
 */
export function parseOpusPacket(packet: Uint8Array): OpusPacketInfo {
  const err = (m: string) => new CodecError('opus', m);
  const n = packet.length;
  if (n < 1) throw err('empty packet'); // R1
  const toc = parseOpusToc(packet[0]);
  let off = 1;
  // a frame length: one byte below 252, else two (RFC 6716 3.2.1)
  const readLength = (): number => {
    if (off >= n) throw err('frame length truncated');
    const b0 = packet[off++];
    if (b0 < 252) return b0;
    if (off >= n) throw err('frame length truncated');
    return packet[off++] * 4 + b0;
  };
  let frameSizes: number[];
  switch (toc.code) {
    case 0:
      frameSizes = [n - 1];
      break;
    case 1:
      if ((n - 1) % 2 !== 0) throw err('code 1 packet with an odd payload length'); // R3
      frameSizes = [(n - 1) / 2, (n - 1) / 2];
      break;
    case 2: {
      const first = readLength();
      if (first > n - off) throw err(`first frame of ${first} bytes exceeds the packet`); // R4
      frameSizes = [first, n - off - first];
      break;
    }
    default: {
      if (n < 2) throw err('code 3 packet without a frame count byte'); // R6
      const fc = packet[off++];
      const vbr = (fc & 0x80) !== 0;
      const padded = (fc & 0x40) !== 0;
      const m = fc & 0x3f;
      if (m === 0) throw err('code 3 packet with 0 frames'); // R5
      if (m * toc.frameSamples > MAX_PACKET_SAMPLES) throw err(`${m} frames exceed 120 ms`); // R5
      let padding = 0;
      if (padded) {
        for (;;) {
          if (off >= n) throw err('padding length truncated');
          const p = packet[off++];
          padding += p === 255 ? 254 : p;
          if (p !== 255) break;
        }
      }
      frameSizes = [];
      if (vbr) {
        let sum = 0;
        for (let i = 0; i < m - 1; i++) {
          const len = readLength();
          frameSizes.push(len);
          sum += len;
        }
        const last = n - off - padding - sum;
        if (last < 0) throw err('frame lengths exceed the packet'); // R7
        frameSizes.push(last);
      } else {
        const room = n - off - padding;
        if (room < 0 || room % m !== 0) throw err(`CBR payload of ${room} bytes for ${m} frames`); // R6
        for (let i = 0; i < m; i++) frameSizes.push(room / m);
      }
    }
  }
  for (const s of frameSizes) if (s > MAX_FRAME_BYTES) throw err(`frame of ${s} bytes (max ${MAX_FRAME_BYTES})`); // R2
  const frameCount = frameSizes.length;
  return { ...toc, frameCount, samples: frameCount * toc.frameSamples, frameSizes };
}

/** Packet duration in 48 kHz samples (RFC 6716 3.2); throws CodecError on a malformed packet. */
export function opusPacketSamples(packet: Uint8Array): number {
  return parseOpusPacket(packet).samples;
}
