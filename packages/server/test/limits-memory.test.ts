/**
 * Memory a single hostile publisher or player can make tsrs hold (issue 10, item 3): each
 * test sends hundreds of megabytes through a raw RTMP publisher or player and asserts that the
 * server stays alive, that its RSS (VmRSS of the server process) stays below a bound, that the
 * hostile stream or connection was capped (with a log line saying which directive), and that a
 * healthy HTTP-FLV player of another stream advanced throughout.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeAmf0All, encodeAmf0 } from '../src/kernel/amf0.js';
import { encodeMessage } from '../src/protocol/rtmp/chunk-encoder.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, setChunkSizeMessage, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { watchHealthyPlayer, type HealthyPlayer } from './healthy-player.js';
import { closedWithin, rawRtmpHandshake } from './raw-sockets.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, watchRss, type RunningServer } from './harness.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../src/kernel/test-avc.js';

const MB = 1024 * 1024;
/**
 * RSS growth allowed while 400-1,000 MB go through (without the bounds: 400 MB to 1 GB). The
 * bounds are 32-64 MiB each, and a stream hits up to three at once (GOP cache, HLS segment and
 * its write queue); the rest is garbage V8 has not collected yet (it runs on ~64 MB of new
 * external memory).
 */
const RSS_BOUND_KIB = 200 * 1024;

let server: RunningServer;
let healthyPublisher: ReturnType<typeof ffmpegPublish>;
let healthy: HealthyPlayer;

before(async () => {
  server = await startServer(
    (p) =>
      basicConf(p) +
      `vhost hls.test {
  hls { enabled on; hls_fragment 1; hls_aof_ratio 2; hls_window 3; hls_path ./html; hls_dispose 0; hls_ctx off; }
}
`,
  );
  healthyPublisher = ffmpegPublish(server.rtmpUrl('/live/healthy'), { gop: 25 });
  healthy = await watchHealthyPlayer(server.httpUrl('/live/healthy.flv'));
});

after(async () => {
  healthy?.close();
  kill(healthyPublisher);
  await server?.stop();
});

/** Samples the server's RSS every 100 ms from now on. */
function watchServerRss(): ReturnType<typeof watchRss> {
  return watchRss(server.proc.pid!);
}

function assertRssBounded(rss: ReturnType<typeof watchServerRss>, what: string): void {
  rss.stop();
  const grew = rss.max() - rss.base;
  console.log(`# ${what}: server RSS ${Math.round(rss.base / 1024)} MB -> at most ${Math.round(rss.max() / 1024)} MB`);
  assert.ok(grew < RSS_BOUND_KIB, `${what}: server RSS grew by ${Math.round(grew / 1024)} MB (base ${Math.round(rss.base / 1024)} MB)`);
}

function assertServerAlive(): void {
  assert.equal(server.proc.exitCode, null, 'the server is still running');
  assert.equal(server.proc.signalCode, null, 'the server is still running');
}

// 1 MB frames of the synthetic test stream, made once

const KEY = testAvcFrame(MB, true);
const INTER = testAvcFrame(MB, false);

interface Attack {
  /** 1 MB frames to send after one keyframe */
  frames: number;
  /** timestamp of frame i (ms) */
  ts: (i: number) => number;
  /** a keyframe every this many frames (0: never after the first) */
  keyEvery?: number;
}

/** A raw publisher: AVC header, one keyframe, then `frames` 1 MB frames, as fast as TCP takes them. */
async function publishHostile(path: string, a: Attack): Promise<RtmpClient> {
  const c = await RtmpClient.connect(server.rtmpUrl(path), { mode: 'publish' });
  let closed = false;
  c.on('close', () => (closed = true));
  c.on('error', () => undefined);
  c.sendMedia(MSG.VIDEO, 0, TEST_AVC_HEADER);
  c.sendMedia(MSG.VIDEO, a.ts(0), KEY);
  for (let i = 1; i <= a.frames && !closed; i++) {
    const key = a.keyEvery ? i % a.keyEvery === 0 : false;
    if (!c.sendMedia(MSG.VIDEO, a.ts(i), key ? KEY : INTER)) await c.drained();
  }
  return c;
}

function logCount(re: RegExp): number {
  return server.output().split('\n').filter((l) => re.test(l)).length;
}

