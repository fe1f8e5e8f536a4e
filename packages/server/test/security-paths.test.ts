/**
 * Issue 10, items 1, 6 and 9, against the real server with real publishers and requests:
 *
 * 1. Names from the network never put a file outside its root: stream/app/vhost names with
 *    `..`, `/`, `\`, NUL, control characters (also percent-encoded, on the tcUrl or the stream)
 *    are refused at publish with the reason; HLS (TS and fMP4) and DVR (FLV and MP4) files from
 *    templates with [vhost]/[app]/[stream] (and [param], no variable in SRS) stay under their
 *    roots, also when a symlink inside a root points outside (written nor deleted, hls_dispose
 *    included); recordings are only downloaded or deleted under the DVR root. Meanwhile the
 *    server stays up and a healthy player of another stream keeps advancing.
 * 6. App `live/sub` + stream `cam` and app `live` + stream `sub/cam` are not one stream.
 * 9. A redirect built from the path never leaves the host (`GET //evil.example`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { openHistoryStore } from '@tsrs/db';
import { RtmpClient, type ParsedClientUrl } from '../src/protocol/rtmp/client-session.js';
import { api, streams } from './api-helpers.js';
import { exitOf, kill, startServer, tempDir, waitFor, type Ports, type RunningServer } from './harness.js';
import { watchHealthyPlayer, type HealthyPlayer } from './healthy-player.js';
import { fetchBytes, playFlv } from './http-players.js';

/** a name no other test uses: every file named with it is ours */
const TOKEN = `victim${process.pid}x${Date.now().toString(36)}`;
const FMP4 = 'fmp4.test';

function conf(p: Ports): string {
  return `
listen ${p.rtmp};
max_connections 200;
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; }
http_server { enabled on; listen ${p.http}; dir ./html; }
vhost __defaultVhost__ {
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  hls {
    enabled on; hls_path ./hls; hls_fragment 1; hls_window 4; hls_dispose 4;
    hls_m3u8_file [vhost]/[app]/[stream].m3u8; hls_ts_file [vhost]/[app]/[stream]-[seq].ts;
  }
  dvr { enabled on; dvr_apply all; dvr_plan session; dvr_path ./dvr/[vhost]/[app]/[stream]-[param].[timestamp].flv; }
}
vhost ${FMP4} {
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  hls {
    enabled on; hls_use_fmp4 on; hls_path ./hls4; hls_fragment 1; hls_window 4; hls_dispose 4;
    hls_m3u8_file [app]/[stream].m3u8; hls_fmp4_file [app]/[stream]-[seq].m4s; hls_init_file [app]/[stream]/init.mp4;
  }
  dvr { enabled on; dvr_apply all; dvr_plan segment; dvr_duration 2; dvr_path ./dvr4/[app]/[2006]/[stream].[timestamp].mp4; }
}
`;
}

let server: RunningServer;
let healthy: HealthyPlayer;
let healthyPublisher: ReturnType<typeof spawn>;
/** where the attacks aim: outside every root, in the temp dir */
const target = tempDir(`tsrs-elsewhere-`);
/** files an attacker would overwrite or hls_dispose would delete there */
const decoys: Record<string, string> = {
  [`${TOKEN}.m3u8`]: 'decoy playlist',
  [`${TOKEN}-0.ts`]: 'decoy segment',
  [`${TOKEN}-1.ts`]: 'decoy segment',
  [`${TOKEN}.flv`]: 'decoy recording',
};

/** FFmpeg publishing a short test pattern with app, stream and tcUrl given exactly as sent. */
function publishAs(o: { app: string; stream: string; tcUrl?: string; seconds?: number }) {
  const url = server.rtmpUrl('/x');
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', String(o.seconds ?? 3),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '15',
    '-c:a', 'aac', '-b:a', '32k', '-f', 'flv', '-rtmp_app', o.app, '-rtmp_playpath', o.stream,
    '-rtmp_tcurl', o.tcUrl ?? server.rtmpUrl(`/${o.app}`), url];
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  return { proc, stderr: () => stderr, exit: () => exitOf(proc, 30_000) };
}

