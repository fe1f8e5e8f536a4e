/**
 * Audio: AAC AudioSpecificConfig (ISO/IEC 14496-3
 * 1.6.2.1), ADTS headers for MPEG-TS (ISO/IEC 13818-7 / 14496-3 1.A.2) and MP3
 * frame headers (ISO/IEC 11172-3 / 13818-3) for the .mp3 mount and TS.
 */
import { BitReader, CodecError } from './bit-reader.js';

// ---------------------------------------------------------------------------
// AudioSpecificConfig
// ---------------------------------------------------------------------------

export const AacObjectType = { Main: 1, LC: 2, SSR: 3, LTP: 4, HE: 5, HEv2: 29 } as const;

export const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
] as const;

export interface AacConfig {
  /** the first audioObjectType of the config (5 = HE/SBR, 29 = HEv2/PS when signalled explicitly) */
  objectType: number;
  /** the underlying codec object type (2 for HE-AAC, else objectType) */
  coreObjectType: number;
  /** 0..12, or 15 with an explicit rate */
  samplingFrequencyIndex: number;
  /** core sample rate in Hz */
  sampleRate: number;
  /** output sample rate when SBR is signalled explicitly, else = sampleRate */
  extensionSampleRate: number;
  /** 0 = defined in a program config element */
  channelConfig: number;
  /** channel count (config 7 is 7.1 = 8 channels), 0 when unknown */
  channels: number;
  sbr: boolean;
  ps: boolean;
}

function readObjectType(r: BitReader): number {
  const t = r.readBits(5);
  return t === 31 ? 32 + r.readBits(6) : t;
}

function readSampleRate(r: BitReader): [index: number, rate: number] {
  const idx = r.readBits(4);
  if (idx === 15) return [idx, r.readBits(24)];
  if (idx >= AAC_SAMPLE_RATES.length) throw new CodecError('asc', `reserved samplingFrequencyIndex ${idx}`);
  return [idx, AAC_SAMPLE_RATES[idx]];
}

/** Parses an AudioSpecificConfig (the AAC sequence header payload). */
export function parseAudioSpecificConfig(data: Uint8Array): AacConfig {
  if (data.length < 2) throw new CodecError('asc', `AudioSpecificConfig too short (${data.length} bytes)`);
  const r = new BitReader(data, 0, data.length, 'asc');
  const objectType = readObjectType(r);
  if (objectType === 0) throw new CodecError('asc', 'audioObjectType 0 (null)');
  const [samplingFrequencyIndex, sampleRate] = readSampleRate(r);
  if (sampleRate === 0) throw new CodecError('asc', 'sample rate 0');
  const channelConfig = r.readBits(4);
  if (channelConfig > 7) throw new CodecError('asc', `reserved channelConfiguration ${channelConfig}`);
  let coreObjectType = objectType;
  let extensionSampleRate = sampleRate;
  let sbr = false;
  let ps = false;
  if (objectType === AacObjectType.HE || objectType === AacObjectType.HEv2) {
    sbr = true;
    ps = objectType === AacObjectType.HEv2;
    extensionSampleRate = readSampleRate(r)[1];
    coreObjectType = readObjectType(r);
  }
  return {
    objectType, coreObjectType, samplingFrequencyIndex, sampleRate, extensionSampleRate, channelConfig,
    channels: channelConfig === 7 ? 8 : channelConfig, sbr, ps,
  };
}

/** Builds a 2-byte AudioSpecificConfig (object type < 31, rate from the table). */
export function buildAudioSpecificConfig(objectType: number, sampleRate: number, channelConfig: number): Buffer {
  const idx = AAC_SAMPLE_RATES.indexOf(sampleRate as (typeof AAC_SAMPLE_RATES)[number]);
  if (objectType < 1 || objectType > 30 || idx < 0 || channelConfig > 7) {
    throw new CodecError('asc', `cannot build config for type ${objectType} ${sampleRate} Hz ${channelConfig} ch`);
  }
  return Buffer.from([(objectType << 3) | (idx >> 1), ((idx & 1) << 7) | (channelConfig << 3)]);
}

const AAC_PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'LC', 3: 'SSR', 5: 'HE', 29: 'HEv2' };

/** SRS's AAC profile string for the object type: "LC", "HE", "HEv2", "Main", "SSR", else "Other". */
export function aacProfileName(objectType: number): string {
  return AAC_PROFILE_NAMES[objectType] ?? 'Other';
}

