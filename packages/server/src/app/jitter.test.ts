import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JitterCorrector } from './jitter.js';

test('full: starts at 0, keeps small deltas, smooths jumps and backwards steps to 10 ms', () => {
  const j = new JitterCorrector('full');
  assert.equal(j.correct(5000), 0);
  assert.equal(j.correct(5040), 40);
  assert.equal(j.correct(5080), 80);
  assert.equal(j.correct(90_000), 90); // a jump forward
  assert.equal(j.correct(90_040), 130);
  assert.equal(j.correct(1000), 140); // backwards
});

test('zero: shifts to 0 and keeps deltas; off: passes through', () => {
  const z = new JitterCorrector('zero');
  assert.equal(z.correct(1000), 0);
  assert.equal(z.correct(6000), 5000);
  const o = new JitterCorrector('off');
  assert.equal(o.correct(1234), 1234);
});

test('the 32-bit wire timestamp wraps without going backwards (streams past 49.7 days)', () => {
  for (const mode of ['full', 'zero', 'off'] as const) {
    const j = new JitterCorrector(mode);
    let prev = -1;
    // from 20 s before the wrap to 20 s after, 40 ms frames
    for (let t = 0xffffffff - 20_000; t < 0xffffffff + 20_000; t += 40) {
      const out = j.correct(t >>> 0);
      assert.ok(out > prev, `${mode}: ${out} after ${prev}`);
      prev = out;
    }
  }
});

test('extended timestamps (past 0xffffff ms, 4.6 h) are plain values', () => {
  const j = new JitterCorrector('off');
  assert.equal(j.correct(0xffffff + 40), 0xffffff + 40);
});

test('republish: full continues the timeline, zero restarts at 0', () => {
  const f = new JitterCorrector('full');
  f.correct(100);
  f.correct(140);
  f.resetForRepublish();
  assert.equal(f.correct(0), 50); // continues with a 10 ms step
  const z = new JitterCorrector('zero');
  z.correct(100);
  z.correct(5000);
  z.resetForRepublish();
  assert.equal(z.correct(777), 0);
});
