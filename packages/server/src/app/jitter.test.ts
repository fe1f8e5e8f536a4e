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

/**
 * Video (40 ms frames) and audio (1024 samples at 48 kHz) as a publisher whose audio reaches
 * tsrs `lagMs` after the video of the same time (an audio transcoder's delay, an MPEG-TS muxer's
 * interleave), corrected in arrival order; returns each track's output.
 */
function interleaved(j: JitterCorrector, lagMs: (i: number) => number, seconds = 10): { video: number[]; audio: number[] } {
  const arrivals: { kind: 'audio' | 'video'; ts: number; at: number }[] = [];
  for (let i = 0; i * 40 < seconds * 1000; i++) arrivals.push({ kind: 'video', ts: 1000 + i * 40, at: 1000 + i * 40 });
  for (let i = 0; (i * 1024) / 48 < seconds * 1000; i++) {
    const ts = 1000 + Math.round((i * 1024) / 48);
    arrivals.push({ kind: 'audio', ts, at: ts + lagMs(i) });
  }
  arrivals.sort((a, b) => a.at - b.at || (a.kind === 'video' ? -1 : 1));
  const out = { video: [] as number[], audio: [] as number[] };
  for (const a of arrivals) out[a.kind].push(j.correct(a.ts, a.kind));
  return out;
}

test('full: audio arriving up to a second behind the video keeps both tracks increasing and A/V in sync', () => {
  for (const lag of [0, 120, 240, 260, 300, 450, 900]) {
    const out = interleaved(new JitterCorrector('full'), (i) => lag + (i % 7) * 3);
    for (const kind of ['video', 'audio'] as const) {
      const ts = out[kind];
      for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1], `lag ${lag} ms: ${kind} ${ts[i]} after ${ts[i - 1]} (frame ${i})`);
    }
    // the input's A/V relation (both start at 1000) is kept: the last audio frame sits where its time says
    const lastAudio = Math.round(((out.audio.length - 1) * 1024) / 48);
    assert.equal(out.audio.at(-1), lastAudio, `lag ${lag} ms: the audio's timeline`);
    assert.equal(out.video.at(-1), (out.video.length - 1) * 40, `lag ${lag} ms: the video's timeline`);
  }
});

test('full: a lag that swings across 250 ms (a loaded transcoder) gives no repeated or backwards DTS', () => {
  const out = interleaved(new JitterCorrector('full'), (i) => 230 + ((i * 37) % 50));
  for (const kind of ['video', 'audio'] as const) {
    const ts = out[kind];
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1], `${kind} ${ts[i]} after ${ts[i - 1]} (frame ${i})`);
  }
});

test('full: both tracks jumping together are placed again together; one track jumping alone leaves the other', () => {
  const j = new JitterCorrector('full');
  assert.equal(j.correct(1000, 'video'), 0);
  assert.equal(j.correct(1010, 'audio'), 10);
  assert.equal(j.correct(1040, 'video'), 40);
  // the publisher's clock restarts: video first, then audio near it follows the video's new place
  assert.equal(j.correct(500_000, 'video'), 50);
  assert.equal(j.correct(500_021, 'audio'), 71);
  assert.equal(j.correct(500_040, 'video'), 90);
  // audio alone jumps ahead: placed after everything so far; the video goes on as before
  assert.equal(j.correct(900_000, 'audio'), 100);
  assert.equal(j.correct(500_080, 'video'), 130);
  assert.equal(j.correct(900_021, 'audio'), 121);
});

test('full and zero: a packet placed before the timeline\'s 0 is flagged (beforeStart), the others not', () => {
  for (const mode of ['full', 'zero'] as const) {
    const j = new JitterCorrector(mode);
    assert.equal(j.correct(1000, 'video'), 0);
    assert.equal(j.beforeStart, false);
    // audio from a transcoder that started on older input: 200 ms before the first video
    assert.equal(j.correct(800, 'audio'), 0);
    assert.equal(j.beforeStart, true, mode);
    assert.equal(j.correct(1000, 'audio'), 0);
    assert.equal(j.beforeStart, false, mode);
    assert.equal(j.correct(1021, 'audio'), 21);
    assert.equal(j.beforeStart, false);
  }
  const off = new JitterCorrector('off');
  off.correct(1000, 'video');
  off.correct(800, 'audio');
  assert.equal(off.beforeStart, false);
});
