/**
 * H.265/HEVC minimum for a media server: HEVCDecoderConfigurationRecord
 * (ISO/IEC 14496-15 8.3.3), SPS size/profile (ITU-T H.265 7.3.2.2) and
 * conversion to Annex B for MPEG-TS.
 */
import { BitReader, CodecError, unescapeRbsp } from './bit-reader.js';
import { toAnnexB, type AnnexBFrame, type NalSyntax } from './avc.js';

export const HevcNaluType = {
  /** IRAP pictures are 16..23 (BLA, IDR, CRA, reserved IRAP) */
  BlaWLp: 16, IdrWRadl: 19, IdrNLp: 20, Cra: 21,
  Vps: 32, Sps: 33, Pps: 34, Aud: 35, PrefixSei: 39, SuffixSei: 40,
} as const;

export function hevcNaluType(nalu: Uint8Array): number {
  return (nalu[0] >> 1) & 0x3f;
}

export const HEVC_NAL_SYNTAX: NalSyntax = {
  type: (b) => (b >> 1) & 0x3f,
  isAud: (t) => t === 35,
  isParamSet: (t) => t === 32 || t === 33 || t === 34,
  isRandomAccess: (t) => t >= 16 && t <= 23,
  // nal_unit_type 35, layer 0, tid 1; pic_type 2 (I/P/B) + rbsp stop bit
  audWithStartCode: Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]),
};

/** profile_tier_level() general part, as stored in the hvcC too */
export interface HevcProfileTierLevel {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  /** 48 bits: progressive/interlaced/non-packed/frame-only + 44 constraint bits */
  generalConstraintIndicatorFlags: Buffer;
  generalLevelIdc: number;
}

export interface HevcConfig extends HevcProfileTierLevel {
  minSpatialSegmentationIdc: number;
  parallelismType: number;
  chromaFormat: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  avgFrameRate: number;
  constantFrameRate: number;
  numTemporalLayers: number;
  temporalIdNested: number;
  /** 1, 2 or 4 */
  naluLengthSize: number;
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
  /** every array of the record in order, including SEI arrays */
  arrays: { type: number; completeness: boolean; nalus: Buffer[] }[];
}

/** Parses an HEVCDecoderConfigurationRecord; NALUs are subarrays of `data`. */
export function parseHevcConfig(data: Buffer): HevcConfig {
  const err = (m: string) => new CodecError('hvcc', m);
  if (data.length < 23) throw err(`record too short (${data.length} bytes)`);
  if (data[0] !== 1) throw err(`unsupported configurationVersion ${data[0]}`);
  const lengthSizeMinusOne = data[21] & 3;
  if (lengthSizeMinusOne === 2) throw err('invalid lengthSizeMinusOne 2');
  const cfg: HevcConfig = {
    generalProfileSpace: data[1] >> 6,
    generalTierFlag: (data[1] >> 5) & 1,
    generalProfileIdc: data[1] & 0x1f,
    generalProfileCompatibilityFlags: data.readUInt32BE(2),
    generalConstraintIndicatorFlags: data.subarray(6, 12),
    generalLevelIdc: data[12],
    minSpatialSegmentationIdc: data.readUInt16BE(13) & 0x0fff,
    parallelismType: data[15] & 3,
    chromaFormat: data[16] & 3,
    bitDepthLuma: (data[17] & 7) + 8,
    bitDepthChroma: (data[18] & 7) + 8,
    avgFrameRate: data.readUInt16BE(19),
    constantFrameRate: data[21] >> 6,
    numTemporalLayers: (data[21] >> 3) & 7,
    temporalIdNested: (data[21] >> 2) & 1,
    naluLengthSize: lengthSizeMinusOne + 1,
    vps: [], sps: [], pps: [], arrays: [],
  };
  const numArrays = data[22];
  let off = 23;
  for (let i = 0; i < numArrays; i++) {
    if (off + 3 > data.length) throw err('truncated NAL array header');
    const completeness = (data[off] & 0x80) !== 0;
    const type = data[off] & 0x3f;
    const count = data.readUInt16BE(off + 1);
    off += 3;
    const nalus: Buffer[] = [];
    for (let j = 0; j < count; j++) {
      if (off + 2 > data.length) throw err('truncated NALU length');
      const len = data.readUInt16BE(off);
      off += 2;
      if (len === 0 || off + len > data.length) throw err(`bad NALU length ${len}`);
      nalus.push(data.subarray(off, off + len));
      off += len;
    }
    cfg.arrays.push({ type, completeness, nalus });
    if (type === HevcNaluType.Vps) cfg.vps.push(...nalus);
    else if (type === HevcNaluType.Sps) cfg.sps.push(...nalus);
    else if (type === HevcNaluType.Pps) cfg.pps.push(...nalus);
  }
  return cfg;
}