test('GOP cache: 1 MB frames with no keyframe: the cache is dropped at gop_cache_max_bytes, RSS stays bounded', { timeout: 180_000 }, async () => {
  const rss = watchServerRss();
  const before = logCount(/gop_cache over its bound/);
  // 400 MB: constant timestamps, then 400 MB more with advancing ones
  const a = await publishHostile('/live/gop', { frames: 400, ts: () => 0 });
  await a.close();
  const b = await publishHostile('/live/gop2', { frames: 400, ts: (i) => i * 40 });
  await sleep(500);
  assertRssBounded(rss, 'GOP cache attack');
  assertServerAlive();
  assert.ok(logCount(/gop_cache over its bound/) >= before + 2, 'each hostile stream hit the GOP cache bound');
  // A player joining the hostile stream gets at most the bound (32 MiB), not 400 MB.
  const joiner = await RtmpClient.connect(server.rtmpUrl('/live/gop2'), { mode: 'play' });
  let got = 0;
  joiner.on('message', (m: RtmpMessage) => (got += m.payload.length));
  await sleep(1000);
  assert.ok(got <= 33 * MB, `a joining player got ${Math.round(got / MB)} MB of cache`);
  await joiner.close();
  await b.close();
  healthy.assertAdvancing();
});

/** Play `path` with the project's RTMP client and pause at once (RTMP pause command). */
async function pausedPlayer(path: string): Promise<RtmpClient> {
  const p = await RtmpClient.connect(server.rtmpUrl(path), { mode: 'play' });
  p.on('error', () => undefined);
  const paused = new Promise<void>((resolve) =>
    p.on('status', (info) => {
      if (info.code === 'NetStream.Pause.Notify') resolve();
    }),
  );
  p.sendMessage({ typeId: MSG.AMF0_COMMAND, streamId: p.streamId, timestamp: 0, csid: 8, payload: encodeAmf0('pause', 0, null, true, 0) });
  await paused;
  return p;
}

for (const [name, ts] of [
  ['constant', () => 1000],
  ['advancing', (i: number) => i * 33],
] as const) {
  test(`a paused RTMP player, ${name} timestamps: its queue is bounded by queue_max_bytes`, { timeout: 240_000 }, async () => {
    const stream = `/live/pause-${name}`;
    // the stream exists once a publisher is on it: start with a tiny one, then the player pauses
    const pub = await RtmpClient.connect(server.rtmpUrl(stream), { mode: 'publish' });
    pub.sendMedia(MSG.VIDEO, 0, TEST_AVC_HEADER);
    const player = await pausedPlayer(stream);
    let frames = 0;
    player.on('message', (m: RtmpMessage) => {
      if (m.typeId === MSG.VIDEO) frames++;
    });
    await pub.close();
    const rss = watchServerRss();
    const before = logCount(/queue over its bound/);
    const hostile = await publishHostile(stream, { frames: 1000, ts, keyEvery: 100 });
    await sleep(500);
    assertRssBounded(rss, `paused player, ${name} timestamps`);
    assertServerAlive();
    assert.ok(logCount(/queue over its bound.*queue_max_bytes|queue_max_bytes.*queue over its bound/) > before, 'the paused queue hit its byte bound');
    assert.equal(frames, 0, 'a paused player gets nothing');
    // Resumed, it starts again at a keyframe.
    const firstVideo = new Promise<Buffer>((resolve) =>
      player.on('message', (m: RtmpMessage) => {
        if (m.typeId === MSG.VIDEO && m.payload[1] === 1) resolve(m.payload);
      }),
    );
    player.sendMessage({ typeId: MSG.AMF0_COMMAND, streamId: player.streamId, timestamp: 0, csid: 8, payload: encodeAmf0('pause', 0, null, false, 0) });
    hostile.sendMedia(MSG.VIDEO, ts(1001), KEY);
    const first = await firstVideo;
    assert.equal(first[0] >> 4, 1, 'after the drop the player restarts at a keyframe');
    player.destroy();
    await hostile.close();
    healthy.assertAdvancing();
  });
}

function segmentsOf(dir: string): { name: string; size: number }[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((name) => ({ name, size: statSync(join(dir, name)).size }));
  } catch {
    return [];
  }
}

