/**
 * Annex B byte streams (ITU-T H.264 / H.265 Annex B) and their length-prefixed
 * form (AVCC/HVCC sample data, ISO/IEC 14496-15), both ways, plus the decoder
 * configuration records built from parameter-set NAL units.
 *
 * NAL units are returned as subarrays of the input (no copies); emulation
 * prevention bytes (00 00 03) are left as they are, since both forms carry the
 * escaped NAL unit. Conversions that change the framing write one new Buffer.
 */
import { CodecError } from './bit-reader.js';
import { AvcNaluType, avcNaluType, buildAvcConfig, splitNalus } from './avc.js';
import { buildHevcConfig, HevcNaluType, hevcNaluType } from './hevc.js';

/**
 * Splits an Annex B byte stream into NAL units (subarrays of `data`).
 *
 * Start codes are 00 00 01 or 00 00 00 01; bytes before the first start code
 * (leading_zero_8bits or garbage) are skipped, and zero bytes before a start
 * code or at the end (trailing_zero_8bits) are not part of a NAL unit (a NAL
 * unit never ends in 00: its RBSP ends with the stop bit). Empty NAL units are
 * dropped. Never throws; no start code at all gives an empty list.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const n = data.length;
  let start = -1; // first byte of the current NAL unit
  let i = 0;
  while (i + 2 < n) {
    const b2 = data[i + 2];
    // no start code can begin at i, i+1 or i+2 when this byte is above 1
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && data[i + 1] === 0 && data[i] === 0) {
      if (start >= 0) pushNalu(out, data, start, i);
      start = i + 3;
      i += 3;
      continue;
    }
    i++;
  }
  if (start >= 0) pushNalu(out, data, start, n);
  return out;
}

function pushNalu(out: Buffer[], data: Buffer, start: number, end: number): void {
  while (end > start && data[end - 1] === 0) end--;
  if (end > start) out.push(data.subarray(start, end));
}

/** Length of NAL units written with `lengthSize`-byte prefixes. */
function prefixedLength(nalus: readonly Uint8Array[], lengthSize: number): number {
  let size = 0;
  for (const nalu of nalus) {
    if (lengthSize < 4 && nalu.length >= 2 ** (8 * lengthSize)) {
      throw new CodecError('nalu', `NAL unit of ${nalu.length} bytes does not fit a ${lengthSize}-byte length`);
    }
    size += lengthSize + nalu.length;
  }
  return size;
}

function checkLengthSize(lengthSize: number): void {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) throw new CodecError('nalu', `bad NAL unit length size ${lengthSize}`);
}

/**
 * Writes NAL units as length-prefixed sample data (big-endian lengths of
 * `lengthSize` bytes: 1, 2 or 4) into `out` at `offset`; returns the end offset.
 * `out` must have room for `lengthPrefixedSize(nalus, lengthSize)` bytes.
 */
/**
 * Whether `data` opens with an Annex B start code (00 00 01 or 00 00 00 01): some encoders put
 * Annex B byte streams where AVCC/HVCC length-prefixed NAL units belong (ISO/IEC 14496-15).
 */
export function startsWithStartCode(data: Uint8Array): boolean {
  return data.length >= 3 && data[0] === 0 && data[1] === 0 && (data[2] === 1 || (data[2] === 0 && data.length >= 4 && data[3] === 1));
}

export function writeLengthPrefixed(out: Buffer, offset: number, nalus: readonly Uint8Array[], lengthSize = 4): number {
  let off = offset;
  for (const nalu of nalus) {
    out.writeUIntBE(nalu.length, off, lengthSize);
    out.set(nalu, off + lengthSize);
    off += lengthSize + nalu.length;
  }
  return off;
}

/** Bytes that `writeLengthPrefixed` writes; throws CodecError when a NAL unit is too long for `lengthSize`. */
export function lengthPrefixedSize(nalus: readonly Uint8Array[], lengthSize = 4): number {
  checkLengthSize(lengthSize);
  return prefixedLength(nalus, lengthSize);
}