export interface HevcSps extends HevcProfileTierLevel {
  spsId: number;
  maxSubLayers: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** display size after the conformance window */
  width: number;
  height: number;
}

function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): HevcProfileTierLevel {
  const generalProfileSpace = r.readBits(2);
  const generalTierFlag = r.readBit();
  const generalProfileIdc = r.readBits(5);
  const generalProfileCompatibilityFlags = r.readBits(32);
  const c = Buffer.allocUnsafe(6);
  c.writeUInt32BE(r.readBits(32), 0);
  c.writeUInt16BE(r.readBits(16), 4);
  const generalLevelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88);
    if (levelPresent[i]) r.skipBits(8);
  }
  return {
    generalProfileSpace, generalTierFlag, generalProfileIdc, generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags: c, generalLevelIdc,
  };
}

/** Parses the start of an HEVC SPS NAL unit (with its 2-byte NAL header): profile, level, size. */
export function parseHevcSps(nalu: Uint8Array): HevcSps {
  if (nalu.length < 3) throw new CodecError('hevc-sps', 'SPS too short');
  if (hevcNaluType(nalu) !== HevcNaluType.Sps) throw new CodecError('hevc-sps', `not an SPS (nal type ${hevcNaluType(nalu)})`);
  const rbsp = unescapeRbsp(nalu, 2);
  const r = new BitReader(rbsp, 0, rbsp.length, 'hevc-sps');
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new CodecError('hevc-sps', `bad sps_max_sub_layers_minus1 ${maxSubLayersMinus1}`);
  r.skipBits(1); // sps_temporal_id_nesting_flag
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.readUE();
  if (spsId > 15) throw new CodecError('hevc-sps', `bad sps_seq_parameter_set_id ${spsId}`);
  const chromaFormatIdc = r.readUE();
  if (chromaFormatIdc > 3) throw new CodecError('hevc-sps', `bad chroma_format_idc ${chromaFormatIdc}`);
  let separateColourPlane = false;
  if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
  const picWidth = r.readUE();
  const picHeight = r.readUE();
  let left = 0, right = 0, top = 0, bottom = 0;
  if (r.readFlag()) {
    left = r.readUE();
    right = r.readUE();
    top = r.readUE();
    bottom = r.readUE();
  }
  const bitDepthLuma = r.readUE() + 8;
  const bitDepthChroma = r.readUE() + 8;
  if (bitDepthLuma > 16 || bitDepthChroma > 16) throw new CodecError('hevc-sps', 'bad bit depth');
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = picWidth - subWidthC * (left + right);
  const height = picHeight - subHeightC * (top + bottom);
  if (width <= 0 || height <= 0 || picWidth > 65536 || picHeight > 65536) {
    throw new CodecError('hevc-sps', `bad picture size ${width}x${height}`);
  }
  return {
    ...ptl, spsId, maxSubLayers: maxSubLayersMinus1 + 1, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height,
  };
}

