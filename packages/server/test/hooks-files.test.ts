/**
 * on_hls and on_hls_notify with a real FFmpeg publish, field by field as SRS sends them: `file`
 * and `m3u8` in the form hls_path was written (relative to `cwd`), `url` the segment's URI in the
 * playlist, `m3u8_url` the playlist under hls_path, `seq_no` counting from 0; on_hls_notify a GET
 * of its template with [app], [stream] and [ts_url] filled in.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { basicConf, exitOf, ffmpegPublish, startServer, waitFor, type RunningServer } from './harness.js';
import { startHookServer, type HookServer } from './api-helpers.js';

let server: RunningServer;
let hooks: HookServer;

before(async () => {
  hooks = await startHookServer();
  server = await startServer((p) =>
    basicConf(
      p,
      `hls { enabled on; hls_fragment 2; hls_window 30; hls_path ./objs/hls; hls_ctx off; hls_cleanup off; }
       http_hooks { enabled on; on_hls ${hooks.url}/hls; on_hls_notify ${hooks.url}/notify?app=[app]&stream=[stream]&ts=[ts_url]; }`,
    ),
  );
  const pub = ffmpegPublish(server.rtmpUrl('/live/hooked?token=t1'), { duration: 7, gop: 25 });
  assert.equal(await exitOf(pub, 60_000), 0);
});

after(async () => {
  await server.stop();
  hooks.close();
});

interface OnHls {
  action: string; app: string; stream: string; param: string; cwd: string; file: string; url: string;
  m3u8: string; m3u8_url: string; seq_no: number; duration: number;
}

test('on_hls: one call per segment, paths as configured, in order', { timeout: 60_000 }, async () => {
  const calls = await waitFor('on_hls calls', () => {
    const c = hooks.calls.filter((x) => x.body && (x.body as { action?: string }).action === 'on_hls').map((x) => x.body as unknown as OnHls);
    return c.length >= 3 && c;
  }, 20_000);
  calls.forEach((c, i) => {
    assert.equal(c.app, 'live');
    assert.equal(c.stream, 'hooked');
    assert.equal(c.param, '?token=t1');
    assert.equal(c.seq_no, i);
    assert.equal(c.file, `./objs/hls/live/hooked-${i}.ts`);
    assert.equal(c.url, `hooked-${i}.ts`);
    assert.equal(c.m3u8, './objs/hls/live/hooked.m3u8');
    assert.equal(c.m3u8_url, 'live/hooked.m3u8');
    assert.ok(existsSync(resolve(c.cwd, c.file)), `${c.file} under ${c.cwd}`);
    assert.ok(c.duration > 0.5 && c.duration <= 4.5, `duration ${c.duration}`);
  });
});

test('on_hls_notify: a GET of the template per segment', { timeout: 60_000 }, async () => {
  const notes = await waitFor('on_hls_notify calls', () => {
    const c = hooks.calls.filter((x) => x.path.startsWith('/notify'));
    return c.length >= 3 && c;
  }, 20_000);
  assert.equal(notes[0].method, 'GET');
  assert.equal(notes[0].path, '/notify?app=live&stream=hooked&ts=hooked-0.ts');
});
