import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { CodecError } from './bit-reader.js';
import {
  parseAvcConfig, buildAvcConfig, parseAvcSps, avcProfileName, avcProfileDetail, avcLevelName,
  splitNalus, avcToAnnexB, avcNaluType, AvcNaluType,
} from './avc.js';
import { classifyVideo } from './flv-tag.js';
import { FlvDemuxer } from './flv.js';

/** Real SPS written by libx264 (FFmpeg 5.1) and what ffprobe reports; regenerate with test/fixtures/gen-kernel-fixtures.ts --sps */
const X264_SPS: { name: string; hex: string; width: number; height: number; profile: number; level: number;
  chroma: number; depth: number; frameMbsOnly: boolean; fps: number | undefined; profileName: string; levelName: string }[] = [
  { name: 'baseline 320x240', hex: '6742c00dd90141fb011000000300100000030320f142a480', width: 320, height: 240, profile: 66, level: 13, chroma: 1, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'Baseline', levelName: '1.3' },
  { name: 'main 1280x720', hex: '674d401feca02802ddff80018002080000030008000003019078c18cb0', width: 1280, height: 720, profile: 77, level: 31, chroma: 1, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'Main', levelName: '3.1' },
  { name: 'high 1920x1080 (cropped from 1088)', hex: '67640028acd940780227e5ffc000c00104000003000400000300c83c60c658', width: 1920, height: 1080, profile: 100, level: 40, chroma: 1, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'High', levelName: '4' },
  { name: 'high 642x362 (crop both ways)', hex: '6764001eacd940a42fe224ffc0b500f0c4000003000400000300c83c58b658', width: 642, height: 362, profile: 100, level: 30, chroma: 1, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'High', levelName: '3' },
  { name: 'high 4:2:2', hex: '677a001ebcd940a02ff89ffc000c001040000003004000000c83c58b6580', width: 640, height: 360, profile: 122, level: 30, chroma: 2, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'High(422)', levelName: '3' },
  { name: 'high 4:4:4 predictive', hex: '67f4001e919b281405ff13ff80018002080000030008000003019078b16cb0', width: 640, height: 360, profile: 244, level: 30, chroma: 3, depth: 8, frameMbsOnly: true, fps: 25, profileName: 'High(444+Predictive)', levelName: '3' },
  { name: 'high 10', hex: '676e001ea6cd940a02ff97ff000300041000000300100000030320f162d960', width: 640, height: 360, profile: 110, level: 30, chroma: 1, depth: 10, frameMbsOnly: true, fps: 25, profileName: 'High(10)', levelName: '3' },
  { name: 'high interlaced 720x576', hex: '6764001eacd940b424dff8008000788000000300800000190f8a14cb', width: 720, height: 576, profile: 100, level: 30, chroma: 1, depth: 8, frameMbsOnly: false, fps: 25, profileName: 'High', levelName: '3' },
  { name: 'high 29.97 fps', hex: '6764001eacd940a02ff97ff00030004100000303e90000ea600f162d96', width: 640, height: 360, profile: 100, level: 30, chroma: 1, depth: 8, frameMbsOnly: true, fps: 30000 / 1001, profileName: 'High', levelName: '3' },
];

for (const c of X264_SPS) {
  test(`SPS from libx264: ${c.name}`, () => {
    const sps = parseAvcSps(Buffer.from(c.hex, 'hex'));
    assert.equal(sps.width, c.width);
    assert.equal(sps.height, c.height);
    assert.equal(sps.profileIdc, c.profile);
    assert.equal(sps.levelIdc, c.level);
    assert.equal(sps.chromaFormatIdc, c.chroma);
    assert.equal(sps.bitDepthLuma, c.depth);
    assert.equal(sps.frameMbsOnly, c.frameMbsOnly);
    assert.ok(sps.fps !== undefined && Math.abs(sps.fps - c.fps!) < 1e-9, `fps ${sps.fps}`);
    assert.equal(avcProfileName(sps.profileIdc), c.profileName);
    assert.equal(avcLevelName(sps.levelIdc), c.levelName);
  });
}

