/**
 * SRS's ingest: an FFmpeg per ingest pulls a file into a live stream, is restarted when it dies
 * and stops when a reload removes the ingest.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, processes } from './processes.js';
import { basicConf, ffprobe, sleep, startServer, tempDir, waitFor } from './harness.js';
import { playFlv } from './http-players.js';

const INGEST = `ingest cam {
    enabled on;
    input { type file; url ./in.flv; }
    ffmpeg /usr/bin/ffmpeg;
    engine { enabled off; output rtmp://127.0.0.1:[port]/live/cam?vhost=[vhost]; }
  }`;

test('ingest of a file: plays over RTMP and HTTP-FLV, restarted when killed, stopped when a reload removes it', async (t) => {
  const dir = tempDir('tsrs-ingest-');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=352x288:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', join(dir, 'in.flv')]);
  const server = await startServer((p) => basicConf(p, INGEST), { dir });
  t.after(() => server.stop());
  const first = await waitFor('ingest running', async () => (await processes(server)).find((p) => p.name === 'ingest cam' && p.pid > 0), 20_000);
  assert.ok(first.args.includes('-re') && first.args.includes('copy'), first.args.join(' '));
  assert.ok(!first.args.includes('-stream_loop'));
  // listed under the stream it makes (as the stream's url, which the console's stream page
  // matches), its stderr logged with its own context id
  assert.equal(first.stream, '/live/cam');
  assert.match(first.cid, /^[0-9a-z]{8}$/);
  for (const url of [server.rtmpUrl('/live/cam'), server.httpUrl('/live/cam.flv')]) {
    const probe = await waitFor(`plays ${url}`, () => ffprobe(url).catch(() => undefined), 30_000, 500);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    assert.equal(`${video?.width}x${video?.height}`, '352x288', url);
    assert.ok(probe.streams.some((s) => s.codec_type === 'audio'), url);
  }
  const victim = (await processes(server)).find((p) => p.name === 'ingest cam' && p.pid > 0);
  assert.ok(victim);
  process.kill(victim.pid, 'SIGKILL');
  const second = await waitFor('restarted', async () => (await processes(server)).find((p) => p.name === 'ingest cam' && p.pid > 0 && p.pid !== victim.pid), 30_000);
  assert.ok(second.restarts > victim.restarts);
  const probe = await waitFor('plays again', () => ffprobe(server.httpUrl('/live/cam.flv')).catch(() => undefined), 30_000, 500);
  assert.ok(probe.streams.some((s) => s.codec_type === 'video'));
  // reload without the ingest
  writeFileSync(join(dir, 'test.conf'), basicConf(server.ports, ''));
  server.proc.kill('SIGHUP');
  await waitFor('ingest gone after reload', async () => (await processes(server)).length === 0 && !alive(second.pid), 15_000);
});

test('on-demand ingest: started by a player of its stream (HTTP-FLV, RTMP), stopped after on_demand_hold without players', { timeout: 180_000 }, async (t) => {
  const dir = tempDir('tsrs-ingest-od-');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', join(dir, 'in.flv')]);
  // SRS's output form: the vhost in the app's query, the stream after it
  const conf = `ingest od {
    enabled on;
    on_demand on;
    on_demand_hold 3;
    input { type file; url ./in.flv; }
    ffmpeg /usr/bin/ffmpeg;
    engine { enabled off; output rtmp://127.0.0.1:[port]/live?vhost=[vhost]/od; }
  }`;
  const server = await startServer((p) => basicConf(p, conf), { dir });
  t.after(() => server.stop());
  const running = async () => (await processes(server)).find((p) => p.name === 'ingest od' && p.pid > 0);
  await sleep(2_000);
  assert.equal((await processes(server)).length, 0, 'not started with the server');

  // an HTTP-FLV player of another stream asks for nothing
  const other = await playFlv(server.httpUrl('/live/other.flv'));
  t.after(() => other.close());
  await sleep(1_500);
  assert.equal((await processes(server)).length, 0, 'another stream starts nothing');
  other.close();

  const flv = await playFlv(server.httpUrl('/live/od.flv'));
  t.after(() => flv.close());
  const first = await waitFor('started on demand', running, 20_000);
  await waitFor('the waiting player gets the stream', () => flv.videoTags > 25 && flv.audioTags > 0, 30_000);
  assert.equal(flv.error, undefined);
  // it keeps running while the player plays, past the hold
  await sleep(4_000);
  assert.equal((await running())?.pid, first.pid);
  flv.close();
  const left = Date.now();
  await waitFor('stopped once idle', async () => (await processes(server)).length === 0 && !alive(first.pid), 30_000, 200);
  assert.ok(Date.now() - left >= 2_500, `stopped ${Date.now() - left} ms after the last player left, before on_demand_hold`);

  // an RTMP player starts it again
  const probe = await ffprobe(server.rtmpUrl('/live/od'));
  assert.equal(`${probe.streams.find((s) => s.codec_type === 'video')?.width}`, '320');
  const again = await waitFor('started again', running, 5_000);
  assert.notEqual(again.pid, first.pid);
  await waitFor('stopped again', async () => (await processes(server)).length === 0 && !alive(again.pid), 30_000, 200);
});
