import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CodecError } from './bit-reader.js';
import {
  annexBToLengthPrefixed, avcConfigFromNalus, hevcConfigFromNalus, lengthPrefixedToAnnexB, nalusToAnnexB,
  nalusToLengthPrefixed, parameterSetsOf, splitAnnexB,
} from './annexb.js';
import { parseAvcConfig, splitNalus } from './avc.js';
import { classifyVideo } from './flv-tag.js';
import { parseHevcConfig, parseHevcSps, hevcNaluType } from './hevc.js';
import { ffmpegInput, needFfmpeg, packetsOf, readKernelFixture, withTmp } from '../../test/fixtures/kernel-media.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('splitAnnexB: 3- and 4-byte start codes, emulation prevention kept, trailing zeros dropped, subarrays', () => {
  const data = Buffer.from([
    0xaa, 0x00, // garbage before the first start code
    0, 0, 0, 1, 0x67, 1, 2,
    0, 0, 1, 0x68, 0, 0, 3, 1, 0, // 00 00 03 stays; the trailing zero belongs to the next start code
    0, 0, 1, 0, 0, 1, // an empty NAL unit
    0x65, 9, 0, 0, // trailing_zero_8bits
  ]);
  const nalus = splitAnnexB(data);
  assert.deepEqual(nalus.map(hex), ['670102', '6800000301', '6509']);
  for (const n of nalus) assert.equal(n.buffer, data.buffer, 'a subarray of the input, not a copy');
  assert.equal(nalus[1].byteOffset - data.byteOffset, 12);
  assert.deepEqual(splitAnnexB(Buffer.from([1, 2, 3, 0, 0, 2])), []);
  assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
  assert.deepEqual(splitAnnexB(Buffer.from([0, 0, 1])), []);
  // a start code right at the end, and one split by nothing else
  assert.deepEqual(splitAnnexB(Buffer.from([0, 0, 1, 0x09, 0xf0, 0, 0, 1])).map(hex), ['09f0']);
});

test('Annex B <-> length-prefixed: every frame of an FFmpeg FLV reproduces its bytes', () => {
  let frames = 0;
  for (const p of packetsOf(readKernelFixture('h264-aac-160x120.flv'))) {
    if (p.kind !== 'video' || p.sequenceHeader) continue;
    const avcc = classifyVideo(p.body).data;
    const annexB = lengthPrefixedToAnnexB(avcc);
    assert.deepEqual(splitAnnexB(annexB).map(hex), splitNalus(avcc, 4).map(hex));
    assert.ok(annexBToLengthPrefixed(annexB).equals(avcc), `frame at ${p.dts} ms`);
    frames++;
  }
  assert.ok(frames > 20, `${frames} frames`);
});

test('length sizes: 1/2-byte lengths written and checked, a too long NAL unit is a CodecError', () => {
  const nalus = [Buffer.from([0x41, 1, 2]), Buffer.from([0x41, 3])];
  assert.equal(hex(nalusToLengthPrefixed(nalus, 2)), '0003410102' + '00024103');
  assert.equal(hex(nalusToLengthPrefixed(nalus, 1)), '03410102' + '024103');
  assert.equal(hex(nalusToAnnexB(nalus)), '00000001410102' + '000000014103');
  assert.throws(() => nalusToLengthPrefixed([Buffer.alloc(256, 1)], 1), CodecError);
  assert.throws(() => nalusToLengthPrefixed(nalus, 3), CodecError);
  assert.throws(() => lengthPrefixedToAnnexB(Buffer.from([0, 0, 0, 9, 1])), CodecError);
});

test('AVCDecoderConfigurationRecord from SPS/PPS NAL units equals the one FFmpeg wrote', () => {
  const seq = packetsOf(readKernelFixture('h264-aac-160x120.flv')).find((p) => p.kind === 'video' && p.sequenceHeader)!;
  const record = classifyVideo(seq.body).data;
  const cfg = parseAvcConfig(record);
  // as they arrive in an Annex B stream: AUD, SPS, PPS, SEI, IDR slice
  const stream = nalusToAnnexB([Buffer.from([0x09, 0xf0]), ...cfg.sps, ...cfg.pps, Buffer.from([0x06, 5, 1, 0x80]), Buffer.from([0x65, 0x88])]);
  assert.equal(hex(avcConfigFromNalus(splitAnnexB(stream))), hex(record));
  assert.throws(() => avcConfigFromNalus(cfg.sps), CodecError, 'no PPS');
});

test('HEVCDecoderConfigurationRecord from the VPS/SPS/PPS of a libx265 stream', needFfmpeg, () => withTmp((dir) => {
  const file = join(dir, 'in.hevc');
  const nalus = splitAnnexB(ffmpegInput(file, ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '30',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=10', '-f', 'hevc']));
  const ps = parameterSetsOf(nalus, 'h265');
  // libx265 repeats the parameter sets at every keyframe: kept once
  assert.deepEqual([ps.vps.length, ps.sps.length, ps.pps.length], [1, 1, 1]);
  assert.ok(nalus.filter((n) => hevcNaluType(n) === 33).length >= 3);
  const cfg = parseHevcConfig(hevcConfigFromNalus(nalus));
  assert.deepEqual([cfg.vps.map(hex), cfg.sps.map(hex), cfg.pps.map(hex)], [ps.vps.map(hex), ps.sps.map(hex), ps.pps.map(hex)]);
  const sps = parseHevcSps(ps.sps[0]);
  assert.equal(cfg.generalProfileIdc, sps.generalProfileIdc);
  assert.equal(cfg.generalLevelIdc, sps.generalLevelIdc);
  assert.equal(cfg.naluLengthSize, 4);
  assert.equal(sps.width, 320);
  assert.throws(() => hevcConfigFromNalus([...ps.sps, ...ps.pps]), CodecError, 'no VPS');
}));
