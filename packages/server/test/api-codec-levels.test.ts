/**
 * The H.264 level and profile of a real FFmpeg (libx264) publish as /api/v1/streams reports
 * them: every level of H.264 Table A-1 that libx264 writes, including those past 4.1 (1080p60
 * is 4.2), and the profile as SRS names profile_idc ("Baseline" for libx264's Constrained
 * Baseline), with the constrained detail in `tsrs_profile`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import type { Stream } from '@tsrs/api-types';
import { api, streams } from './api-helpers.js';

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

for (const [arg, profile, detail] of [['baseline', 'Baseline', 'Constrained Baseline'], ['high', 'High', 'High']]) {
  test(`libx264 -profile:v ${arg} is reported as profile "${profile}" (tsrs_profile "${detail}")`, { timeout: 60_000 }, async () => {
    const name = `profile_${arg}`;
    // past ultrafast (no CABAC, no 8x8 transform: libx264 writes Baseline whatever the profile asks)
    const publisher = ffmpegPublish(server.rtmpUrl(`/live/${name}`), { audio: false, size: '320x240', videoArgs: ['-preset', 'veryfast', '-profile:v', arg] });
    try {
      const s = await waitFor(`stream ${name} with its video info`, async () => (await streams(server)).find((x) => x.name === name && x.video), 20_000);
      assert.equal(s.video!.codec, 'H264');
      assert.equal(s.video!.profile, profile);
      assert.equal(s.video!.tsrs_profile, detail);
      // the single stream's answer says the same
      const one = (await api<{ stream: Stream }>(server, `/api/v1/streams/${s.id}`)).json.stream;
      assert.equal(one.video!.profile, profile);
    } finally {
      kill(publisher);
    }
  });
}
