/**
 * The socket.io live feed with a real publisher: events when the stream and its clients come
 * and go, a summary every second, and per-stream stats whose short-window kbps matches the
 * publisher's constant bitrate (1000k video + 64k audio) within 20% after 10 s.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LiveEvent, LiveHistory, LiveStream, LiveSummary, ServerToClientEvents } from '@tsrs/api-types';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, waitPort, type RunningServer } from './harness.js';
import { ffmpegPlay, streams } from './api-helpers.js';

let server: RunningServer;
let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
let publisher: ReturnType<typeof ffmpegPublish> | undefined;
let player: ReturnType<typeof ffmpegPlay> | undefined;
const events: LiveEvent[] = [];
const summaries: LiveSummary[] = [];
let lastStreams: LiveStream[] = [];

before(async () => {
  server = await startServer((p) => basicConf(p));
  await waitPort(server.ports.api, 5000);
  socket = io(server.apiUrl(''), { path: '/socket.io/', transports: ['websocket'], reconnection: false });
  socket.on('event', (e) => events.push(e));
  socket.on('summary', (s) => summaries.push(s));
  socket.on('streams', (s) => (lastStreams = s));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
});

after(async () => {
  socket?.disconnect();
  kill(publisher);
  kill(player);
  await server.stop();
});

test('a summary every second, with nothing published', async () => {
  await waitFor('two summaries', () => summaries.length >= 2, 5000);
  const s = summaries.at(-1)!;
  assert.ok(Math.abs(s.now_ms - Date.now()) < 5000);
  assert.equal(typeof s.version, 'string');
  assert.ok(s.uptime_s >= 0);
  assert.ok(s.mem_rss_kbyte > 1000, `rss ${s.mem_rss_kbyte}`);
  assert.ok(s.mem_percent > 0 && s.mem_percent < 100);
  assert.equal(typeof s.cpu_percent, 'number');
  assert.equal(s.connections, 0);
  assert.equal(s.streams, 0);
  assert.deepEqual(Object.keys(s.kbps).sort(), ['recv', 'send']);
  assert.deepEqual(lastStreams, []);
});

test('a socket that connects later gets the last seconds of summary as history, before any new summary', async () => {
  await waitFor('four summaries', () => summaries.length >= 4, 10_000);
  const late: Socket<ServerToClientEvents, ClientToServerEvents> = io(server.apiUrl(''), { path: '/socket.io/', transports: ['websocket'], reconnection: false });
  try {
    const got: string[] = [];
    let history: LiveHistory | undefined;
    late.on('summary', () => got.push('summary'));
    late.on('history', (h) => {
      got.push('history');
      history = h;
    });
    await waitFor('history', () => history !== undefined, 5000);
    assert.equal(got[0], 'history');
    assert.equal(history!.capacity, 600);
    assert.equal(history!.interval_ms, 1000);
    assert.ok(history!.samples.length >= 4, `samples ${history!.samples.length}`);
    const ts = history!.samples.map((x) => x.t);
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b), 'oldest first');
    assert.ok(Date.now() - ts.at(-1)! < 3000, 'the newest sample is recent');
    assert.equal(typeof history!.samples[0].recv_kbps, 'number');
  } finally {
    late.disconnect();
  }
});

test('publish at a constant 1064 kbps: stream stats within 20% after 10 s, fps, keyframe interval', async () => {
  publisher = ffmpegPublish(server.rtmpUrl('/live/cbr'), { cbr: '1000k', gop: 50, rate: 25 });
  await waitFor('stream:publish event', () => events.find((e) => e.type === 'stream:publish'), 15_000);
  const pub = events.find((e) => e.type === 'stream:publish')!;
  assert.equal(pub.stream?.name, 'cbr');
  assert.equal(pub.stream?.app, 'live');
  assert.equal(pub.client?.type, 'fmle-publish');
  assert.equal(pub.client?.ip, '127.0.0.1');
  player = ffmpegPlay(server.rtmpUrl('/live/cbr'));
  await sleep(10_000);

  const rest = (await streams(server)).find((s) => s.name === 'cbr')!;
  const live = lastStreams.find((s) => s.name === 'cbr')!;
  assert.ok(live, 'the stream is in the feed');
  assert.equal(live.id, rest.id, 'same id as /api/v1/streams/');
  assert.equal(live.vhost, rest.vhost, 'same vhost id as /api/v1/streams/');
  assert.equal(live.url, '/live/cbr');
  assert.deepEqual(live.publish, { active: true, cid: rest.publish.cid });
  assert.equal(live.clients, 2);
  const expected = 1000 + 64;
  if (process.env.TSRS_TEST_VERBOSE) console.log('live stats', JSON.stringify(live));
  assert.ok(Math.abs(live.kbps.recv - expected) <= expected * 0.2, `recv kbps ${live.kbps.recv}, expected ~${expected}`);
  assert.ok(Math.abs(live.kbps.send - expected) <= expected * 0.3, `send kbps ${live.kbps.send} to one player`);
  assert.ok(live.fps > 22 && live.fps < 28, `fps ${live.fps}`);
  // -g 50 at 25 fps: a keyframe every 2 s
  assert.ok(Math.abs(live.keyframe_interval_ms - 2000) <= 100, `keyframe interval ${live.keyframe_interval_ms}`);
  assert.equal(live.dropped, 0);
  assert.equal(live.video?.codec, 'H264');
  assert.equal(live.video?.width, 320);
  assert.equal(live.audio?.codec, 'AAC');
  assert.equal(live.recording, false);

  const s = summaries.at(-1)!;
  assert.equal(s.streams, 1);
  assert.equal(s.connections, 2);
  assert.ok(s.kbps.recv > expected * 0.8, `server recv ${s.kbps.recv}`);
  assert.ok(events.some((e) => e.type === 'stream:play' && e.stream?.name === 'cbr' && e.client?.type === 'rtmp-play'));
  assert.ok(events.some((e) => e.type === 'client:connect'));
});

test('stop: unpublish, stop and close events; the stream leaves the feed', async () => {
  kill(player);
  publisher!.kill('SIGINT');
  await exitOf(publisher!, 10_000);
  await waitFor('unpublish', () => events.find((e) => e.type === 'stream:unpublish' && e.stream?.name === 'cbr'), 5000);
  await waitFor('two closes', () => events.filter((e) => e.type === 'client:close').length >= 2, 5000);
  assert.ok(events.some((e) => e.type === 'stream:stop' && e.stream?.name === 'cbr'));
  await waitFor('stream gone from the feed', () => !lastStreams.some((s) => s.name === 'cbr'), 5000);
  for (const e of events) assert.ok(Math.abs(e.at - Date.now()) < 60_000);
});
