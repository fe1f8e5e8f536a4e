/**
 * The `tsrs` command line: -v, -t on every shipped config and on real SRS
 * configs (read from ../shared/srs-conf beside the repository), errors with file:line.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot, srsConfDir } from './paths.js';
import { CLI, basicConf, ffmpegPublish, ffprobe, freePort, kill, startServer, tempDir, waitFor, type Ports } from './harness.js';
import { api, streams } from './api-helpers.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';

const execFileP = promisify(execFile);


async function run(args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP(process.execPath, [CLI, ...args], { cwd, timeout: 20_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

test('tsrs -v prints the version', async () => {
  const r = await run(['-v']);
  assert.equal(r.code, 0);
  assert.match(r.out.trim(), /^tsrs \d+\.\d+\.\d+ \(SRS \d+\.\d+\.\d+ compatible\)$/);
});

test('tsrs -t accepts every config in conf/', async () => {
  const root = repoRoot();
  const files = readdirSync(join(root, 'conf')).filter((f) => f.endsWith('.conf'));
  assert.ok(files.length >= 2);
  for (const f of files) {
    const r = await run(['-t', '-c', join('conf', f)], root);
    assert.equal(r.code, 0, `${f}: ${r.out}`);
    assert.match(r.out, /syntax is ok/);
  }
});

test('tsrs -t accepts the real SRS configs in ../shared/srs-conf', async (t) => {
  const dir = srsConfDir();
  if (!existsSync(dir)) return t.skip(`${dir} is not there`);
  // include.vhost.conf is only ever included by include.conf (no listen of its own).
  const files = readdirSync(dir).filter((f) => f.endsWith('.conf') && f !== 'include.vhost.conf');
  assert.ok(files.length > 20);
  const failed: string[] = [];
  for (const f of files) {
    // SRS resolves includes like ./conf/x.conf from its working dir: run from the configs' parent.
    const r = await run(['-t', '-c', join(dir, f)], dir);
    if (r.code !== 0) failed.push(`${f}: ${r.out}`);
  }
  assert.deepEqual(failed, []);
});

test('tsrs -t rejects a broken config naming file and line', async () => {
  const dir = tempDir();
  const file = join(dir, 'broken.conf');
  writeFileSync(file, 'listen 1935;\nvhost __defaultVhost__ {\n  hls {\n    enabled on\n  }\n}\n');
  const r = await run(['-t', '-c', file]);
  assert.equal(r.code, 1);
  assert.match(r.out, /broken\.conf:4/);
  const bad = join(dir, 'badvalue.conf');
  writeFileSync(bad, 'listen 1935;\nvhost v {\n  play { time_jitter sometimes; }\n}\n');
  const r2 = await run(['-t', '-c', bad]);
  assert.equal(r2.code, 1);
  assert.match(r2.out, /badvalue\.conf:3/);
});

/** Plays `url` with the project's RTMP client: 'ok' once Play.Start came, else the refusal. */
async function tryPlay(url: string): Promise<string> {
  try {
    const c = await RtmpClient.connect(url, { mode: 'play', timeoutMs: 8000 });
    c.destroy();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

test('SIGHUP and the raw API reload the file: a security rule added to it refuses the next player', { timeout: 90_000 }, async () => {
  const conf = (p: Ports, vhostExtra = '') =>
    basicConf(p, vhostExtra, '').replace(/http_api \{[^}]*\}/, `http_api { enabled on; listen ${p.api}; raw_api { enabled on; allow_reload on; } }`);
  const server = await startServer((p) => conf(p));
  const publisher = ffmpegPublish(server.rtmpUrl('/live/reload'), { audio: false });
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'reload' && s.publish.active), 15_000);
    assert.equal(await tryPlay(server.rtmpUrl('/live/reload')), 'ok');
    // SIGHUP: deny play from everyone
    writeFileSync(join(server.dir, 'test.conf'), conf(server.ports, 'security { enabled on; deny play all; allow publish all; }'));
    server.proc.kill('SIGHUP');
    await waitFor('reload logged', () => server.output().includes('config reloaded'), 5000);
    assert.match(await tryPlay(server.rtmpUrl('/live/reload')), /rejected/);
    // the raw API: back to no rules
    writeFileSync(join(server.dir, 'test.conf'), conf(server.ports));
    assert.equal((await api(server, '/api/v1/raw?rpc=reload')).json.code, 0);
    assert.equal(await tryPlay(server.rtmpUrl('/live/reload')), 'ok');
    // the publisher was never disturbed
    assert.ok((await streams(server)).some((s) => s.name === 'reload' && s.publish.active));
  } catch (err) {
    await server.stop(); // a failed check leaves no server behind
    throw err;
  } finally {
    kill(publisher);
  }
  assert.equal(await server.stop('SIGTERM'), 0);
  assert.match(server.output(), /tsrs stopping/);
});

test('listen takes several ports, IPv4 and IPv6: FFmpeg publishes on one and plays on the other', async (t) => {
  const extra = await freePort();
  const server = await startServer((p) => basicConf(p).replace(`listen ${p.rtmp};`, `listen ${p.rtmp} [::1]:${extra};`));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/two'), { duration: 8 });
  t.after(() => kill(pub));
  await waitFor('publish', () => server.output().includes('rtmp publish'), 10_000);
  const out = join(tempDir(), 'v6.flv');
  await execFileP('ffmpeg', ['-v', 'error', '-i', `rtmp://[::1]:${extra}/live/two`, '-t', '2', '-c', 'copy', '-y', out], { timeout: 20_000 });
  const probe = await ffprobe(out);
  assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
});