/** The RTMP client with every part as given (no URL parsing on our side). */
function rtmpAs(o: { app: string; stream: string; tcUrl?: string }, mode: 'publish' | 'play'): Promise<RtmpClient> {
  const url: ParsedClientUrl = { host: '127.0.0.1', port: server.ports.rtmp, app: o.app, stream: o.stream, tcUrl: o.tcUrl ?? server.rtmpUrl(`/${o.app}`) };
  return RtmpClient.connect(url, { mode, timeoutMs: 5000 });
}

/** Every file or link under `dir` whose name has TOKEN in it, as paths relative to `dir`. */
function tokenFiles(dir: string, depth = 8): string[] {
  const out: string[] = [];
  const walk = (d: string, level: number) => {
    let names: import('node:fs').Dirent[];
    try {
      names = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of names) {
      const full = join(d, e.name);
      if (e.name.includes(TOKEN)) out.push(relative(dir, full));
      if (e.isDirectory() && level < depth) walk(full, level + 1);
    }
  };
  walk(dir, 0);
  return out;
}

function assertTargetUntouched(): void {
  assert.deepEqual(readdirSync(target).sort(), Object.keys(decoys).sort(), 'files appeared in (or vanished from) the target dir');
  for (const [name, text] of Object.entries(decoys)) assert.equal(readFileSync(join(target, name), 'utf8'), text, `${name} was overwritten`);
  // nothing of ours at the top of the temp dir either (only the target dir itself is there)
  const top = readdirSync(tmpdir()).filter((n) => n.includes(TOKEN));
  assert.deepEqual(top, [], `files in ${tmpdir()}: ${top.join(', ')}`);
}

async function assertAlive(): Promise<void> {
  assert.equal(server.proc.exitCode, null, 'the server exited');
  assert.equal((await api(server, '/api/v1/versions')).status, 200);
  healthy.assertAdvancing();
}

before(async () => {
  for (const [name, text] of Object.entries(decoys)) writeFileSync(join(target, name), text);
  server = await startServer(conf);
  healthyPublisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25', '-f', 'flv', server.rtmpUrl('/live/healthy')],
  { stdio: 'ignore' });
  await waitFor('healthy stream', async () => (await streams(server)).some((s) => s.name === 'healthy' && s.publish.active), 15_000);
  healthy = await watchHealthyPlayer(server.httpUrl('/live/healthy.flv'));
}, { timeout: 60_000 });

after(async () => {
  healthy?.close();
  kill(healthyPublisher);
  await server?.stop();
  rmSync(target, { recursive: true, force: true });
}, { timeout: 30_000 });

test('item 1: traversal names over RTMP (ffmpeg, HLS TS/fMP4 + DVR FLV/MP4) are refused with the reason; nothing leaves the roots', { timeout: 90_000 }, async () => {
  const up = '../'.repeat(12) + target.replace(/^\/+/, '');
  const attacks: { app: string; stream: string; tcUrl?: string; reason: RegExp }[] = [];
  for (const vq of ['', `?vhost=${FMP4}`]) {
    attacks.push(
      { app: 'live', stream: `${up}/${TOKEN}${vq}`, reason: /stream name contains a '\.\.' part/ },
      { app: `live/${up}`, stream: `${TOKEN}${vq}`, reason: /app name has a '\.\.' level/ },
      { app: 'live', stream: `${encodeURIComponent(`${up}/${TOKEN}`)}${vq}`, reason: /percent-encoded/ },
      { app: 'live', stream: `%2e%2e%2f%2e%2e%2f${TOKEN}${vq}`, reason: /percent-encoded/ },
      { app: 'live', stream: `..\\..\\${TOKEN}${vq}`, reason: /backslash/ },
      { app: 'live%2f..%2f..%2f..', stream: `${TOKEN}${vq}`, tcUrl: server.rtmpUrl('/live%2f..%2f..%2f..'), reason: /percent-encoded/ },
      { app: 'live', stream: `sub/${TOKEN}${vq}`, reason: /levels belong to the app/ },
    );
  }
  // the vhost parameter is a name too
  attacks.push({ app: 'live', stream: `${TOKEN}?vhost=../../x`, reason: /vhost name/ });
  // run them four at a time
  for (let i = 0; i < attacks.length; i += 4) {
    await Promise.all(attacks.slice(i, i + 4).map(async (a) => {
      const p = publishAs(a);
      const code = await p.exit();
      assert.notEqual(code, 0, `publish ${JSON.stringify(a)} was accepted`);
      assert.match(p.stderr(), a.reason, `ffmpeg was not told why: ${p.stderr()}`);
    }));
  }
  assert.match(server.output(), /refused: bad name/);
  assertTargetUntouched();
  assert.deepEqual(tokenFiles(server.dir), [], 'files named by a refused publish');
  await assertAlive();
});

