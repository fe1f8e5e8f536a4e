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
