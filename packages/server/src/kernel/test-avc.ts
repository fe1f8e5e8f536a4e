/**
 * A synthetic H.264 stream for tests: an FLV/RTMP AVC sequence header with a real SPS/PPS
 * (Baseline 640x128) and frames of one NALU of any size, so memory bounds can be exercised
 * with megabyte frames without an encoder.
 */
import { buildHevcConfig } from './hevc.js';

/** FLV video tag body: AVC sequence header (AVCDecoderConfigurationRecord). */
export const TEST_AVC_HEADER = Buffer.from([
  0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x0d, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8, 0x80,
  0x00, 0x00, 0x01, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80,
]);

/** FLV video tag body of `size` bytes: one IDR (key) or non-IDR slice NALU, cts 0. */
export function testAvcFrame(size: number, key: boolean): Buffer {
  const b = Buffer.alloc(size, 0x11);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1; // NALU
  b.writeUInt32BE(size - 9, 5);
  b[9] = key ? 0x65 : 0x41;
  return b;
}

/**
 * FLV video tag body (legacy codec id 12, as SRS and FFmpeg forks send H.265): an HEVC sequence
 * header whose HEVCDecoderConfigurationRecord holds a libx265 VPS/SPS/PPS (Main, 642x362).
 */
export const TEST_HEVC_HEADER = Buffer.concat([
  Buffer.from([0x1c, 0x00, 0, 0, 0]),
  buildHevcConfig(
    [Buffer.from('40010c01ffff01600000030090000003000003003f928090', 'hex')],
    [Buffer.from('42010101600000030090000003000003003fa005120171c926592a4932bc05a02000000300200000030321', 'hex')],
    [Buffer.from('4401c172b46240', 'hex')],
  ),
]);