test('item 1: NUL, control characters, empty and odd names (project RTMP client) are refused with the reason, publish and play', { timeout: 90_000 }, async () => {
  const cases: { app: string; stream: string; tcUrl?: string; reason: RegExp }[] = [
    { app: 'live', stream: `a\0${TOKEN}`, reason: /NUL/ },
    { app: 'live', stream: `a%00${TOKEN}`, reason: /NUL \(percent-encoded\)/ },
    { app: 'live', stream: `a\n${TOKEN}`, reason: /control characters/ },
    { app: 'live', stream: `a\x01${TOKEN}`, reason: /control characters/ },
    { app: 'live', stream: `a%0d%0a${TOKEN}`, reason: /control characters \(percent-encoded\)/ },
    { app: 'live', stream: '..', reason: /'\.\.' is not allowed/ },
    { app: 'live', stream: '../x', reason: /'\.\.' part/ },
    { app: 'live', stream: '.', reason: /'\.' is not allowed/ },
    { app: 'live\0x', stream: TOKEN, reason: /app name contains NUL/ },
    { app: 'live/\x1b', stream: TOKEN, reason: /control/ },
    { app: '', stream: TOKEN, tcUrl: server.rtmpUrl('/'), reason: /empty app/ },
    { app: 'live//sub', stream: TOKEN, reason: /empty level/ },
    { app: 'live/./sub', stream: TOKEN, reason: /'\.' level/ },
    { app: 'li\\ve', stream: TOKEN, reason: /backslash/ },
  ];
  for (const c of cases) {
    for (const mode of ['publish', 'play'] as const) {
      const err = await rtmpAs(c, mode).then(
        (client) => {
          client.destroy();
          return undefined;
        },
        (e: Error) => e,
      );
      assert.ok(err, `${mode} ${JSON.stringify(c)} was accepted`);
      assert.match(err.message, c.reason, `${mode} ${JSON.stringify(c)}: ${err.message}`);
    }
  }
  assertTargetUntouched();
  assert.deepEqual(tokenFiles(server.dir), []);
  await assertAlive();
});

