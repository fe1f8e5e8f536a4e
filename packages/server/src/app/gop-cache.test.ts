import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../kernel/packet.js';
import { GopCache } from './gop-cache.js';

const MB = 1024 * 1024;
const frame = (dts: number, size: number, key = false) => new Packet('video', dts, Buffer.alloc(size), key);

test('GOP cache: a GOP past gop_cache_max_bytes is dropped and stays empty until the next keyframe', { timeout: 30_000 }, () => {
  const g = new GopCache(true, { maxFrames: 2500, maxBytes: 8 * MB });
  assert.equal(g.push(frame(0, MB, true)), false);
  let overflowAt = -1;
  // 1 MB frames with no keyframe after the first: the cache must never hold more than 8 MB
  for (let i = 1; i <= 400; i++) {
    if (g.push(frame(i * 40, MB)) && overflowAt < 0) overflowAt = i;
    assert.ok(g.byteSize <= 8 * MB, `holds ${g.byteSize} bytes after frame ${i}`);
  }
  assert.equal(overflowAt, 8, 'dropped on the frame that crossed the bound');
  assert.equal(g.size, 0, 'nothing is cached until a keyframe');
  assert.equal(g.overflows, 1);
  g.push(frame(20_000, 1000, true));
  g.push(frame(20_040, 1000));
  assert.equal(g.size, 2);
  assert.equal(g.byteSize, 2000);
});

test('GOP cache: gop_cache_max_frames drops the cache too, and constant timestamps change nothing', { timeout: 30_000 }, () => {
  const g = new GopCache(true, { maxFrames: 100, maxBytes: 0 });
  g.push(frame(0, 10, true));
  for (let i = 0; i < 1000; i++) g.push(frame(0, 10));
  assert.equal(g.size, 0);
  assert.equal(g.overflows, 1);
});

test('GOP cache: the byte count follows the pure-audio sliding window; 0 means no byte bound', { timeout: 30_000 }, () => {
  const g = new GopCache(true, { maxFrames: 0, maxBytes: 0 });
  for (let t = 0; t < 20_000; t += 20) g.push(new Packet('audio', t, Buffer.alloc(100)));
  assert.equal(g.byteSize, g.size * 100);
  assert.ok(g.size < 200);
  const big = new GopCache(true, { maxFrames: 0, maxBytes: 0 });
  big.push(frame(0, MB, true));
  for (let i = 1; i < 50; i++) big.push(frame(i * 40, MB));
  assert.equal(big.size, 50);
});