/**
 * Builds an HEVCDecoderConfigurationRecord from VPS/SPS/PPS NALUs (no start
 * codes); the general profile/tier/level fields come from the first SPS.
 */
export function buildHevcConfig(
  vps: readonly Uint8Array[], sps: readonly Uint8Array[], pps: readonly Uint8Array[], naluLengthSize = 4,
): Buffer {
  if (sps.length === 0) throw new CodecError('hvcc', 'need at least one SPS');
  if (![1, 2, 4].includes(naluLengthSize)) throw new CodecError('hvcc', `bad NALU length size ${naluLengthSize}`);
  const info = parseHevcSps(sps[0]);
  const arrays: [number, readonly Uint8Array[]][] = [[32, vps], [33, sps], [34, pps]];
  let size = 23;
  for (const [, list] of arrays) {
    if (list.length > 0xffff) throw new CodecError('hvcc', 'too many NALUs');
    size += 3;
    for (const n of list) size += 2 + n.length;
  }
  const out = Buffer.alloc(size);
  out[0] = 1;
  out[1] = (info.generalProfileSpace << 6) | (info.generalTierFlag << 5) | info.generalProfileIdc;
  out.writeUInt32BE(info.generalProfileCompatibilityFlags >>> 0, 2);
  info.generalConstraintIndicatorFlags.copy(out, 6);
  out[12] = info.generalLevelIdc;
  out.writeUInt16BE(0xf000, 13); // min_spatial_segmentation_idc 0
  out[15] = 0xfc; // parallelismType 0 (unknown)
  out[16] = 0xfc | info.chromaFormatIdc;
  out[17] = 0xf8 | (info.bitDepthLuma - 8);
  out[18] = 0xf8 | (info.bitDepthChroma - 8);
  out.writeUInt16BE(0, 19); // avgFrameRate unknown
  // constantFrameRate 0, numTemporalLayers, temporalIdNested 0, lengthSizeMinusOne
  out[21] = (info.maxSubLayers << 3) | (naluLengthSize - 1);
  out[22] = arrays.length;
  let off = 23;
  for (const [type, list] of arrays) {
    out[off] = 0x80 | type; // array_completeness 1
    out.writeUInt16BE(list.length, off + 1);
    off += 3;
    for (const n of list) {
      out.writeUInt16BE(n.length, off);
      out.set(n, off + 2);
      off += 2 + n.length;
    }
  }
  return out;
}

/** HVCC sample -> Annex B (AUD + VPS/SPS/PPS before IRAP pictures by default). */
export function hevcToAnnexB(
  data: Buffer, naluLengthSize: number, config?: Pick<HevcConfig, 'vps' | 'sps' | 'pps'>, aud = true,
): AnnexBFrame {
  return toAnnexB(data, naluLengthSize, HEVC_NAL_SYNTAX, {
    aud,
    paramSets: config ? [...config.vps, ...config.sps, ...config.pps] : undefined,
  });
}

const HEVC_PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'Main10', 3: 'Main Still Picture', 4: 'Rext' };

/** SRS's HEVC profile string ("Main", "Main10", ...). */
export function hevcProfileName(profileIdc: number): string {
  return HEVC_PROFILE_NAMES[profileIdc] ?? 'Other';
}

/** general_level_idc values of ITU-T H.265 Table A.8 (255 is level 8.5, "no level limits"). */
const HEVC_LEVELS = new Set([30, 60, 63, 90, 93, 120, 123, 150, 153, 156, 180, 183, 186, 255]);

/** The HEVC level as SRS prints it: general_level_idc = 30 x level, 93 -> "3.1"; unknown -> "Other". */
export function hevcLevelName(levelIdc: number): string {
  if (!HEVC_LEVELS.has(levelIdc)) return 'Other';
  if (levelIdc === 255) return '8.5';
  const major = Math.floor(levelIdc / 30);
  const minor = (levelIdc % 30) / 3;
  return minor ? `${major}.${minor}` : `${major}`;
}