/** NAL units -> one length-prefixed (AVCC/HVCC) buffer. */
export function nalusToLengthPrefixed(nalus: readonly Uint8Array[], lengthSize = 4): Buffer {
  const out = Buffer.allocUnsafe(lengthPrefixedSize(nalus, lengthSize));
  writeLengthPrefixed(out, 0, nalus, lengthSize);
  return out;
}

/** Annex B -> length-prefixed (AVCC/HVCC) sample data, emulation prevention kept. */
export function annexBToLengthPrefixed(data: Buffer, lengthSize = 4): Buffer {
  return nalusToLengthPrefixed(splitAnnexB(data), lengthSize);
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** NAL units -> Annex B with a 4-byte start code before each. */
export function nalusToAnnexB(nalus: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const nalu of nalus) size += 4 + nalu.length;
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const nalu of nalus) {
    START_CODE.copy(out, off);
    out.set(nalu, off + 4);
    off += 4 + nalu.length;
  }
  return out;
}

/**
 * Length-prefixed (AVCC/HVCC) sample data -> Annex B (4-byte start codes).
 * Throws CodecError on a truncated or overlong length (see `splitNalus`).
 */
export function lengthPrefixedToAnnexB(data: Buffer, lengthSize = 4): Buffer {
  checkLengthSize(lengthSize);
  return nalusToAnnexB(splitNalus(data, lengthSize));
}

/** Parameter sets of an access unit or stream, in order of appearance, duplicates dropped. */
export interface ParameterSets {
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
}

function addUnique(list: Buffer[], nalu: Buffer): void {
  if (!list.some((x) => x.equals(nalu))) list.push(nalu);
}

/** The SPS/PPS (H.264) or VPS/SPS/PPS (H.265) NAL units among `nalus`. */
export function parameterSetsOf(nalus: readonly Buffer[], codec: 'h264' | 'h265'): ParameterSets {
  const ps: ParameterSets = { vps: [], sps: [], pps: [] };
  for (const nalu of nalus) {
    if (nalu.length === 0) continue;
    if (codec === 'h264') {
      const t = avcNaluType(nalu);
      if (t === AvcNaluType.Sps) addUnique(ps.sps, nalu);
      else if (t === AvcNaluType.Pps) addUnique(ps.pps, nalu);
    } else {
      const t = hevcNaluType(nalu);
      if (t === HevcNaluType.Vps) addUnique(ps.vps, nalu);
      else if (t === HevcNaluType.Sps) addUnique(ps.sps, nalu);
      else if (t === HevcNaluType.Pps) addUnique(ps.pps, nalu);
    }
  }
  return ps;
}

/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) from the SPS and PPS
 * NAL units found among `nalus` (other NAL units are ignored), 4-byte lengths.
 * Throws CodecError without an SPS or a PPS.
 */
export function avcConfigFromNalus(nalus: readonly Buffer[]): Buffer {
  const { sps, pps } = parameterSetsOf(nalus, 'h264');
  if (sps.length === 0 || pps.length === 0) throw new CodecError('avcc', 'an AVC configuration needs an SPS and a PPS');
  return buildAvcConfig(sps, pps, 4);
}

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) from the VPS, SPS
 * and PPS NAL units found among `nalus`, 4-byte lengths; profile/tier/level
 * come from the SPS. Throws CodecError when one of the three is missing.
 */
export function hevcConfigFromNalus(nalus: readonly Buffer[]): Buffer {
  const { vps, sps, pps } = parameterSetsOf(nalus, 'h265');
  if (vps.length === 0 || sps.length === 0 || pps.length === 0) {
    throw new CodecError('hvcc', 'an HEVC configuration needs a VPS, an SPS and a PPS');
  }
  return buildHevcConfig(vps, sps, pps, 4);
}