test('HLS with no keyframe: constant timestamps drop at hls_max_segment_bytes, advancing ones cut at hls_fragment x hls_aof_ratio', { timeout: 240_000 }, async () => {
  const dir = join(server.dir, 'html', 'live');
  const rss = watchServerRss();
  const before = logCount(/hls over its bound url=\S*hls-const/);
  // 600 MB with a constant timestamp, a keyframe every 100 MB: never a time to cut at, so each
  // segment is dropped at the byte bound and the next one waits for a keyframe
  const a = await publishHostile('/live/hls-const?vhost=hls.test', { frames: 600, ts: () => 0, keyEvery: 100 });
  await a.close();
  await waitFor('a segment dropped', () => logCount(/hls over its bound url=\S*hls-const directive=hls_max_segment_bytes/) > before, 10_000);
  for (const s of segmentsOf(dir)) assert.ok(s.size < 64 * MB, `no oversized segment was written: ${s.name} ${s.size}`);
  // 600 MB more, 100 ms apart: cut every 2 s (20 MB) though no keyframe comes
  let biggest = 0;
  let count = 0;
  const sizes = setInterval(() => {
    for (const s of segmentsOf(dir)) if (s.name.startsWith('hls-adv')) biggest = Math.max(biggest, s.size);
    count = Math.max(count, segmentsOf(dir).filter((s) => s.name.startsWith('hls-adv')).length);
  }, 200);
  const b = await publishHostile('/live/hls-adv?vhost=hls.test', { frames: 600, ts: (i) => i * 100 });
  await waitFor('segments of the advancing stream', () => count > 0, 10_000);
  clearInterval(sizes);
  await b.close();
  await sleep(500);
  assertRssBounded(rss, 'HLS attack');
  assertServerAlive();
  assert.ok(biggest > 0 && biggest < 30 * MB, `segments are cut by time: biggest ${Math.round(biggest / MB)} MB`);
  healthy.assertAdvancing();
});

/**
 * An AMF0 connect command whose command object has ~460,000 number properties (~`size` bytes),
 * written byte by byte: building that object in JS and encoding it blocks the test's event loop
 * (and its healthy player) for seconds on a loaded machine.
 */
function bigConnect(tcUrl: string, size: number): Buffer {
  const head = encodeAmf0('connect', 1, { app: 'live', tcUrl });
  // drop the object end marker (00 00 09) and append properties `kN: N`
  const buf = Buffer.alloc(size + 64);
  let off = head.copy(buf, 0, 0, head.length - 3);
  for (let i = 0; off < size; i++) {
    const key = `k${i}`;
    off = buf.writeUInt16BE(key.length, off);
    off += buf.write(key, off, 'latin1');
    buf[off++] = 0x00; // number
    off = buf.writeDoubleBE(i, off);
  }
  buf[off++] = 0;
  buf[off++] = 0;
  buf[off++] = 9;
  return buf.subarray(0, off);
}

test('an ~8 MB AMF object in connect is refused at rtmp_max_command_size and the connection closed', { timeout: 120_000 }, async () => {
  const payload = bigConnect(`rtmp://127.0.0.1:${server.ports.rtmp}/live`, 8 * MB);
  assert.ok(payload.length > 7.5 * MB, `connect is ${payload.length} bytes`);
  const small = decodeAmf0All(bigConnect('rtmp://h/live', 1000));
  assert.equal(small[0], 'connect', 'the hand-made bytes are a valid AMF0 connect');
  assert.equal((small[2] as Record<string, unknown>).k10, 10);
  const wire = Buffer.concat([
    encodeMessage(setChunkSizeMessage(60000), 128),
    encodeMessage({ typeId: MSG.AMF0_COMMAND, streamId: 0, timestamp: 0, csid: 3, payload }, 60000),
  ]);
  const rss = watchServerRss();
  const before = logCount(/rtmp protocol error, closing.*exceeds the maximum 65536/);
  for (let i = 0; i < 10; i++) {
    const s = await rawRtmpHandshake(server.ports.rtmp);
    s.on('error', () => undefined); // the server closes while we still write
    s.write(wire);
    assert.ok(await closedWithin(s, 5000), `connection ${i} was closed`);
  }
  await sleep(500);
  assertRssBounded(rss, 'connect attack');
  assertServerAlive();
  assert.ok(logCount(/rtmp protocol error, closing.*exceeds the maximum 65536/) >= before + 10, 'each oversized connect was logged');
  // An oversized data message other than metadata from a publisher is refused too.
  const pub = await RtmpClient.connect(server.rtmpUrl('/live/cue'), { mode: 'publish' });
  const closed = new Promise<void>((r) => pub.on('close', () => r()));
  pub.on('error', () => undefined);
  pub.sendMedia(MSG.AMF0_DATA, 0, encodeAmf0('onCuePoint', { text: 'x'.repeat(200_000) }));
  await closed;
  assert.match(server.output(), /not onMetaData exceeds the maximum 65536/);
  healthy.assertAdvancing();
});
