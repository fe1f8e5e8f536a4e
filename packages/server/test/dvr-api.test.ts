/**
 * DVR through the API on a vhost with dvr disabled: start, 5 s, stop -> a ~5 s FLV that is
 * listed, downloadable with Range, exported as MP4 that ffprobe reads and FFmpeg decodes
 * cleanly; starting twice gives one recording; bad input gets SRS-style error codes; a
 * recording being written cannot be deleted, a finished one can (file and row).
 */
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { basicConf, decodeErrors, ffmpegPublish, ffprobe, kill, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { api, streams } from './api-helpers.js';

interface Rec {
  id: string;
  vhost: string;
  app: string;
  stream: string;
  path: string;
  format: string;
  start: number;
  end: number | null;
  duration_ms: number;
  size: number;
  complete: boolean;
}

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
const tmp = tempDir('tsrs-dvr-api-');

const post = (body: unknown) =>
  api<{ id: string | null; recording: boolean }>(server, '/api/v1/dvrs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const recordings = async (query = '') => (await api<{ recordings: Rec[]; total: number }>(server, `/api/v1/recordings${query}`)).json;
const download = (id: string, query = '', headers: Record<string, string> = {}) => fetch(server.apiUrl(`/api/v1/recordings/${id}/download${query}`), { headers });

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/api'));
  await waitFor('published', async () => (await streams(server)).some((s) => s.publish.active && s.video && s.audio), 15_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

test('bad requests get error codes and leave nothing behind', async () => {
  assert.equal((await post('{not json')).json.code, 3063);
  assert.equal((await post({ app: 'live', action: 'start' })).json.code, 4092);
  assert.equal((await post({ app: 'live', stream: 'api', action: 'record' })).json.code, 4092);
  assert.equal((await post({ app: 'live', stream: 'api', action: 'start', format: 'avi' })).json.code, 4092);
  assert.equal((await post({ app: 'live', stream: 'nosuch', action: 'start' })).json.code, 2048);
  assert.equal((await post({ app: 'live', stream: '../../etc', action: 'start' })).json.code, 2048);
  for (const path of ['/api/v1/recordings/nosuch', '/api/v1/recordings/nosuch/download']) assert.equal((await api(server, path)).json.code, 4093, path);
  assert.equal((await api(server, '/api/v1/recordings/nosuch', { method: 'DELETE' })).json.code, 4093);
  assert.equal((await api(server, '/api/v1/recordings?from=yesterday')).json.code, 4092);
  assert.deepEqual((await api<{ dvrs: unknown[] }>(server, '/api/v1/dvrs')).json.dvrs, []);
});

test('start, 5 s, stop: a listed ~5 s recording, downloadable with Range and as MP4', async () => {
  const started = await post({ app: 'live', stream: 'api', action: 'start' });
  assert.equal(started.json.code, 0);
  const id = started.json.id!;
  assert.ok(id);
  // a second start is the same recording
  const again = await post({ app: 'live', stream: 'api', vhost: '__defaultVhost__', action: 'start' });
  assert.equal(again.json.id, id);
  const active = await waitFor('file open', async () => {
    const d = (await api<{ dvrs: { id: string; path: string; by_api: boolean }[] }>(server, '/api/v1/dvrs')).json.dvrs;
    return d.length === 1 && d[0].path !== '' && d[0];
  }, 5000);
  assert.equal(active.id, id);
  assert.equal(active.by_api, true);
  assert.match(active.path, /\/objs\/nginx\/html\/live\/api\.\d{13}\.flv$/);
  await sleep(5000);
  const stopped = await post({ app: 'live', stream: 'api', action: 'stop' });
  assert.deepEqual([stopped.json.code, stopped.json.id, stopped.json.recording], [0, id, false]);

  const rec = await waitFor('closed row', async () => (await recordings('?stream=api')).recordings.find((r) => r.id === id && r.end !== null), 10_000);
  assert.equal(rec.complete, true);
  assert.equal(rec.format, 'flv');
  assert.equal(rec.path, active.path);
  assert.ok(Math.abs(rec.duration_ms - 5000) < 1500, `duration_ms ${rec.duration_ms}`);
  assert.equal(rec.size, statSync(rec.path).size);
  assert.deepEqual((await api<{ recording: Rec }>(server, `/api/v1/recordings/${id}`)).json.recording, rec);
  assert.equal((await api(server, '/api/v1/dvrs')).json.dvrs instanceof Array, true);

  // the raw file
  const whole = await download(id);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'video/x-flv');
  assert.match(whole.headers.get('content-disposition') ?? '', /^attachment; filename="api\.\d{13}\.flv"$/);
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  const flv = Buffer.from(await whole.arrayBuffer());
  assert.equal(flv.length, rec.size);
  const flvFile = join(tmp, 'rec.flv');
  writeFileSync(flvFile, flv);
  const info = await ffprobe(flvFile);
  assert.deepEqual(info.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
  assert.ok(Math.abs(Number(info.format.duration) - 5) <= 1.5, `duration ${info.format.duration}`);

  // Range
  const part = await download(id, '', { Range: 'bytes=100-199' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${rec.size}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), flv.subarray(100, 200));
  const tail = await download(id, '', { Range: 'bytes=-10' });
  assert.equal(tail.status, 206);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), flv.subarray(flv.length - 10));
  const beyond = await download(id, '', { Range: `bytes=${rec.size}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${rec.size}`);
  await beyond.arrayBuffer();

  // MP4 export, made on the fly
  const mp4 = await download(id, '?format=mp4');
  assert.equal(mp4.status, 200);
  assert.equal(mp4.headers.get('content-type'), 'video/mp4');
  assert.match(mp4.headers.get('content-disposition') ?? '', /filename="api\.\d{13}\.mp4"$/);
  const mp4File = join(tmp, 'rec.mp4');
  writeFileSync(mp4File, Buffer.from(await mp4.arrayBuffer()));
  const m = await ffprobe(mp4File);
  assert.deepEqual(m.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
  assert.ok(Math.abs(Number(m.format.duration) - 5) <= 1.5, `mp4 duration ${m.format.duration}`);
  assert.equal(await decodeErrors(mp4File), '');
});

test('paging, time range and filters', async () => {
  const all = await recordings();
  assert.ok(all.total >= 1);
  assert.equal((await recordings('?stream=nosuch')).recordings.length, 0);
  assert.equal((await recordings('?app=live&count=1&start=0')).recordings.length, 1);
  assert.equal((await recordings(`?to=${all.recordings.at(-1)!.start - 1}`)).recordings.length, 0);
  assert.equal((await recordings(`?from=${Date.now() + 60_000}`)).recordings.length, 0);
  assert.equal((await recordings('?offset=1000')).recordings.length, 0);
});

test('a recording being written is not deleted; a finished one is, file and row', async () => {
  const started = await post({ app: 'live', stream: 'api', action: 'start', format: 'mp4' });
  const id = started.json.id!;
  const path = await waitFor('file open', async () => {
    const d = (await api<{ dvrs: { id: string; path: string }[] }>(server, '/api/v1/dvrs')).json.dvrs;
    return d[0]?.path || undefined;
  }, 5000);
  assert.match(path, /\.mp4$/);
  assert.equal((await api(server, `/api/v1/recordings/${id}`, { method: 'DELETE' })).json.code, 4094);
  await sleep(1500);
  assert.equal((await post({ app: 'live', stream: 'api', action: 'stop' })).json.code, 0);
  await waitFor('closed', async () => (await api<{ recording: Rec }>(server, `/api/v1/recordings/${id}`)).json.recording?.end !== null);
  // a stop with nothing recording is fine
  assert.deepEqual((await post({ app: 'live', stream: 'api', action: 'stop' })).json.id, null);
  const mp4 = await download(id);
  assert.equal(mp4.headers.get('content-type'), 'video/mp4');
  const file = join(tmp, 'direct.mp4');
  writeFileSync(file, Buffer.from(await mp4.arrayBuffer()));
  assert.deepEqual((await ffprobe(file)).streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
  const del = await api(server, `/api/v1/recordings/${id}`, { method: 'DELETE' });
  assert.equal(del.json.code, 0);
  assert.equal(existsSync(path), false);
  assert.equal((await api(server, `/api/v1/recordings/${id}`)).json.code, 4093);
});
