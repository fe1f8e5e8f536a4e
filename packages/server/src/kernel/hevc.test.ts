import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from './bit-reader.js';
import {
  parseHevcConfig, buildHevcConfig, parseHevcSps, hevcProfileName, hevcLevelName,
  hevcToAnnexB, hevcNaluType, HevcNaluType,
} from './hevc.js';

// VPS/SPS/PPS written by libx265 (FFmpeg 5.1) for 642x362; ffprobe: Main / level 63 and Rext (4:4:4) / level 63
const MAIN = {
  vps: Buffer.from('40010c01ffff01600000030090000003000003003f928090', 'hex'),
  sps: Buffer.from('42010101600000030090000003000003003fa005120171c926592a4932bc05a02000000300200000030321', 'hex'),
  pps: Buffer.from('4401c172b46240', 'hex'),
};
const REXT_444 = {
  vps: Buffer.from('40010c01ffff0408000003009e0800000300003f928090', 'hex'),
  sps: Buffer.from('4201010408000003009e0800000300003f9000a2402e39e7cb2549265780b7020200040000030004000003006420', 'hex'),
  pps: Buffer.from('4401c172860c4624', 'hex'),
};

test('HEVC SPS from libx265: Main 4:2:0 with conformance window', () => {
  const sps = parseHevcSps(MAIN.sps);
  assert.equal(sps.width, 642);
  assert.equal(sps.height, 362);
  assert.equal(sps.generalProfileIdc, 1);
  assert.equal(sps.generalLevelIdc, 63);
  assert.equal(sps.chromaFormatIdc, 1);
  assert.equal(sps.bitDepthLuma, 8);
  assert.equal(hevcProfileName(sps.generalProfileIdc), 'Main');
  assert.equal(hevcLevelName(sps.generalLevelIdc), '2.1');
});

test('HEVC SPS from libx265: Rext 4:4:4', () => {
  const sps = parseHevcSps(REXT_444.sps);
  assert.equal(sps.width, 642);
  assert.equal(sps.height, 362);
  assert.equal(sps.chromaFormatIdc, 3);
  assert.equal(hevcProfileName(sps.generalProfileIdc), 'Rext');
});

test('names as SRS reports them', () => {
  assert.equal(hevcProfileName(2), 'Main10');
  assert.equal(hevcProfileName(3), 'Main Still Picture');
  assert.equal(hevcProfileName(9), 'Other');
  // every level of H.265 Table A.8
  const table: [number, string][] = [
    [30, '1'], [60, '2'], [63, '2.1'], [90, '3'], [93, '3.1'], [120, '4'], [123, '4.1'], [150, '5'], [153, '5.1'],
    [156, '5.2'], [180, '6'], [183, '6.1'], [186, '6.2'], [255, '8.5'],
  ];
  for (const [idc, name] of table) assert.equal(hevcLevelName(idc), name, `general_level_idc ${idc}`);
  assert.equal(hevcLevelName(31), 'Other');
  assert.equal(hevcLevelName(0), 'Other');
  assert.equal(hevcLevelName(189), 'Other');
});

test('hvcC build and parse round trip', () => {
  const rec = buildHevcConfig([MAIN.vps], [MAIN.sps], [MAIN.pps]);
  const cfg = parseHevcConfig(rec);
  assert.equal(cfg.generalProfileIdc, 1);
  assert.equal(cfg.generalLevelIdc, 63);
  assert.equal(cfg.naluLengthSize, 4);
  assert.equal(cfg.chromaFormat, 1);
  assert.equal(cfg.bitDepthLuma, 8);
  assert.deepEqual(cfg.vps, [MAIN.vps]);
  assert.deepEqual(cfg.sps, [MAIN.sps]);
  assert.deepEqual(cfg.pps, [MAIN.pps]);
  assert.deepEqual(cfg.arrays.map((a) => a.type), [32, 33, 34]);
  // the constraint flags of the record are the SPS's
  assert.deepEqual(cfg.generalConstraintIndicatorFlags, parseHevcSps(MAIN.sps).generalConstraintIndicatorFlags);
  assert.throws(() => parseHevcConfig(rec.subarray(0, 22)), /too short/);
  assert.throws(() => parseHevcConfig(rec.subarray(0, rec.length - 1)), CodecError);
});


test('HVCC -> Annex B inserts AUD and VPS/SPS/PPS before IRAP only', () => {
  const cfg = parseHevcConfig(buildHevcConfig([MAIN.vps], [MAIN.sps], [MAIN.pps]));
  const idr = Buffer.from([0x26, 0x01, 0xaf]); // IDR_W_RADL
  const trail = Buffer.from([0x02, 0x01, 0xd0]); // TRAIL_R
  const lp = (n: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, n.length]), n]);
  assert.equal(hevcNaluType(idr), HevcNaluType.IdrWRadl);
  const f = hevcToAnnexB(lp(idr), 4, cfg);
  assert.equal(f.randomAccess, true);
  const b = Buffer.concat(f.chunks);
  const sc = Buffer.from([0, 0, 1]);
  assert.deepEqual(b, Buffer.concat([Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]), sc, MAIN.vps, sc, MAIN.sps, sc, MAIN.pps, sc, idr]));
  const g = Buffer.concat(hevcToAnnexB(lp(trail), 4, cfg).chunks);
  assert.deepEqual(g, Buffer.concat([Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]), sc, trail]));
});
