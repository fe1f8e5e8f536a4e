import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../kernel/packet.js';
import type { Client } from './client.js';
import { Consumer, type ConsumerSink } from './consumer.js';
import { GopCache } from './gop-cache.js';
import type { Source } from './source.js';

const body = Buffer.alloc(4);
const video = (dts: number, key = false) => new Packet('video', dts, body, key);
const audio = (dts: number) => new Packet('audio', dts, body);
const header = () => new Packet('video', 0, body, false, true);

function sinkOf(accept: () => boolean) {
  const written: Packet[] = [];
  const sink: ConsumerSink = {
    write(packets) {
      written.push(...packets);
      return accept();
    },
  };
  return { written, sink };
}

const newConsumer = (sink: ConsumerSink, queueMs: number) => new Consumer({} as Source, {} as Client, sink, queueMs);

test('a congested consumer keeps at most queue_length of media and drops to the newest keyframe', () => {
  const { written, sink } = sinkOf(() => false);
  const c = newConsumer(sink, 1000);
  c.enqueue(header());
  c.flush(); // congested from now on
  assert.equal(written.length, 1);
  for (let t = 0; t < 10_000; t += 40) {
    c.enqueue(video(t, t % 520 === 0));
    c.enqueue(audio(t));
  }
  // Bounded: never more than ~queue_length (1 s at 25 fps video + audio).
  assert.ok(c.queuedPackets <= 60, `queued ${c.queuedPackets}`);
  assert.ok(c.dropped > 300);
  c.onDrain();
  const firstVideo = written.slice(1).find((p) => p.kind === 'video')!;
  assert.ok(firstVideo.keyframe, 'after a drop the player restarts at a keyframe');
});

test('a healthy consumer gets everything in order, once per flush', () => {
  const { written, sink } = sinkOf(() => true);
  const c = newConsumer(sink, 30_000);
  const sent = [video(0, true), audio(10), video(40), audio(33)];
  for (const p of sent) c.enqueue(p);
  c.flush();
  c.flush();
  assert.deepEqual(written, sent);
  assert.equal(c.dropped, 0);
});

test('sequence headers survive a drop', () => {
  const { written, sink } = sinkOf(() => false);
  const c = newConsumer(sink, 500);
  c.enqueue(video(0, true));
  c.flush();
  const h = header();
  for (let t = 40; t < 3000; t += 40) c.enqueue(t === 1000 ? h : video(t));
  c.onDrain();
  assert.ok(written.includes(h));
});

test('GOP cache: starts at a keyframe, restarts on each keyframe, keeps audio of pure-audio streams bounded', () => {
  const g = new GopCache(true, { maxFrames: 2500, maxBytes: 0 });
  g.push(video(0)); // no keyframe yet: useless
  assert.equal(g.size, 0);
  g.push(video(40, true));
  g.push(audio(50));
  g.push(video(80));
  assert.equal(g.size, 3);
  g.push(video(2000, true));
  assert.equal(g.size, 1);
  const a = new GopCache(true, { maxFrames: 2500, maxBytes: 0 });
  for (let t = 0; t < 20_000; t += 23) a.push(audio(t));
  assert.ok(a.size < 200, `pure audio cache ${a.size}`);
  const off = new GopCache(false, { maxFrames: 2500, maxBytes: 0 });
  off.push(video(0, true));
  assert.equal(off.size, 0);
});

const MB = 1024 * 1024;
const big = (dts: number, key = false) => new Packet('video', dts, Buffer.alloc(MB), key);

test('a paused consumer is bounded in bytes (queue_max_bytes) when timestamps do not advance', { timeout: 30_000 }, () => {
  const { written, sink } = sinkOf(() => true);
  const c = new Consumer({} as Source, {} as Client, sink, 30_000, 16 * MB);
  c.setPaused(true);
  c.enqueue(header());
  c.enqueue(big(0, true));
  for (let i = 0; i < 1000; i++) {
    c.enqueue(big(0));
    assert.ok(c.queuedBytes <= 16 * MB, `queued ${c.queuedBytes} bytes after ${i} frames`);
  }
  assert.ok(c.dropped > 980);
  assert.equal(written.length, 0);
  // Resuming: headers first, then nothing until a keyframe
  c.enqueue(big(0, true));
  c.setPaused(false);
  assert.ok(written[0].sequenceHeader);
  assert.ok(written.slice(1).every((p) => p.keyframe), 'restarts at a keyframe');
});

test('queue_max_bytes drops to the newest keyframe when that is enough; advancing timestamps too', { timeout: 30_000 }, () => {
  const { written, sink } = sinkOf(() => false);
  const c = new Consumer({} as Source, {} as Client, sink, 30_000, 16 * MB);
  c.enqueue(header());
  c.flush(); // congested from now on
  for (let i = 0; i < 1000; i++) {
    c.enqueue(big(i * 33, i % 10 === 0));
    assert.ok(c.queuedBytes <= 16 * MB);
  }
  assert.ok(c.queuedPackets >= 1 && c.queuedPackets <= 16);
  c.onDrain();
  assert.ok(written[1].keyframe, 'the queue starts at a keyframe after the drop');
  assert.equal(c.queuedBytes, 0);
});

