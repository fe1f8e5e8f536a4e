/**
 * The H.264 level of a real FFmpeg (libx264) publish as /api/v1/streams reports it: every
 * level of H.264 Table A-1 that libx264 writes, including those past 4.1 (1080p60 is 4.2).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { streams } from './api-helpers.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) => basicConf(p));
});

after(async () => {
  await server.stop();
});

for (const level of ['4.2', '5.2', '6.2']) {
  test(`libx264 -level ${level} is reported as level "${level}"`, { timeout: 60_000 }, async () => {
    const name = `level${level.replace('.', '')}`;
    const publisher = ffmpegPublish(server.rtmpUrl(`/live/${name}`), { audio: false, size: '320x240', videoArgs: ['-level:v', level] });
    try {
      const s = await waitFor(`stream ${name} with its video info`, async () => (await streams(server)).find((x) => x.name === name && x.video), 20_000);
      assert.equal(s.video!.codec, 'H264');
      assert.equal(s.video!.level, level);
    } finally {
      kill(publisher);
    }
  });
}
