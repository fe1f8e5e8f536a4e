/**
 * A stream's byte counters are cumulative: when a player leaves, /api/v1/streams keeps the bytes
 * it was sent, so send_bytes never falls and kbps.send_30s never goes negative (SRS's counters).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { ffmpegPlay, streams } from './api-helpers.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/count'), { size: '320x240', bitrate: '400k' });
  await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'count' && s.publish.active), 15_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

test('send_bytes never falls and send_30s stays >= 0 when players leave', { timeout: 60_000 }, async () => {
  const players = [ffmpegPlay(server.rtmpUrl('/live/count')), ffmpegPlay(server.httpUrl('/live/count.flv'))];
  await waitFor('two players', async () => (await streams(server)).find((s) => s.name === 'count')?.clients === 3, 15_000);
  await sleep(3000);
  const during = (await streams(server)).find((s) => s.name === 'count')!;
  assert.ok(during.send_bytes > 50_000, `sent ${during.send_bytes} while playing`);
  for (const p of players) {
    p.kill('SIGKILL');
    await exitOf(p, 5000);
  }
  await waitFor('players gone', async () => (await streams(server)).find((s) => s.name === 'count')?.clients === 1, 10_000);
  let last = during.send_bytes;
  for (let i = 0; i < 8; i++) {
    const s = (await streams(server)).find((x) => x.name === 'count')!;
    assert.ok(s.send_bytes >= last, `send_bytes fell from ${last} to ${s.send_bytes}`);
    assert.ok(s.kbps.send_30s >= 0, `send_30s ${s.kbps.send_30s}`);
    last = s.send_bytes;
    await sleep(500);
  }
});
