/**
 * Fan-out and hostile input: many players, a player that stops reading, and
 * malformed RTMP, while a real FFmpeg stream keeps running.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { encodeMessage } from '../src/protocol/rtmp/chunk-encoder.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { basicConf, ffmpegPublish, freePort, kill, rssKiB, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { closedWithin, rawRtmpHandshake } from './raw-sockets.js';
import { assertResumesAtKeyframes, type VideoFrame } from './stream-checks.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  // A short queue so a stalled player is cut down to keyframes quickly.
  server = await startServer((p) => basicConf(p, 'play { queue_length 2; }'));
  publisher = ffmpegPublish(server.rtmpUrl('/live/fan'), { size: '640x360', cbr: '16M', gop: 25 });
  await waitFor('stream live', () => server.output().includes('rtmp publish'), 10_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

interface Player {
  client: RtmpClient;
  lastVideoTs: number;
  bytes: number;
  frames: number;
  /** every video message: timestamp and whether it is a keyframe (coded frames only) */
  video: VideoFrame[];
  closed: boolean;
}

async function play(path: string, port = server.ports.rtmp): Promise<Player> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}${path}`, { mode: 'play' });
  const p: Player = { client, lastVideoTs: -1, bytes: 0, frames: 0, video: [], closed: false };
  client.on('close', () => (p.closed = true));
  client.on('message', (m: RtmpMessage) => {
    p.bytes += m.payload.length;
    if (m.typeId === MSG.VIDEO) {
      p.frames++;
      p.lastVideoTs = m.timestamp;
      // AVC NALU packets only (byte 1 = 1), not sequence headers
      if (m.payload.length > 1 && m.payload[1] === 1) p.video.push({ ts: m.timestamp, keyframe: m.payload[0] >> 4 === 1 });
    }
  });
  return p;
}

/** The proxy script sits in the source tree (test/), two levels above dist/test/. */
const PROXY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'stall-proxy.py');

test('50 players all receive data; a player that stops reading delays nobody and is dropped to keyframes', async () => {
  const players = await Promise.all(Array.from({ length: 50 }, () => play('/live/fan')));
  // The stalled player reads through a proxy with tiny buffers that stops reading on demand.
  const proxyPort = await freePort();
  const proxy = spawn('python3', [PROXY, String(proxyPort), String(server.ports.rtmp)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((r) => proxy.stdout!.once('data', r));
  try {
    await stallCheck(players, proxyPort, (cmd) => proxy.stdin!.write(`${cmd}\n`));
  } finally {
    proxy.kill();
  }
});

async function stallCheck(players: Player[], proxyPort: number, control: (cmd: 'stall' | 'resume') => void): Promise<void> {
  const stalled = await play('/live/fan', proxyPort);
  await waitFor('every player gets frames', () => [...players, stalled].every((p) => p.frames > 10), 15_000);
  control('stall');
  const rssStart = rssKiB(server.proc.pid!);
  const t0 = players.map((p) => p.lastVideoTs);
  const stalledBytes0 = stalled.bytes;
  const normalBytes0 = players[0].bytes;
  await sleep(6000);
  // Everyone advanced in real time: ~6 s of media in 6 s.
  players.forEach((p, i) => assert.ok(p.lastVideoTs - t0[i] >= 4500, `player ${i} advanced only ${p.lastVideoTs - t0[i]} ms`));
  const latest = Math.max(...players.map((p) => p.lastVideoTs));
  assert.ok(players.every((p) => latest - p.lastVideoTs < 1000), 'players stay within 1 s of each other');
  // Memory for the stalled player stays bounded by the time-bounded queue.
  const growth = rssKiB(server.proc.pid!) - rssStart;
  assert.ok(growth < 64 * 1024, `server RSS grew ${growth} KiB`);
  // When it reads again it has lost media (dropped to a keyframe), not buffered it all.
  control('resume');
  await sleep(1500);
  const stalledGot = stalled.bytes - stalledBytes0;
  const normalGot = players[0].bytes - normalBytes0;
  assert.ok(stalledGot < normalGot * 0.8, `stalled got ${stalledGot} bytes vs normal ${normalGot}`);
  // ...and it recovers: still connected, back to live within 2 s of the others, and what it got
  // is a valid stream (each gap resumes at a keyframe)
  await waitFor('the stalled player back to live', () => players[0].lastVideoTs - stalled.lastVideoTs < 2000 && stalled, 10_000);
  assert.equal(stalled.closed, false, 'the server kept the slow player');
  assert.ok(stalled.video.some((v, i) => i > 0 && v.ts - stalled.video[i - 1].ts > 500), 'the stalled player lost media (a gap) while stalled');
  assertResumesAtKeyframes(stalled.video, 'stalled player');
  for (const [i, p] of players.entries()) assertResumesAtKeyframes(p.video, `player ${i}`);
  await Promise.all([...players, stalled].map((p) => p.client.close()));
}

const controlMessage = (typeId: number, value: number) => {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(value >>> 0);
  return encodeMessage({ typeId, streamId: 0, timestamp: 0, csid: 2, payload }, 128);
};

const hostile: [string, () => Buffer][] = [
  ['random bytes after the handshake', () => randomBytes(8192)],
  ['chunk size 0', () => controlMessage(MSG.SET_CHUNK_SIZE, 0)],
  ['chunk size 2^31', () => controlMessage(MSG.SET_CHUNK_SIZE, 0x80000000)],
  [
    'an AMF0 string longer than its packet',
    () => {
      // string marker, length 0xffff, only 5 bytes of text
      const payload = Buffer.from([0x02, 0xff, 0xff, 0x63, 0x6f, 0x6e, 0x6e, 0x65]);
      return encodeMessage({ typeId: MSG.AMF0_COMMAND, streamId: 0, timestamp: 0, csid: 3, payload }, 128);
    },
  ],
  [
    // RTMP's length field has 24 bits: 16 MiB is the largest a header can declare
    // (tsrs's limit is 8 MiB); a 50 MB FLV tag is covered by the FLV demuxer's tests.
    'a 16 MiB message length',
    () => {
      const h = Buffer.alloc(12);
      h[0] = 3;
      h.writeUIntBE(0, 1, 3);
      h.writeUIntBE(0xffffff, 4, 3);
      h[7] = MSG.VIDEO;
      return Buffer.concat([h, randomBytes(128)]);
    },
  ],
];

for (const [name, make] of hostile) {
  test(`malformed input closes only that connection: ${name}`, async () => {
    const watcher = await play('/live/fan');
    await waitFor('watcher gets frames', () => watcher.frames > 5, 10_000);
    const s = await rawRtmpHandshake(server.ports.rtmp);
    s.write(make());
    assert.ok(await closedWithin(s, 3000), 'server closed the hostile connection');
    const before = watcher.frames;
    await sleep(1000);
    assert.ok(watcher.frames > before + 10, 'the running stream keeps flowing');
    await watcher.client.close();
  });
}

test('the server logged why it closed hostile connections', () => {
  assert.match(server.output(), /rtmp protocol error, closing/);
});
