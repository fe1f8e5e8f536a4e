/**
 * The latency probe: the publisher sends an AMF0 data message `onBenchTime <number>`
 * (its wall-clock send time, ms) once a second; players read only this message.
 */
import { encodeAmf0 } from '@tsrs/server/dist/src/kernel/amf0.js';

export const BENCH_TIME_NAME = 'onBenchTime';
const NAME = Buffer.from(BENCH_TIME_NAME, 'latin1');
/** string marker(1) + length(2) + name + number marker(1) + double(8) */
export const BENCH_TIME_SIZE = 3 + NAME.length + 1 + 8;

/** Wall-clock ms with sub-ms resolution, comparable between processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function encodeBenchTime(wallMs: number): Buffer {
  return encodeAmf0(BENCH_TIME_NAME, wallMs);
}

/** The send time in an `onBenchTime` payload at buf[off..off+len), else -1. No allocation. */
export function readBenchTime(buf: Buffer, off: number, len: number): number {
  if (len < BENCH_TIME_SIZE || buf[off] !== 0x02) return -1;
  if (buf.readUInt16BE(off + 1) !== NAME.length) return -1;
  for (let i = 0; i < NAME.length; i++) if (buf[off + 3 + i] !== NAME[i]) return -1;
  const p = off + 3 + NAME.length;
  if (buf[p] !== 0x00) return -1;
  return buf.readDoubleBE(p + 1);
}

/**
 * The same probe inside the video, for players that see no RTMP data messages (WebRTC): an
 * H.264 SEI NAL unit (type 6) with one user_data_unregistered message (payloadType 5, ITU-T
 * H.264 D.1.6): a 16-byte UUID ("tsrs-bench-clock"), then the wall-clock send time in ms as
 * ASCII decimal ("1764480000123.456"), then rbsp_trailing_bits (0x80). No byte of it is zero,
 * so it needs no emulation prevention and reads back byte for byte after any H.264 transport.
 */
export const SEI_UUID = Buffer.from('tsrs-bench-clock', 'latin1');
const SEI_NAL_TYPE = 6;
const USER_DATA_UNREGISTERED = 5;
/** NAL header + payloadType + payloadSize + UUID: where the digits start */
const SEI_DIGITS = 3 + SEI_UUID.length;
const MAX_DIGITS = 32;

/** One SEI NAL unit (no start code or length prefix) carrying `wallMs`. */
export function encodeSeiTime(wallMs: number): Buffer {
  const digits = Buffer.from(wallMs.toFixed(3), 'latin1');
  if (digits.length > MAX_DIGITS || digits.includes(0)) throw new Error(`wall clock ${wallMs} does not fit an SEI probe`);
  return Buffer.concat([Buffer.from([SEI_NAL_TYPE, USER_DATA_UNREGISTERED, SEI_UUID.length + digits.length]), SEI_UUID, digits, Buffer.from([0x80])]);
}

/** The send time in an SEI NAL unit at nal[off..off+len) made by `encodeSeiTime`, else -1. No allocation. */
export function readSeiTime(nal: Uint8Array, off: number, len: number): number {
  if (len < SEI_DIGITS + 2 || (nal[off] & 0x1f) !== SEI_NAL_TYPE || nal[off + 1] !== USER_DATA_UNREGISTERED) return -1;
  const size = nal[off + 2];
  if (size <= SEI_UUID.length || size - SEI_UUID.length > MAX_DIGITS || 3 + size >= len) return -1;
  for (let i = 0; i < SEI_UUID.length; i++) if (nal[off + 3 + i] !== SEI_UUID[i]) return -1;
  // the digits by hand: no string for every probe of every player
  let v = 0;
  let scale = 0;
  for (let p = off + SEI_DIGITS, end = off + 3 + size; p < end; p++) {
    const c = nal[p];
    if (c === 0x2e && scale === 0) scale = 1;
    else if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      if (scale) scale *= 10;
    } else return -1;
  }
  return scale ? v / scale : v;
}

/**
 * The probe in one H.264 RTP payload (RFC 6184): a single SEI NAL unit packet, or an SEI inside a
 * STAP-A (type 24); fragments (FU-A) and other NAL units are not probes. -1 when there is none.
 */
export function readRtpSeiTime(payload: Uint8Array): number {
  const type = payload[0] & 0x1f;
  if (type === SEI_NAL_TYPE) return readSeiTime(payload, 0, payload.length);
  if (type !== 24) return -1;
  for (let off = 1; off + 2 < payload.length; ) {
    const size = (payload[off] << 8) | payload[off + 1];
    off += 2;
    if (size === 0 || off + size > payload.length) return -1;
    if ((payload[off] & 0x1f) === SEI_NAL_TYPE) {
      const t = readSeiTime(payload, off, size);
      if (t >= 0) return t;
    }
    off += size;
  }
  return -1;
}