test('profile names with their constraint flags (H.264 Annex A), beside SRS\'s profile_idc name', () => {
  // libx264 -profile baseline writes constraint_set0 and constraint_set1 (0xc0): Constrained Baseline
  const baseline = parseAvcSps(Buffer.from(X264_SPS[0].hex, 'hex'));
  assert.equal(baseline.constraintFlags, 0xc0);
  assert.equal(avcProfileName(baseline.profileIdc), 'Baseline');
  assert.equal(avcProfileDetail(baseline.profileIdc, baseline.constraintFlags), 'Constrained Baseline');
  assert.equal(avcProfileDetail(66, 0x80), 'Baseline');
  assert.equal(avcProfileDetail(100, 0), 'High');
  assert.equal(avcProfileDetail(100, 0x08), 'Progressive High');
  assert.equal(avcProfileDetail(100, 0x0c), 'Constrained High');
  assert.equal(avcProfileDetail(110, 0x10), 'High 10 Intra');
  assert.equal(avcProfileDetail(244, 0), 'High 4:4:4 Predictive');
  assert.equal(avcProfileDetail(1, 0), 'Other');
});

test('profile and level names as SRS reports them', () => {
  assert.equal(avcProfileName(66), 'Baseline');
  assert.equal(avcProfileName(110), 'High(10)');
  assert.equal(avcProfileName(144), 'High(444)');
  assert.equal(avcProfileName(1), 'Other');
  assert.equal(avcLevelName(10), '1');
  assert.equal(avcLevelName(51), '5.1');
  // every level of H.264 Table A-1
  const table: [number, string][] = [
    [10, '1'], [11, '1.1'], [12, '1.2'], [13, '1.3'], [20, '2'], [21, '2.1'], [22, '2.2'], [30, '3'], [31, '3.1'],
    [32, '3.2'], [40, '4'], [41, '4.1'], [42, '4.2'], [50, '5'], [51, '5.1'], [52, '5.2'], [60, '6'], [61, '6.1'], [62, '6.2'],
  ];
  for (const [idc, name] of table) assert.equal(avcLevelName(idc), name, `level_idc ${idc}`);
  // level 1b: level_idc 9 (High profiles), or 11 + constraint_set3_flag in Baseline/Main/Extended (A.3.1)
  assert.equal(avcLevelName(9), '1b');
  assert.equal(avcLevelName(11, 66, 0x10), '1b');
  assert.equal(avcLevelName(11, 77, 0x50), '1b');
  assert.equal(avcLevelName(11, 100, 0x10), '1.1'); // constraint_set3 means intra in High 10/4:2:2/4:4:4, not 1b
  assert.equal(avcLevelName(11, 66, 0x40), '1.1');
  assert.equal(avcLevelName(14), 'Other');
  assert.equal(avcLevelName(63), 'Other');
  assert.equal(avcLevelName(0), 'Other');
});

/** minimal MSB-first bit writer for synthetic NALUs */
class BitWriter {
  bits: number[] = [];
  u(n: number, v: number) { for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) & 1); return this; }
  ue(v: number) { const x = v + 1; const len = Math.floor(Math.log2(x)); this.u(len, 0); this.u(len + 1, x); return this; }
  se(v: number) { return this.ue(v > 0 ? 2 * v - 1 : -2 * v); }
  bytes(): Buffer {
    this.u(1, 1); // rbsp_stop_one_bit
    while (this.bits.length % 8) this.bits.push(0);
    const out = Buffer.alloc(this.bits.length / 8);
    for (let i = 0; i < this.bits.length; i++) out[i >> 3] |= this.bits[i] << (7 - (i & 7));
    return out;
  }
}

/** escape an RBSP into NAL payload bytes (insert 03 after 00 00 before 00..03) */
function escape(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) { out.push(3); zeros = 0; }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

