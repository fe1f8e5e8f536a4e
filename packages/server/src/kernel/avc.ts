/**
 * H.264/AVC: AVCDecoderConfigurationRecord (ISO/IEC
 * 14496-15 5.3.3), SPS (ISO/IEC 14496-10 7.3.2.1), NALU iteration over
 * length-prefixed (AVCC) data and conversion to Annex B for MPEG-TS.
 *
 * FLV tag headers are read by the classifier (flv-tag.ts), not here.
 */
import { BitReader, CodecError, unescapeRbsp } from './bit-reader.js';

// ---------------------------------------------------------------------------
// NAL units
// ---------------------------------------------------------------------------

export const AvcNaluType = {
  NonIdr: 1, Idr: 5, Sei: 6, Sps: 7, Pps: 8, Aud: 9, EndOfSequence: 10, Filler: 12,
} as const;

export function avcNaluType(nalu: Uint8Array): number {
  return nalu[0] & 0x1f;
}

/**
 * Splits length-prefixed NAL units (AVCC/HVCC sample data) into subarrays of
 * `data` (no copies). Zero-length units are skipped.
 */
export function splitNalus(data: Buffer, naluLengthSize: number): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  const n = data.length;
  while (off < n) {
    if (off + naluLengthSize > n) throw new CodecError('nalu', 'truncated NALU length');
    const len = data.readUIntBE(off, naluLengthSize);
    off += naluLengthSize;
    if (len > n - off) throw new CodecError('nalu', `NALU length ${len} exceeds ${n - off} remaining bytes`);
    if (len > 0) out.push(data.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** The codec-specific bits the Annex B converter needs (H.264 here, H.265 in hevc.ts). */
export interface NalSyntax {
  type(firstByte: number): number;
  isAud(type: number): boolean;
  isParamSet(type: number): boolean;
  /** IDR (H.264) or IRAP (H.265): needs parameter sets in front of it */
  isRandomAccess(type: number): boolean;
  /** a complete access unit delimiter NALU, with a 4-byte start code */
  audWithStartCode: Buffer;
}

export const AVC_NAL_SYNTAX: NalSyntax = {
  type: (b) => b & 0x1f,
  isAud: (t) => t === 9,
  isParamSet: (t) => t === 7 || t === 8,
  isRandomAccess: (t) => t === 5,
  // primary_pic_type 7 (any slice type) + rbsp stop bit
  audWithStartCode: Buffer.from([0, 0, 0, 1, 0x09, 0xf0]),
};

const START_CODE_4 = Buffer.from([0, 0, 0, 1]);
const START_CODE_3 = Buffer.from([0, 0, 1]);

/** An access unit in Annex B form as a list of chunks to be copied once into the output. */
export interface AnnexBFrame {
  chunks: Uint8Array[];
  byteLength: number;
  /** the frame contains an IDR/IRAP NALU */
  randomAccess: boolean;
}

export interface AnnexBOptions {
  /** insert an AUD first when the frame has none (needed by some TS players; SRS does it) */
  aud?: boolean;
  /** parameter sets (SPS/PPS or VPS/SPS/PPS, without start codes) to insert before an IDR frame that lacks them */
  paramSets?: readonly Uint8Array[];
}

/**
 * Converts one length-prefixed access unit to Annex B. Returns chunks that
 * point into `data` and shared start codes; nothing is copied here.
 */
export function toAnnexB(data: Buffer, naluLengthSize: number, syntax: NalSyntax, opts: AnnexBOptions = {}): AnnexBFrame {
  return nalUnitsToAnnexB(splitNalus(data, naluLengthSize), syntax, opts);
}

/** One access unit's NAL units (a MediaFrame's `nalUnits`) in Annex B, as chunks (no copy). */
export function nalUnitsToAnnexB(nalus: readonly Uint8Array[], syntax: NalSyntax, opts: AnnexBOptions = {}): AnnexBFrame {
  let hasAud = false;
  let hasParams = false;
  let randomAccess = false;
  for (let i = 0; i < nalus.length; i++) {
    const t = syntax.type(nalus[i][0]);
    if (syntax.isAud(t)) hasAud = true;
    else if (syntax.isParamSet(t)) hasParams = true;
    else if (syntax.isRandomAccess(t)) randomAccess = true;
  }
  const chunks: Uint8Array[] = [];
  let byteLength = 0;
  let i = 0;
  if (hasAud && nalus.length > 0 && syntax.isAud(syntax.type(nalus[0][0]))) {
    // keep the publisher's AUD first
    chunks.push(START_CODE_4, nalus[0]);
    byteLength += 4 + nalus[0].length;
    i = 1;
  } else if (opts.aud && !hasAud) {
    chunks.push(syntax.audWithStartCode);
    byteLength += syntax.audWithStartCode.length;
  }
  if (randomAccess && !hasParams && opts.paramSets) {
    for (const ps of opts.paramSets) {
      chunks.push(START_CODE_3, ps);
      byteLength += 3 + ps.length;
    }
  }
  for (; i < nalus.length; i++) {
    // the first NALU of the access unit gets a 4-byte start code (zero_byte), others 3 bytes
    const sc = byteLength === 0 ? START_CODE_4 : START_CODE_3;
    chunks.push(sc, nalus[i]);
    byteLength += sc.length + nalus[i].length;
  }
  return { chunks, byteLength, randomAccess };
}

/** H.264 AVCC -> Annex B (AUD + SPS/PPS before IDR by default). */
export function avcToAnnexB(data: Buffer, naluLengthSize: number, config?: Pick<AvcConfig, 'sps' | 'pps'>, aud = true): AnnexBFrame {
  return toAnnexB(data, naluLengthSize, AVC_NAL_SYNTAX, {
    aud,
    paramSets: config ? [...config.sps, ...config.pps] : undefined,
  });
}

// ---------------------------------------------------------------------------
// AVCDecoderConfigurationRecord
// ---------------------------------------------------------------------------

export interface AvcConfig {
  profile: number;
  compatibility: number;
  level: number;
  /** 1, 2 or 4 */
  naluLengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** present for high profiles when the record carries the extension */
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
}

const HIGH_PROFILES_WITH_CHROMA = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an AVCDecoderConfigurationRecord; SPS/PPS are subarrays of `data`. */
export function parseAvcConfig(data: Buffer): AvcConfig {
  const err = (m: string) => new CodecError('avcc', m);
  if (data.length < 7) throw err(`record too short (${data.length} bytes)`);
  if (data[0] !== 1) throw err(`unsupported configurationVersion ${data[0]}`);
  const profile = data[1];
  const compatibility = data[2];
  const level = data[3];
  const naluLengthSize = (data[4] & 3) + 1;
  if (naluLengthSize === 3) throw err('invalid lengthSizeMinusOne 2');
  let off = 5;
  const readList = (count: number, what: string): Buffer[] => {
    const list: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (off + 2 > data.length) throw err(`truncated ${what} length`);
      const len = data.readUInt16BE(off);
      off += 2;
      if (len === 0 || off + len > data.length) throw err(`bad ${what} length ${len}`);
      list.push(data.subarray(off, off + len));
      off += len;
    }
    return list;
  };
  const sps = readList(data[off++] & 0x1f, 'SPS');
  if (off >= data.length) throw err('missing PPS count');
  const pps = readList(data[off++], 'PPS');
  const cfg: AvcConfig = { profile, compatibility, level, naluLengthSize, sps, pps };
  // optional high-profile extension (many muxers omit it)
  if (HIGH_PROFILES_WITH_CHROMA.has(profile) && off + 4 <= data.length) {
    cfg.chromaFormat = data[off] & 3;
    cfg.bitDepthLuma = (data[off + 1] & 7) + 8;
    cfg.bitDepthChroma = (data[off + 2] & 7) + 8;
  }
  return cfg;
}

/** Builds an AVCDecoderConfigurationRecord from SPS/PPS NALUs (no start codes). */
export function buildAvcConfig(sps: readonly Uint8Array[], pps: readonly Uint8Array[], naluLengthSize = 4): Buffer {
  if (sps.length === 0 || sps[0].length < 4) throw new CodecError('avcc', 'need at least one SPS');
  if (sps.length > 31 || pps.length > 255) throw new CodecError('avcc', 'too many parameter sets');
  if (![1, 2, 4].includes(naluLengthSize)) throw new CodecError('avcc', `bad NALU length size ${naluLengthSize}`);
  const s0 = sps[0];
  const profile = s0[1];
  let ext: Buffer | undefined;
  if (HIGH_PROFILES_WITH_CHROMA.has(profile)) {
    const info = parseAvcSps(s0);
    ext = Buffer.from([
      0xfc | info.chromaFormatIdc,
      0xf8 | (info.bitDepthLuma - 8),
      0xf8 | (info.bitDepthChroma - 8),
      0,
    ]);
  }
  let size = 6 + 1 + (ext?.length ?? 0);
  for (const s of sps) size += 2 + s.length;
  for (const p of pps) size += 2 + p.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = 1;
  out[1] = profile;
  out[2] = s0[2];
  out[3] = s0[3];
  out[4] = 0xfc | (naluLengthSize - 1);
  out[5] = 0xe0 | sps.length;
  let off = 6;
  for (const s of sps) {
    out.writeUInt16BE(s.length, off);
    out.set(s, off + 2);
    off += 2 + s.length;
  }
  out[off++] = pps.length;
  for (const p of pps) {
    out.writeUInt16BE(p.length, off);
    out.set(p, off + 2);
    off += 2 + p.length;
  }
  if (ext) ext.copy(out, off);
  return out;
}

// ---------------------------------------------------------------------------
// Sequence parameter set
// ---------------------------------------------------------------------------

export interface AvcSps {
  profileIdc: number;
  /** constraint_set0..5 flags byte */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  /** display size after cropping */
  width: number;
  height: number;
  /** sample aspect ratio from the VUI (1:1 when absent) */
  sarWidth: number;
  sarHeight: number;
  /** frames per second from VUI timing (time_scale / (2 * num_units_in_tick)), when present */
  fps: number | undefined;
}

const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.readSE();
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (including its 1-byte NAL header). */
export function parseAvcSps(nalu: Uint8Array): AvcSps {
  if (nalu.length < 4) throw new CodecError('sps', 'SPS too short');
  if ((nalu[0] & 0x1f) !== AvcNaluType.Sps) throw new CodecError('sps', `not an SPS (nal type ${nalu[0] & 0x1f})`);
  const rbsp = unescapeRbsp(nalu, 1);
  const r = new BitReader(rbsp, 0, rbsp.length, 'sps');
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUE();
  if (spsId > 31) throw new CodecError('sps', `bad seq_parameter_set_id ${spsId}`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES_WITH_CHROMA.has(profileIdc)) {
    chromaFormatIdc = r.readUE();
    if (chromaFormatIdc > 3) throw new CodecError('sps', `bad chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = r.readUE() + 8;
    bitDepthChroma = r.readUE() + 8;
    if (bitDepthLuma > 14 || bitDepthChroma > 14) throw new CodecError('sps', 'bad bit depth');
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.readUE(); // log2_max_frame_num_minus4
  const pocType = r.readUE();
  if (pocType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) throw new CodecError('sps', `bad num_ref_frames_in_pic_order_cnt_cycle ${cycle}`);
    for (let i = 0; i < cycle; i++) r.readSE();
  } else if (pocType !== 2) {
    throw new CodecError('sps', `bad pic_order_cnt_type ${pocType}`);
  }
  r.readUE(); // max_num_ref_frames
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUE() + 1;
  const heightMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  let cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
  if (r.readFlag()) {
    cropLeft = r.readUE();
    cropRight = r.readUE();
    cropTop = r.readUE();
    cropBottom = r.readUE();
  }
  // crop units, Table 6-1 and equations 7-19..7-22
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 3 ? 1 : 2;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0 || widthMbs > 4096 || heightMapUnits > 4096) {
    throw new CodecError('sps', `bad picture size ${width}x${height}`);
  }

  let sarWidth = 1, sarHeight = 1;
  let fps: number | undefined;
  // VUI is optional and sometimes truncated by encoders: size and profile are kept if it is cut short
  if (r.bitsLeft > 0 && r.readFlag()) {
    try {
      if (r.readFlag()) {
        const idc = r.readBits(8);
        if (idc === 255) {
          sarWidth = r.readBits(16);
          sarHeight = r.readBits(16);
        } else if (idc > 0 && idc < SAR_TABLE.length) {
          [sarWidth, sarHeight] = SAR_TABLE[idc];
        }
      }
      if (r.readFlag()) r.skipBits(1); // overscan
      if (r.readFlag()) {
        r.skipBits(4); // video_format, video_full_range_flag
        if (r.readFlag()) r.skipBits(24); // colour description
      }
      if (r.readFlag()) {
        r.readUE();
        r.readUE(); // chroma sample locations
      }
      if (r.readFlag()) {
        const unitsInTick = r.readBits(32);
        const timeScale = r.readBits(32);
        if (unitsInTick > 0 && timeScale > 0) fps = timeScale / (2 * unitsInTick);
      }
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  }
  return {
    profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma,
    frameMbsOnly, width, height, sarWidth, sarHeight, fps,
  };
}

// ---------------------------------------------------------------------------
// Names as SRS reports them in its HTTP API
// ---------------------------------------------------------------------------

const AVC_PROFILE_NAMES: Record<number, string> = {
  66: 'Baseline', 77: 'Main', 88: 'Extended', 100: 'High', 110: 'High(10)', 122: 'High(422)',
  144: 'High(444)', 244: 'High(444+Predictive)',
};

/**
 * SRS's profile string for profile_idc (the avcC's AVCProfileIndication): "Baseline", "Main",
 * "High", "High(10)"..., "Other" for an unknown value. SRS names the profile_idc alone, so a
 * Constrained Baseline stream is "Baseline" there; avcProfileDetail() tells the constraints.
 */
export function avcProfileName(profileIdc: number): string {
  return AVC_PROFILE_NAMES[profileIdc] ?? 'Other';
}

/**
 * The profile as ITU-T H.264 Annex A names it, from profile_idc and the constraint flags byte
 * that follows it in the SPS (constraint_set0_flag is 0x80 ... constraint_set5_flag 0x04):
 * "Constrained Baseline" (66 with constraint_set1, A.2.1.1), "Progressive High" and
 * "Constrained High" (100 with constraint_set4, and set5, A.2.4.1/A.2.4.2), the Intra profiles
 * (constraint_set3 with 110/122/244, A.2.8-A.2.10), "CAVLC 4:4:4 Intra" (44); "Other" if unknown.
 */
export function avcProfileDetail(profileIdc: number, constraintFlags = 0): string {
  const set1 = (constraintFlags & 0x40) !== 0;
  const set3 = (constraintFlags & 0x10) !== 0;
  const set4 = (constraintFlags & 0x08) !== 0;
  const set5 = (constraintFlags & 0x04) !== 0;
  switch (profileIdc) {
    case 66: return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77: return 'Main';
    case 88: return 'Extended';
    case 100: return set4 ? (set5 ? 'Constrained High' : 'Progressive High') : 'High';
    case 110: return set3 ? 'High 10 Intra' : 'High 10';
    case 122: return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 144: return 'High 4:4:4';
    case 244: return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44: return 'CAVLC 4:4:4 Intra';
    default: return 'Other';
  }
}

/** level_idc values of ITU-T H.264 Table A-1 (9 is level 1b in the High profiles, A.3.1/A.3.3). */
const AVC_LEVELS = new Set([9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62]);

/**
 * The level as SRS prints it: level_idc 31 -> "3.1", 30 -> "3", unknown -> "Other".
 * Level 1b (H.264 Table A-1) is level_idc 9, or level_idc 11 with constraint_set3_flag (0x10 of
 * the constraint byte) in the Baseline, Main and Extended profiles (A.3.1); pass `profileIdc` and
 * `constraintFlags` (the byte after profile_idc in the SPS or avcC) to tell it from level 1.1.
 */
export function avcLevelName(levelIdc: number, profileIdc?: number, constraintFlags?: number): string {
  if (!AVC_LEVELS.has(levelIdc)) return 'Other';
  if (levelIdc === 9) return '1b';
  if (levelIdc === 11 && constraintFlags !== undefined && constraintFlags & 0x10 && (profileIdc === 66 || profileIdc === 77 || profileIdc === 88)) {
    return '1b';
  }
  const major = Math.floor(levelIdc / 10);
  const minor = levelIdc % 10;
  return minor ? `${major}.${minor}` : `${major}`;
}
