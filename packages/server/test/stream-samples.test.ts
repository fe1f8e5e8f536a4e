/**
 * Per-stream sample history (item 19): `GET /api/v1/streams/{id}/samples` answers the stream's
 * last seconds of live figures, sampled whether or not a console is connected, so a stream's
 * page opens on full charts. A real FFmpeg publisher at 25 fps with 500 kbps video.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, type LiveStreamHistory } from '@tsrs/api-types';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { api, streams } from './api-helpers.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish> | undefined;
let id = '';

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/hist'), { rate: 25, gop: 25, bitrate: '500k' });
  const s = await waitFor('live/hist published', async () => (await streams(server)).find((x) => x.name === 'hist' && x.publish.active), 15_000);
  id = s.id;
});

after(async () => {
  kill(publisher);
  await server.stop();
});

const samplesOf = async (streamId: string) => (await api<{ history: LiveStreamHistory }>(server, `/api/v1/streams/${streamId}/samples`)).json;

test('a published stream has its last seconds of samples, one a second, server time, with its rates', async () => {
  // no socket.io client is connected: the samples are taken anyway
  await sleep(9000);
  const answer = await samplesOf(id);
  assert.equal(answer.code, 0);
  const h = answer.history;
  assert.equal(h.stream, id);
  assert.equal(h.interval_ms, 1000);
  assert.equal(h.capacity, 600);
  assert.ok(h.samples.length >= 5 && h.samples.length <= 12, `samples: ${h.samples.length}`);
  for (let i = 1; i < h.samples.length; i++) {
    const dt = h.samples[i].t - h.samples[i - 1].t;
    assert.ok(dt >= 500 && dt <= 5000, `sample ${i}: ${dt} ms after the one before`);
  }
  assert.ok(Math.abs(h.samples.at(-1)!.t - Date.now()) < 5000, 'times are the server clock');
  const last = h.samples.at(-1)!;
  assert.ok(last.fps >= 20 && last.fps <= 26, `fps ${last.fps}`);
  // 500k video + 64k audio, with container overhead; short-window figures move around
  assert.ok(last.recv_kbps >= 250 && last.recv_kbps <= 1200, `recv ${last.recv_kbps} kbps`);
  assert.equal(last.send_kbps, 0, 'nobody plays');
  assert.equal(last.clients, 1, 'the publisher');
  assert.ok(last.keyframe_interval_ms >= 800 && last.keyframe_interval_ms <= 1200, `keyframe interval ${last.keyframe_interval_ms}`);
});

test('an unknown stream id is code 2048; a stream that went away keeps its tail', async () => {
  const unknown = await samplesOf('vid-nothing');
  assert.equal(unknown.code, ErrorCode.StreamNotFound);
  const before = (await samplesOf(id)).history.samples.length;
  kill(publisher);
  await exitOf(publisher!);
  await waitFor('stream unpublished', async () => !(await streams(server)).some((x) => x.id === id && x.publish.active), 10_000);
  await sleep(2000);
  const after = await samplesOf(id);
  assert.equal(after.code, 0);
  assert.ok(after.history.samples.length >= before, `${after.history.samples.length} < ${before}`);
  assert.ok(after.history.samples.some((p) => p.recv_kbps > 0), 'the published seconds are still there');
});