test('synthetic High 4:4:4 SPS with scaling lists, poc type 1, separate colour planes, cropping and escapes', () => {
  const w = new BitWriter()
    .u(8, 244).u(8, 0).u(8, 0) // profile, constraints, level 0 (forces 00 00 escapes below)
    .ue(0) // sps id
    .ue(3).u(1, 0) // chroma 4:4:4, no separate planes
    .ue(2).ue(2) // 10-bit
    .u(1, 0) // qpprime
    .u(1, 1); // seq_scaling_matrix_present
  for (let i = 0; i < 12; i++) {
    w.u(1, 1);
    const size = i < 6 ? 16 : 64;
    // deltas: a few non-zero values, then jump to 0 (end of list: use default)
    for (let j = 0; j < size; j++) {
      if (j === 5) { w.se(-8); break; } // last_scale is 8 here: next_scale 0 ends the list early
      w.se(j % 2 ? 3 : -2);
    }
  }
  w.ue(0) // log2_max_frame_num_minus4
    .ue(1).u(1, 0).se(-(2 ** 29)).se(2).ue(3).se(1).se(-1).se(5) // poc type 1 with a 3-entry cycle; the long code makes 00 00 0x bytes
    .ue(4).u(1, 0) // refs, gaps
    .ue(39).ue(22) // 640 x 368 in MBs
    .u(1, 1).u(1, 1) // frame_mbs_only, direct_8x8
    .u(1, 1).ue(1).ue(2).ue(3).ue(4) // crop (unit 1x1 for 4:4:4)
    .u(1, 0); // no VUI
  const nal = Buffer.concat([Buffer.from([0x67]), escape(w.bytes())]);
  assert.ok(nal.includes(Buffer.from([0, 0, 3])), 'the synthetic SPS exercises emulation prevention');
  const sps = parseAvcSps(nal);
  assert.equal(sps.profileIdc, 244);
  assert.equal(sps.chromaFormatIdc, 3);
  assert.equal(sps.bitDepthLuma, 10);
  assert.equal(sps.width, 640 - 3);
  assert.equal(sps.height, 368 - 7);
  assert.equal(sps.fps, undefined);
});

function fixtureVideoTags(): Buffer[] {
  const flv = readKernelFixture('h264-aac-160x120.flv');
  return new FlvDemuxer().push(flv).filter((t) => t.type === 9).map((t) => t.body);
}

test('AVCDecoderConfigurationRecord from FFmpeg: parse, SPS inside, and rebuild', () => {
  const [seq] = fixtureVideoTags();
  const tag = classifyVideo(seq);
  assert.equal(tag.sequenceStart, true);
  const cfg = parseAvcConfig(tag.data);
  assert.equal(cfg.profile, 100);
  assert.equal(cfg.naluLengthSize, 4);
  assert.equal(cfg.sps.length, 1);
  assert.equal(cfg.pps.length, 1);
  assert.equal(avcNaluType(cfg.sps[0]), AvcNaluType.Sps);
  assert.equal(avcNaluType(cfg.pps[0]), AvcNaluType.Pps);
  const sps = parseAvcSps(cfg.sps[0]);
  assert.equal(sps.width, 160);
  assert.equal(sps.height, 120);
  assert.equal(avcProfileName(cfg.profile), 'High');

  const rebuilt = parseAvcConfig(buildAvcConfig(cfg.sps, cfg.pps, 2));
  assert.deepEqual(rebuilt.sps, cfg.sps);
  assert.deepEqual(rebuilt.pps, cfg.pps);
  assert.equal(rebuilt.naluLengthSize, 2);
  assert.equal(rebuilt.level, cfg.level);
  assert.equal(rebuilt.chromaFormat, 1);
  assert.equal(rebuilt.bitDepthLuma, 8);
  assert.throws(() => buildAvcConfig([], cfg.pps), CodecError);
});