// ---------------------------------------------------------------------------
// ADTS
// ---------------------------------------------------------------------------

export const ADTS_HEADER_SIZE = 7;

/**
 * Writes a 7-byte ADTS header (MPEG-4, no CRC) for a raw AAC frame of
 * `payloadLength` bytes. HE-AAC is written as LC at the core rate (implicit
 * SBR signalling), as SRS and FFmpeg do, because the 2-bit ADTS profile
 * cannot express object types above 4.
 */
export function writeAdtsHeader(out: Uint8Array, offset: number, config: AacConfig, payloadLength: number): void {
  const frameLength = payloadLength + ADTS_HEADER_SIZE;
  if (frameLength > 0x1fff) throw new CodecError('adts', `AAC frame too large for ADTS (${payloadLength} bytes)`);
  if (config.samplingFrequencyIndex > 12) throw new CodecError('adts', 'explicit sample rates cannot be written to ADTS');
  const t = config.coreObjectType;
  const profile = t >= 1 && t <= 4 ? t - 1 : 1;
  const sfi = config.samplingFrequencyIndex;
  const ch = config.channelConfig;
  out[offset] = 0xff;
  out[offset + 1] = 0xf1; // syncword, MPEG-4, layer 0, protection_absent
  out[offset + 2] = (profile << 6) | (sfi << 2) | ((ch >> 2) & 1);
  out[offset + 3] = ((ch & 3) << 6) | (frameLength >> 11);
  out[offset + 4] = (frameLength >> 3) & 0xff;
  out[offset + 5] = ((frameLength & 7) << 5) | 0x1f; // buffer fullness 0x7ff (VBR)
  out[offset + 6] = 0xfc; // number_of_raw_data_blocks_in_frame 0
}

export function buildAdtsHeader(config: AacConfig, payloadLength: number): Buffer {
  const b = Buffer.allocUnsafe(ADTS_HEADER_SIZE);
  writeAdtsHeader(b, 0, config, payloadLength);
  return b;
}

// ---------------------------------------------------------------------------
// MP3 (MPEG-1/2/2.5 audio layer I/II/III) frame header
// ---------------------------------------------------------------------------

export interface Mp3FrameHeader {
  /** 1 MPEG-1, 2 MPEG-2, 2.5 MPEG-2.5 */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  /** kbit/s, 0 for free format */
  bitrate: number;
  sampleRate: number;
  channels: 1 | 2;
  samplesPerFrame: number;
  padding: boolean;
  /** bytes including the header, 0 when unknown (free format) */
  frameLength: number;
}

const MP3_BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES_V1 = [44100, 48000, 32000];

/** Parses the 4-byte MPEG audio frame header at `offset`. */
export function parseMp3FrameHeader(data: Uint8Array, offset = 0): Mp3FrameHeader {
  const err = (m: string) => new CodecError('mp3', m);
  if (data.length - offset < 4) throw err('frame header too short');
  const b1 = data[offset + 1];
  const b2 = data[offset + 2];
  const b3 = data[offset + 3];
  if (data[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) throw err('no frame sync');
  const v = (b1 >> 3) & 3;
  if (v === 1) throw err('reserved version');
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const l = (b1 >> 1) & 3;
  if (l === 0) throw err('reserved layer');
  const layer = (4 - l) as 1 | 2 | 3;
  const bi = b2 >> 4;
  if (bi === 15) throw err('bad bitrate index');
  const si = (b2 >> 2) & 3;
  if (si === 3) throw err('reserved sample rate');
  const sampleRate = MP3_RATES_V1[si] / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const bitrate = MP3_BITRATES[`${version === 1 ? 1 : 2}-${layer}`][bi];
  const padding = ((b2 >> 1) & 1) === 1;
  const channels = (b3 >> 6) === 3 ? 1 : 2;
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 ? 1152 : version === 1 ? 1152 : 576;
  let frameLength = 0;
  if (bitrate > 0) {
    frameLength = layer === 1
      ? (Math.floor((12 * bitrate * 1000) / sampleRate) + (padding ? 1 : 0)) * 4
      : Math.floor(((samplesPerFrame / 8) * bitrate * 1000) / sampleRate) + (padding ? 1 : 0);
  }
  return { version, layer, bitrate, sampleRate, channels, samplesPerFrame, padding, frameLength };
}
