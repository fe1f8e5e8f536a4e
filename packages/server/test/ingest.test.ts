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
import { basicConf, ffprobe, startServer, tempDir, waitFor } from './harness.js';

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
