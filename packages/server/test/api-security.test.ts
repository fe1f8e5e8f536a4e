/**
 * `security`: deny publish from 127.0.0.1 refuses FFmpeg's publish; `allow play all` still
 * lets players in (RTMP and HTTP-FLV).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, exitOf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { clients, ffmpegPlay, streams } from './api-helpers.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) =>
    basicConf(p, 'security { enabled on; deny publish 127.0.0.1; allow publish all; allow play all; }'),
  );
});

after(async () => {
  await server.stop();
});

test('deny publish 127.0.0.1 refuses FFmpeg', async () => {
  const pub = ffmpegPublish(server.rtmpUrl('/live/sec'), { duration: 10 });
  assert.notEqual(await exitOf(pub, 15_000), 0);
  assert.equal((await streams(server)).length, 0);
  assert.match(server.output(), /security: publish denied for 127\.0\.0\.1/);
});

test('allow play all: an RTMP and an HTTP-FLV player are admitted', async () => {
  const player = ffmpegPlay(server.rtmpUrl('/live/sec'));
  try {
    await waitFor('rtmp player admitted', async () => (await clients(server)).some((c) => c.type === 'rtmp-play'), 10_000);
    const res = await fetch(server.httpUrl('/live/sec.flv'));
    assert.equal(res.status, 200);
    await res.body?.cancel();
    // the stream is listed while players wait for a publisher, not published
    const s = (await streams(server))[0];
    assert.equal(s.publish.active, false);
    assert.equal(s.publish.cid, undefined);
  } finally {
    kill(player);
  }
});
