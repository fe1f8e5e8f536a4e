/**
 * Every real SRS config in ../shared/srs-conf starts tsrs (not only parses): run as SRS users
 * run them, from a work directory, with the ports moved to free ones through SRS_* variables.
 * The server must say it started, answer on its API when it has one, and stop cleanly.
 * srs.conf also takes a real publish and play.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { srsConfDir } from './paths.js';
import { CLI, ffmpegPublish, ffprobe, freePort, kill, tempDir, waitFor } from './harness.js';

const dir = srsConfDir();
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.conf') && f !== 'include.vhost.conf').sort() : [];

test('../shared/srs-conf is there', (t) => {
  if (!existsSync(dir)) t.skip(`SKIPPED: ${dir} not found (CI puts shared/ beside the clone)`);
  else assert.ok(files.length >= 20, `${files.length} configs`);
});

/** Whether `port` can be bound now on all addresses (TCP or UDP), as the server would bind it. */
function bindable(port: number, udp: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    if (udp) {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, () => s.close(() => resolve(true)));
    } else {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, () => s.close(() => resolve(true)));
    }
  });
}

for (const file of files) {
  test(`tsrs starts with SRS's ${file}`, { timeout: 60_000 }, async (t) => {
    const path = join(dir, file);
    const conf = loadConfig(path, {}).config;
    // stream_caster ports cannot be moved from the environment: another program on this machine
    // (say a tsrs running conf/caster.conf) holding one is no fault of the config
    for (const c of conf.stream_casters) {
      if (c.enabled && ['flv', 'mpegts_over_udp'].includes(c.caster) && !(await bindable(c.listen, c.caster !== 'flv'))) {
        t.skip(`SKIPPED: stream_caster ${c.caster} port ${c.listen} is held by another program`);
        return;
      }
    }
    const rtmp = await freePort();
    const apiPort = await freePort();
    const shared = conf.http_server.enabled && conf.http_api.enabled && conf.http_server.listen.port === conf.http_api.listen.port;
    const http = shared ? apiPort : await freePort();
    const env = {
      SRS_LISTEN: String(rtmp), SRS_HTTP_API_LISTEN: String(apiPort), SRS_HTTP_SERVER_LISTEN: String(http),
      SRS_EXPORTER_LISTEN: String(await freePort()), SRS_RTC_SERVER_LISTEN: String(await freePort()), SRS_SRS_LOG_TANK: 'console', SRS_DAEMON: 'off',
    };
    const cwd = tempDir('tsrs-srsconf-');
    const proc = spawn(process.execPath, [CLI, '-c', path], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    let publisher: ReturnType<typeof ffmpegPublish> | undefined;
    try {
      await waitFor(`${file} started`, () => / tsrs \S+ started/.test(out) || proc.exitCode !== null, 20_000);
      assert.equal(proc.exitCode, null, `${file} exited:\n${out}`);
      if (conf.http_api.enabled) {
        const url = `http://127.0.0.1:${apiPort}/api/v1/versions`;
        const auth = conf.http_api.auth;
        if (auth.enabled) {
          assert.equal((await fetch(url)).status, 401, 'auth on: no credentials, no answer');
          const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
          assert.equal((await fetch(url, { headers: { authorization: `Basic ${basic}` } })).status, 200);
        } else {
          assert.equal((await fetch(url)).status, 200);
        }
      }
      if (file === 'srs.conf') {
        publisher = ffmpegPublish(`rtmp://127.0.0.1:${rtmp}/live/livestream`, { audio: true });
        await waitFor('HTTP-FLV plays', async () => {
          try {
            const probe = await ffprobe(`http://127.0.0.1:${http}/live/livestream.flv`, ['-read_intervals', '%+2']);
            return probe.streams.some((s) => s.codec_type === 'video');
          } catch {
            return false;
          }
        }, 30_000, 1000);
      }
    } finally {
      kill(publisher);
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /tsrs stopped/);
  });
}
