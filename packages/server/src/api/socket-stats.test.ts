import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveSummary } from '@tsrs/api-types';
import { HISTORY_SAMPLES, SummaryRing } from './socket-history.js';
import { Marks } from './socket-stats.js';

test('fps is frames over stream time: a 25 fps publisher that bursts at start reads 25, not 28', () => {
  // FFmpeg at 25 fps: the frames encoded before the RTMP session was up arrive at once, so the
  // first wall-clock second brings 30 frames (dts 0..1160 ms), then 25 a second.
  const m = new Marks();
  const at = (s: number, frames: number) => ({ at: s * 1000, frames, dts: (frames - 1) * 40, recv: frames * 1000, send: 0 });
  m.push({ at: 0, frames: 0, dts: 0, recv: 0, send: 0 });
  m.push(at(1, 30));
  assert.equal(m.rates().fps, 0, 'one mark with frames: no rate yet (never an overshoot)');
  m.push(at(2, 55));
  assert.equal(m.rates().fps, 25);
  m.push(at(3, 80));
  assert.equal(m.rates().fps, 25);
  m.push(at(4, 105));
  m.push(at(5, 130));
  assert.equal(m.rates().fps, 25);
  // the old wall-clock figure over the first two seconds would have been 55 / 2 = 27.5 ("28")
});

test('fps is 0 when stream time does not move forward (a republish restarts dts)', () => {
  const m = new Marks();
  m.push({ at: 0, frames: 100, dts: 4000, recv: 0, send: 0 });
  m.push({ at: 1000, frames: 110, dts: 360, recv: 0, send: 0 });
  assert.equal(m.rates().fps, 0);
});

const summary = (i: number): LiveSummary => ({
  node: 'n1',
  now_ms: 1_000_000 + i * 1000,
  uptime_s: i,
  version: 't',
  cpu_percent: i % 100,
  mem_rss_kbyte: 50_000 + i,
  mem_percent: 1,
  connections: i % 7,
  streams: 1,
  kbps: { recv: i * 10, send: i * 20 },
});

test('the summary ring is bounded to 600 samples, oldest first', () => {
  const ring = new SummaryRing();
  assert.equal(ring.capacity, HISTORY_SAMPLES);
  assert.equal(HISTORY_SAMPLES, 600);
  for (let i = 0; i < 20; i++) ring.push(summary(i));
  assert.equal(ring.samples().length, 20);
  assert.equal(ring.samples()[0].t, 1_000_000);
  for (let i = 20; i < 1000; i++) ring.push(summary(i));
  const h = ring.history();
  assert.equal(h.samples.length, 600);
  assert.equal(h.capacity, 600);
  assert.equal(h.interval_ms, 1000);
  assert.equal(h.samples[0].t, 1_000_000 + 400 * 1000, 'the 400 oldest were dropped');
  assert.equal(h.samples[599].t, 1_000_000 + 999 * 1000);
  assert.deepEqual(h.samples[599], {
    t: 1_000_000 + 999 * 1000, recv_kbps: 9990, send_kbps: 19980, cpu_percent: 99, mem_rss_kbyte: 50_999, connections: 5, streams: 1,
  });
});