test('GOP cache with a byte bound: a joining player never gets more than the bound', { timeout: 30_000 }, () => {
  const g = new GopCache(true, { maxFrames: 2500, maxBytes: 4 * MB });
  g.push(big(0, true));
  for (let i = 1; i < 100; i++) g.push(big(i * 40));
  assert.ok(g.size <= 4);
});

test('queue_length counts media only: a player joining a long-running stream (metadata and headers at dts 0) keeps its GOP', () => {
  const { written, sink } = sinkOf(() => true);
  const c = newConsumer(sink, 30_000);
  c.setPaused(true); // as a WebRTC player until DTLS is up
  const meta = new Packet('script', 0, body);
  const start = [meta, header(), video(600_000, true), audio(600_010)];
  for (const p of start) c.enqueue(p);
  for (let t = 600_040; t < 602_000; t += 40) c.enqueue(video(t));
  assert.equal(c.overflows, 0, 'two seconds of media are far from queue_length');
  assert.equal(c.dropped, 0);
  c.setPaused(false);
  assert.deepEqual(written.slice(0, 4), start, 'metadata, header and the GOP from its keyframe');
  assert.equal(written.length, 4 + 49);
  // and the bound still holds for the media: a paused player past 30 s drops to the newest keyframe
  c.setPaused(true);
  for (let t = 602_000; t < 640_000; t += 40) c.enqueue(video(t, t % 2000 === 0));
  assert.ok(c.overflows > 0 && c.dropped > 0);
  assert.ok(c.queuedPackets <= 30_000 / 40 + 1, `queued ${c.queuedPackets}`);
});

test('a hostile publisher cannot make a paused queue scan itself per packet or grow: a GOP longer than queue_length, data message and sequence header floods, time going back', () => {
  const { sink } = sinkOf(() => true);
  // one keyframe, then P frames for ten times queue_length (a WebRTC publisher sends keyframes
  // only when asked): the GOP is kept whole, bounded by queue_max_bytes, and the queue is not
  // scanned again per packet; the next keyframe is what it drops to
  const long = new Consumer({} as Source, {} as Client, sink, 1000, 1024 * 1024);
  long.setPaused(true);
  long.enqueue(header());
  long.enqueue(video(0, true));
  for (let t = 40; t < 10_000; t += 40) long.enqueue(video(t));
  assert.equal(long.overflows, 1, 'one look for a keyframe to drop to, then none until a new one comes');
  assert.equal(long.dropped, 0, 'the GOP is kept: a player that starts anywhere else sees nothing');
  assert.equal(long.queuedPackets, 2 + 249);
  long.enqueue(video(10_000, true));
  assert.equal(long.queuedPackets, 2, 'the header and the new keyframe');
  assert.equal(long.overflows, 2);

  // data messages and sequence headers alone: the byte bound holds (only the join's metadata and
  // the newest headers survive a drop)
  const flood = new Consumer({ onLimit: undefined } as unknown as Source, { id: 'c' } as Client, sink, 30_000, 10_000);
  flood.setPaused(true);
  flood.enqueue(new Packet('script', 0, body)); // the metadata a joining player gets first
  flood.enqueue(video(0, true));
  for (let i = 0; i < 5000; i++) {
    flood.enqueue(new Packet('script', 40, Buffer.alloc(100)));
    flood.enqueue(new Packet('video', 40, Buffer.alloc(100), false, true));
    assert.ok(flood.queuedBytes <= 10_000, `queued ${flood.queuedBytes} bytes after ${i}`);
  }
  assert.ok(flood.overflows < 200, `overflows ${flood.overflows}`);

  // time going back (time_jitter off, a publisher restarting its clock): the bound counts from there
  const back = new Consumer({} as Source, {} as Client, sink, 1000, 0);
  back.setPaused(true);
  back.enqueue(video(50_000, true));
  for (let t = 0; t < 5000; t += 40) back.enqueue(video(t, t % 400 === 0));
  assert.ok(back.overflows > 0, 'the time bound still applies after the jump');
  assert.ok(back.queuedPackets <= 1000 / 40 + 12, `queued ${back.queuedPackets}`);
});

test('an audio-only paused queue that overflows plays again (no video keyframe to wait for)', () => {
  const { written, sink } = sinkOf(() => true);
  const c = newConsumer(sink, 1000);
  c.setPaused(true);
  c.enqueue(new Packet('audio', 0, body, false, true)); // AAC sequence header
  for (let t = 0; t < 3000; t += 23) c.enqueue(audio(t));
  assert.ok(c.overflows > 0 && c.dropped > 0);
  c.enqueue(audio(3000));
  c.setPaused(false);
  assert.ok(written.some((p) => p.kind === 'audio' && !p.sequenceHeader && p.dts >= 3000), 'audio flows after the drop');
});