test('item 1: [param] is no path variable; a hostile query on a good name stays under the roots', { timeout: 90_000 }, async () => {
  const hostile = `?x=${'../'.repeat(12)}${target.replace(/^\/+/, '')}/${TOKEN}`;
  const pubs = [
    publishAs({ app: 'live', stream: `param${TOKEN}${hostile}`, seconds: 3 }),
    publishAs({ app: 'live', stream: `param${TOKEN}${hostile}&vhost=${FMP4}`, seconds: 3 }),
  ];
  for (const p of pubs) assert.equal(await p.exit(), 0, p.stderr());
  await waitFor('files written', () => tokenFiles(server.dir).some((f) => f.startsWith('dvr4/')) && tokenFiles(server.dir).some((f) => f.startsWith('hls4/')), 10_000);
  const files = tokenFiles(server.dir);
  for (const f of files) assert.match(f, /^(hls|hls4|dvr|dvr4)\//, `${f} outside the roots`);
  assert.ok(files.some((f) => f === `dvr/__defaultVhost__/live/param${TOKEN}-[param]` || f.startsWith(`dvr/__defaultVhost__/live/param${TOKEN}-[param].`)), files.join('\n'));
  assert.ok(files.includes(`hls/__defaultVhost__/live/param${TOKEN}.m3u8`), files.join('\n'));
  assert.ok(files.includes(`hls4/live/param${TOKEN}.m3u8`), files.join('\n'));
  assertTargetUntouched();
  await assertAlive();
});

test('item 1: a symlink inside a root pointing outside is not written through (HLS TS/fMP4, DVR FLV/MP4); hls_dispose does not delete through one', { timeout: 90_000 }, async () => {
  const d = server.dir;
  // HLS roots: hls/__defaultVhost__/<app>, hls4/<app>; DVR roots: dvr/__defaultVhost__/<app>, dvr4/<app>
  for (const link of ['hls/__defaultVhost__/hlink', 'dvr/__defaultVhost__/dlink', 'hls4/link4', 'dvr4/link4']) {
    mkdirSync(join(d, link, '..'), { recursive: true });
    symlinkSync(target, join(d, link));
  }
  const pubs = [
    publishAs({ app: 'hlink', stream: TOKEN, seconds: 4 }),
    publishAs({ app: 'dlink', stream: TOKEN, seconds: 4 }),
    publishAs({ app: 'link4', stream: `${TOKEN}?vhost=${FMP4}`, seconds: 4 }),
    // legit, for hls_dispose below: its directory becomes a link once it stopped
    publishAs({ app: 'swap', stream: TOKEN, seconds: 3 }),
  ];
  assert.equal(await pubs[3].exit(), 0, pubs[3].stderr());
  const swapDir = join(d, 'hls/__defaultVhost__/swap');
  assert.ok(existsSync(join(swapDir, `${TOKEN}.m3u8`)), 'the legit publish wrote no playlist');
  renameSync(swapDir, `${swapDir}.real`);
  symlinkSync(target, swapDir);
  for (const p of pubs.slice(0, 3)) assert.equal(await p.exit(), 0, p.stderr());
  // the outputs that did not go through a link wrote as usual
  assert.ok(existsSync(join(d, `hls/__defaultVhost__/dlink/${TOKEN}.m3u8`)), 'HLS beside the DVR link');
  assert.ok(readdirSync(join(d, 'dvr/__defaultVhost__/hlink')).some((n) => n.startsWith(`${TOKEN}-`)), 'DVR beside the HLS link');
  // hls_dispose (4 s) of swap has run and found its directory a link to the target
  await waitFor('hls_dispose refusal logged', () => /not deleting a file outside its directory/.test(server.output()), 15_000);
  assert.match(server.output(), /hls: path outside its directory, not written/);
  assert.match(server.output(), /dvr: file refused, not recording|dvr: write failed/);
  assertTargetUntouched();
  await assertAlive();
});

test('item 1: recordings are only downloaded or deleted under the DVR root (ids, paths, symlinks)', { timeout: 90_000 }, async () => {
  const d = server.dir;
  // a real recording under dvr/__defaultVhost__/recs, then its directory becomes a link to the target
  const p = publishAs({ app: 'recs', stream: TOKEN, seconds: 3 });
  assert.equal(await p.exit(), 0, p.stderr());
  type Rec = { id: string; path: string; complete: boolean; end: number | null };
  const rec = await waitFor('recording row', async () => {
    const r = (await api<{ recordings: Rec[] }>(server, `/api/v1/recordings?app=recs&stream=${TOKEN}`)).json.recordings;
    return r.length === 1 && r[0].end !== null && r[0];
  }, 15_000);
  assert.equal((await fetch(server.apiUrl(`/api/v1/recordings/${rec.id}/download`))).status, 200);
  const recsDir = join(d, 'dvr/__defaultVhost__/recs');
  const fileName = rec.path.slice(recsDir.length + 1);
  renameSync(recsDir, `${recsDir}.real`);
  symlinkSync(target, recsDir);
  writeFileSync(join(target, fileName), 'decoy recording');
  decoys[fileName] = 'decoy recording';

  // rows whose paths try to leave the root (as a bad row or a tampered database would hold)
  mkdirSync(join(d, 'dvr/__defaultVhost__'), { recursive: true });
  symlinkSync(target, join(d, 'dvr/__defaultVhost__/link2'));
  const store = await openHistoryStore({ url: join(d, 'objs/tsrs.db') });
  const hostile = [
    join(target, `${TOKEN}.flv`),
    `${d}/dvr/../../${relative('/', target)}/${TOKEN}.flv`,
    join(d, 'dvr/__defaultVhost__/link2', `${TOKEN}.flv`),
    `${join(d, 'dvr', TOKEN)}\0.flv`,
    `${join(d, 'dvr', TOKEN)}\\..\\x.flv`,
  ];
  const ids: string[] = [rec.id];
  for (const path of hostile) {
    const id = await store.recordingStarted({ vhost: '__defaultVhost__', app: 'live', stream: TOKEN, path, format: 'flv' });
    store.recordingEnded(id, { size: 10, durationMs: 1, complete: true });
    ids.push(id);
  }
  await store.flush();
  await store.close();

  for (const id of ids) {
    const r = await api(server, `/api/v1/recordings/${id}/download`);
    assert.equal(r.json?.code, 4095, `download of ${id}: ${r.status} ${r.text.slice(0, 80)}`);
    const mp4 = await api(server, `/api/v1/recordings/${id}/download?format=mp4`);
    assert.equal(mp4.json?.code, 4095);
  }
  // ids that look like paths are just unknown ids (raw requests: fetch() would fold `%2e%2e`)
  const rel = relative(join(d, 'dvr'), join(target, `${TOKEN}.flv`));
  for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '%00', encodeURIComponent(join(target, `${TOKEN}.flv`)), encodeURIComponent(rel), rel]) {
    for (const [method, suffix] of [['GET', ''], ['GET', '/download'], ['DELETE', '']]) {
      const r = await rawRequest(server.ports.api, method, `/api/v1/recordings/${id}${suffix}`);
      let code: number | undefined;
      try {
        code = JSON.parse(r.body).code;
      } catch {
        code = undefined;
      }
      // an unknown id; or, where the API's URL parser folded `..` away, some other API answer
      assert.ok(!r.body.includes('decoy'), `${method} ${id}${suffix} served a file outside the root`);
      if (method === 'DELETE') assert.notEqual(code, 0, `DELETE ${id}: ${r.status} ${r.body.slice(0, 80)}`);
      if (!id.includes('..') && !id.includes('%2e')) assert.ok(r.status === 404 || code === 4093, `${method} ${id}${suffix}: ${r.status} ${r.body.slice(0, 80)}`);
    }
  }
  // deleting the rows removes the rows only
  for (const id of ids) assert.equal((await api(server, `/api/v1/recordings/${id}`, { method: 'DELETE' })).json.code, 0);
  assertTargetUntouched();
  await assertAlive();
});

