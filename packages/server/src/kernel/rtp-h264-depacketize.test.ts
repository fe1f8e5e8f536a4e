import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H264Depacketizer } from './rtp-h264-depacketize.js';
import { packetizeH264 } from './rtp-h264.js';

const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const nal = (type: number, size: number, fill: number) => Buffer.concat([Buffer.from([0x60 | type]), Buffer.alloc(size - 1, fill)]);

/** Packetizes access units with tsrs's packetizer and numbers the packets from `seq`. */
function packets(units: Buffer[][], seq = 65530) {
  return units.flatMap((au, i) =>
    packetizeH264(au, i * 3600, { maxPayload: 1000 }).map((p, j, all) => ({ ...p, marker: j === all.length - 1 })),
  ).map((p, i) => ({ ...p, seq: (seq + i) & 0xffff }));
}

test('single NAL units, STAP-A and FU-A come back as the access units that went in', () => {
  const units = [[sps, pps, nal(5, 4000, 1)], [nal(1, 300, 2)], [nal(1, 2500, 3), nal(1, 40, 4)]];
  const d = new H264Depacketizer();
  const out = packets(units).flatMap((p) => d.push(p.payload, p.seq, p.timestamp, p.marker));
  assert.equal(out.length, 3);
  assert.deepEqual(out.map((u) => u.nalus.map((n) => n.toString('hex'))), units.map((au) => au.map((n) => n.toString('hex'))));
  assert.deepEqual(out.map((u) => [u.timestamp, u.keyframe]), [[0, true], [3600, false], [7200, false]]);
  assert.equal(d.needKeyframe, false);
});

test('an access unit ends at a new timestamp even without its marker', () => {
  const d = new H264Depacketizer();
  const ps = packets([[sps, pps, nal(5, 100, 1)], [nal(1, 100, 2)]]).map((p) => ({ ...p, marker: false }));
  const out = ps.flatMap((p) => d.push(p.payload, p.seq, p.timestamp, p.marker));
  assert.equal(out.length, 1);
  assert.equal(out[0].keyframe, true);
});

test('a lost FU-A fragment drops its access unit and every inter frame up to the next IDR', () => {
  const units = [[sps, pps, nal(5, 3000, 1)], [nal(1, 3000, 2)], [nal(1, 200, 3)], [sps, pps, nal(5, 300, 4)], [nal(1, 100, 5)]];
  const ps = packets(units);
  const lost = ps.findIndex((p) => p.timestamp === 3600) + 1; // the second fragment of frame 2
  const d = new H264Depacketizer();
  const out = ps.filter((_, i) => i !== lost).flatMap((p) => d.push(p.payload, p.seq, p.timestamp, p.marker));
  assert.deepEqual(out.map((u) => u.timestamp), [0, 3 * 3600, 4 * 3600]);
  assert.equal(d.dropped, 2);
  // before any IDR, inter frames are dropped too
  const late = new H264Depacketizer();
  const fromInter = packets([[nal(1, 100, 1)], [sps, pps, nal(5, 100, 2)]]);
  assert.deepEqual(fromInter.flatMap((p) => late.push(p.payload, p.seq, p.timestamp, p.marker)).map((u) => u.keyframe), [true]);
});

test('malformed and interleaved-mode payloads are ignored; oversize access units dropped', () => {
  const d = new H264Depacketizer({ maxAccessUnitBytes: 500, maxNalus: 4 });
  assert.deepEqual(d.push(Buffer.alloc(0), 1, 0, false), []);
  assert.deepEqual(d.push(Buffer.from([0x78, 0, 50, 0x65]), 2, 0, false), []); // STAP-A size past the end
  assert.deepEqual(d.push(Buffer.from([0x7d, 1, 2]), 3, 0, true), []); // FU-B
  assert.equal(d.ignored, 3);
  const big = packets([[sps, pps, nal(5, 900, 1)]], 4);
  assert.deepEqual(big.flatMap((p) => d.push(p.payload, p.seq, p.timestamp + 90, p.marker)), []);
  assert.equal(d.dropped, 1);
});

test('a loss right after a marker breaks the access unit that follows (its first packets were lost)', () => {
  // frame 3: an IDR of two slices, the first in FU-A fragments; its first fragment is lost
  const units = [[sps, pps, nal(5, 100, 1)], [nal(1, 100, 2)], [nal(5, 1500, 3), nal(5, 300, 4)], [nal(1, 100, 5)]];
  const ps = packets(units);
  const lost = ps.findIndex((p) => p.timestamp === 2 * 3600);
  const d = new H264Depacketizer();
  const out = ps.filter((_, i) => i !== lost).flatMap((p) => d.push(p.payload, p.seq, p.timestamp, p.marker));
  assert.deepEqual(out.map((u) => u.timestamp), [0, 3600], 'the IDR without its first slice is not passed on');
  assert.equal(d.needKeyframe, true);
});

test('FU-A fragments that never end (no end bit, no marker, one timestamp) are held only up to maxAccessUnitBytes', () => {
  const limit = 64 * 1024;
  const d = new H264Depacketizer({ maxAccessUnitBytes: limit, maxNalus: 16 });
  // FU indicator (NRI 3, type 28), FU header (S/E bits, type 5), then 1,198 bytes of slice
  const fu = (s: boolean, e: boolean) => Buffer.concat([Buffer.from([0x7c, (s ? 0x80 : 0) | (e ? 0x40 : 0) | 5]), Buffer.alloc(1198, 0x55)]);
  let most = 0;
  d.push(fu(true, false), 0, 9000, false);
  for (let seq = 1; seq < 2000; seq++) {
    assert.deepEqual(d.push(fu(false, false), seq, 9000, false), []);
    most = Math.max(most, d.pendingBytes);
  }
  assert.ok(most <= limit, `held ${most} bytes of fragments (2,000 x 1,198 sent)`);
  // the NAL unit the fragments would have made is gone, even when its end comes
  assert.deepEqual(d.push(fu(false, true), 2000, 9000, true), []);
  assert.equal(d.pendingBytes, 0);
  assert.equal(d.dropped, 1);
  assert.equal(d.needKeyframe, true);
  // the next IDR comes through whole
  const idr = nal(5, 3000, 7);
  const out = packets([[sps, pps, idr]], 2001).flatMap((p) => d.push(p.payload, p.seq, p.timestamp + 18000, p.marker));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].nalus, [sps, pps, idr]);
});