test('parseAvcConfig rejects malformed records', () => {
  assert.throws(() => parseAvcConfig(Buffer.from([1, 100, 0, 30, 0xff])), /too short/);
  assert.throws(() => parseAvcConfig(Buffer.from([2, 100, 0, 30, 0xff, 0xe1, 0, 4])), /configurationVersion/);
  assert.throws(() => parseAvcConfig(Buffer.from([1, 100, 0, 30, 0xff, 0xe1, 0, 9, 0x67])), /bad SPS length/);
  assert.throws(() => parseAvcConfig(Buffer.from([1, 100, 0, 30, 0xfe, 0xe0, 0])), /lengthSizeMinusOne/);
});

test('splitNalus and AVCC -> Annex B with AUD and SPS/PPS before IDR', () => {
  const tags = fixtureVideoTags();
  const cfg = parseAvcConfig(classifyVideo(tags[0]).data);
  const idr = classifyVideo(tags[1]);
  assert.equal(idr.keyframe, true);
  const nalus = splitNalus(idr.data, 4);
  assert.ok(nalus.some((n) => avcNaluType(n) === AvcNaluType.Idr));
  const frame = avcToAnnexB(idr.data, 4, cfg);
  assert.equal(frame.randomAccess, true);
  const bytes = Buffer.concat(frame.chunks);
  assert.equal(bytes.length, frame.byteLength);
  // AUD, SPS, PPS, then the frame's own NALUs
  assert.deepEqual([...bytes.subarray(0, 6)], [0, 0, 0, 1, 0x09, 0xf0]);
  const expectStart = Buffer.concat([Buffer.from([0, 0, 0, 1, 9, 0xf0, 0, 0, 1]), cfg.sps[0], Buffer.from([0, 0, 1]), cfg.pps[0]]);
  assert.deepEqual(bytes.subarray(0, expectStart.length), expectStart);
  assert.equal(bytes.length, 6 + 3 + cfg.sps[0].length + 3 + cfg.pps[0].length + nalus.reduce((a, n) => a + 3 + n.length, 0));
  // chunks point into the tag body: no copies of NALU payloads
  assert.ok(frame.chunks.some((c) => c.buffer === idr.data.buffer && c.byteOffset >= idr.data.byteOffset));

  const inter = classifyVideo(tags[2]);
  const f2 = avcToAnnexB(inter.data, 4, cfg);
  assert.equal(f2.randomAccess, false);
  const b2 = Buffer.concat(f2.chunks);
  assert.deepEqual([...b2.subarray(0, 7)], [0, 0, 0, 1, 9, 0xf0, 0]);
  assert.ok(!b2.includes(cfg.sps[0]), 'no SPS before a non-IDR frame');
});

test('Annex B keeps the publisher AUD first and does not duplicate parameter sets', () => {
  const aud = Buffer.from([0x09, 0x10]);
  const sps = Buffer.from([0x67, 1, 2]);
  const pps = Buffer.from([0x68, 3]);
  const idr = Buffer.from([0x65, 0x88, 0x84]);
  const lp = (...ns: Buffer[]) => Buffer.concat(ns.flatMap((n) => [Buffer.from([0, n.length]), n]));
  const a = Buffer.concat(avcToAnnexB(lp(aud, idr), 2, { sps: [sps], pps: [pps] }).chunks);
  assert.deepEqual(a, Buffer.from([0, 0, 0, 1, 9, 0x10, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 0x88, 0x84]));
  const b = Buffer.concat(avcToAnnexB(lp(sps, pps, idr), 2, { sps: [sps], pps: [pps] }, false).chunks);
  assert.deepEqual(b, Buffer.from([0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 0x88, 0x84]));
  assert.throws(() => splitNalus(Buffer.from([0, 0, 0, 9, 1]), 4), /exceeds/);
  assert.throws(() => splitNalus(Buffer.from([0, 0, 1]), 4), /truncated/);
  assert.deepEqual(splitNalus(Buffer.from([0, 0, 0, 0, 0, 1, 7]), 2).map((n) => [...n]), [[7]]);
});
