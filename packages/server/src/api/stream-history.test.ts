import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveStreamSample } from '@tsrs/api-types';
import { StreamHistory } from './stream-history.js';

const sample = (t: number, v: number): LiveStreamSample => ({ t, recv_kbps: v, send_kbps: v * 2, fps: 25, keyframe_interval_ms: 1000, clients: v % 5 });

/** One tick of `ids` at second `sec` (value = sec). */
const tick = (h: StreamHistory, sec: number, ids: string[]) => h.sample(new Map(ids.map((id) => [id, sample(sec * 1000, sec)])), sec * 1000);

test('each stream keeps its last `capacity` samples, oldest first, with every field', () => {
  const h = new StreamHistory(5, 4);
  for (let s = 1; s <= 12; s++) tick(h, s, s <= 3 ? ['a'] : ['a', 'b']);
  const a = h.history('a')!;
  assert.equal(a.stream, 'a');
  assert.equal(a.capacity, 5);
  assert.equal(a.interval_ms, 1000);
  assert.deepEqual(a.samples.map((p) => p.t), [8000, 9000, 10000, 11000, 12000]);
  assert.deepEqual(a.samples.at(-1), sample(12000, 12));
  assert.deepEqual(h.history('b')!.samples.map((p) => p.recv_kbps), [8, 9, 10, 11, 12]);
  assert.equal(h.history('c'), undefined);
});

test('at most maxStreams: a gone stream makes room (oldest first), live streams are never dropped', () => {
  const h = new StreamHistory(10, 2);
  tick(h, 1, ['a', 'b']);
  tick(h, 2, ['a', 'b', 'c']);
  assert.equal(h.size, 2);
  assert.equal(h.history('c'), undefined, 'no room while a and b are live');
  assert.equal(h.history('a')!.samples.length, 2);
  tick(h, 3, ['b', 'c']);
  assert.equal(h.size, 2);
  assert.equal(h.history('a'), undefined, 'a went away and gave c its place');
  assert.deepEqual(h.history('c')!.samples.map((p) => p.t), [3000]);
  assert.equal(h.history('b')!.samples.length, 3);
});

test('a gone stream keeps its tail until it is older than the window', () => {
  const h = new StreamHistory(5, 8);
  for (let s = 1; s <= 3; s++) tick(h, s, ['a']);
  tick(h, 7, []);
  assert.equal(h.history('a')!.samples.length, 3, 'last sample 4 s old: within 5 s');
  tick(h, 9, []);
  assert.equal(h.history('a'), undefined);
  assert.equal(h.size, 0);
});