test('item 1: names in HTTP player paths are checked like RTMP names (400)', { timeout: 90_000 }, async () => {
  for (const path of [
    '/live/%2e%2e.flv',
    '/live/a%00b.flv',
    '/live/a%0ab.flv',
    '/live/..%5cx.flv',
    '/live%2f..%2f..%2fx/s.flv',
    '/live/.%2e/x.flv',
    '/live/sub%2fcam.flv',
    '/live/%252e%252e.flv',
  ]) {
    // raw: fetch() would fold `.%2e` into `..` before sending
    const r = await rawGet(server.ports.http, path);
    assert.equal(r.status, 400, `${path}: ${r.status}`);
    assert.match(r.body, /Bad Request: .*name/);
  }
  await assertAlive();
});

test('item 6: app live/sub + stream cam and app live + stream sub/cam are not one stream', { timeout: 90_000 }, async () => {
  const p = publishAs({ app: 'live/sub', stream: 'cam', seconds: 30 });
  try {
    await waitFor('live/sub/cam', async () => (await streams(server)).some((s) => s.app === 'live/sub' && s.name === 'cam' && s.publish.active), 15_000);
    // the other spelling is refused for publishing and playing, over RTMP and HTTP
    const other = { app: 'live', stream: 'sub/cam' };
    for (const mode of ['publish', 'play'] as const) {
      await assert.rejects(rtmpAs(other, mode), /stream name contains '\/'/);
    }
    const ff = publishAs({ ...other, seconds: 2 });
    assert.notEqual(await ff.exit(), 0);
    assert.equal((await fetchBytes(server.httpUrl('/live/sub%2Fcam.flv'))).status, 400);
    // the API does not find one under the other's names
    const dvr = await api(server, '/api/v1/dvrs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ app: 'live', stream: 'sub/cam', action: 'start' }) });
    assert.equal(dvr.json.code, 2048);
    // the real one plays, and is listed once under its own names
    const player = await playFlv(server.httpUrl('/live/sub/cam.flv'));
    await waitFor('video', () => player.videoTags > 0, 10_000);
    player.close();
    const mine = (await streams(server)).filter((s) => s.name === 'cam' || s.name === 'sub/cam');
    assert.deepEqual(mine.map((s) => [s.app, s.name]), [['live/sub', 'cam']]);
  } finally {
    kill(p.proc);
  }
  await assertAlive();
});

/** One raw HTTP/1.1 GET (no client-side path normalization): status line, headers, body. */
function rawGet(port: number, target: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return rawRequest(port, 'GET', target);
}

function rawRequest(port: number, method: string, target: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(10_000, () => s.destroy(new Error(`${method} ${target}: no answer in 10 s`)));
    let data = '';
    s.on('connect', () => s.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    s.on('data', (c) => (data += c));
    s.on('error', reject);
    s.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

test('item 9: redirects built from the path stay on the host (GET //evil.example after a publish to app evil.example)', { timeout: 90_000 }, async () => {
  const p = publishAs({ app: 'evil.example', stream: 's', seconds: 30, tcUrl: server.rtmpUrl(`/evil.example?vhost=${FMP4}`) });
  try {
    // the fMP4 vhost writes hls4/evil.example/s.m3u8, and hls4 is served: /evil.example is a directory
    await waitFor('playlist', () => existsSync(join(server.dir, 'hls4/evil.example/s.m3u8')), 15_000);
    const cases: [string, string | undefined][] = [
      ['//evil.example', '/evil.example/'],
      ['///evil.example', '/evil.example/'],
      ['//evil.example?x=1', '/evil.example/?x=1'],
      ['/./evil.example', undefined],
      ['//%65vil.example', '/evil.example/'],
      ['/evil.example', '/evil.example/'],
      ['/%2Fevil.example', undefined],
      ['/%5Cevil.example', undefined],
      ['/\\evil.example', undefined],
      ['/console', '/console/'],
      ['/players/srs_player.html?app=live&stream=s', '/console/player/?app=live&stream=s'],
    ];
    for (const [path, want] of cases) {
      const r = await rawGet(server.ports.http, path);
      const loc = r.headers.location;
      if (loc !== undefined) {
        assert.match(loc, /^\/(?![/\\])/, `${path}: Location ${loc} leaves the host`);
        assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(loc), `${path}: Location ${loc}`);
      }
      if (want) {
        assert.equal(r.status, 302, `${path}: ${r.status}`);
        assert.equal(loc, want, path);
      } else assert.notEqual(r.status, 302, `${path}: redirected to ${loc}`);
    }
    // the hls_ctx master playlist names the checked path, not the one asked (`//evil.example/...`)
    const master = await rawGet(server.ports.http, '//evil.example/s.m3u8');
    assert.equal(master.status, 200);
    const uri = master.body.split('\n').find((l) => l && !l.startsWith('#'))!;
    assert.match(uri, /^\/evil\.example\/s\.m3u8\?hls_ctx=/);
  } finally {
    kill(p.proc);
  }
  await assertAlive();
});
