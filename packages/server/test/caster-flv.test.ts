/**
 * The flv stream caster (SRS's `stream_caster { caster flv; }`): an HTTP POST/PUT of an FLV body
 * to `/app/stream.flv` on the caster's port publishes it. Real clients: curl -T and FFmpeg
 * `-method POST` publish; FFmpeg/ffprobe play over RTMP and HTTP-FLV; the API lists, kicks and
 * records the publisher; hooks and security apply; bad names, slow and corrupt bodies are bounded.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HistoryClientSession } from '@tsrs/api-types';
import { api, clients, startHookServer, streams, type HookServer } from './api-helpers.js';
import { basicConf, exitOf, type ProbeStream, ffprobe, freePort, kill, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';

const execFileP = promisify(execFile);
let server: RunningServer;
let hooks: HookServer;
let caster: number;
let secured: number;
let capped: number;
let file: string;

const casterUrl = (path: string, port = caster) => `http://127.0.0.1:${port}${path}`;

/** curl uploading `file` (PUT, as -T does) at `rate` bytes/s; resolves its HTTP status. */
function curlUpload(url: string, rate = '30k'): { proc: ChildProcess; status: Promise<string> } {
  const proc = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--limit-rate', rate, '-T', file, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  return { proc, status: exitOf(proc, 120_000).then(() => out.trim()) };
}

/** FFmpeg publishing a live test pattern by HTTP POST (chunked), as SRS's flv caster documents. */
function ffmpegPost(url: string): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', '-method', 'POST', url], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const avCodecs = (s: ProbeStream[]) => s.filter((x) => x.codec_type === 'audio' || x.codec_type === 'video').map((x) => x.codec_name).sort();
const published = async (name: string) => (await streams(server)).find((s) => s.name === name && s.publish.active);

before(async () => {
  hooks = await startHookServer((call) => (call.body.stream === 'refused' ? '{"code":1}' : '{"code":0}'));
  caster = await freePort();
  secured = await freePort();
  capped = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      `publish { firstpkt_timeout 3000; normal_timeout 3000; }
  http_hooks { enabled on; on_publish ${hooks.url}/pub; on_unpublish ${hooks.url}/unpub; }`,
      `stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${caster}; }
stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]?vhost=secure; listen ${secured}; }
stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${capped}; max_publishers 2; }
vhost secure { security { enabled on; deny publish all; } }`,
    ),
  );
  // a 24 s H.264 + AAC file (about 750 kB), uploaded at 30 kB/s: published for about as long
  file = join(tempDir(), 'in.flv');
  await execFileP('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '24',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-b:v', '200k', '-c:a', 'aac', '-b:a', '32k', '-y', file], { timeout: 60_000 });
});

after(async () => {
  await server.stop();
  hooks.close();
});

test('curl -T file.flv publishes: listed with codecs, plays over RTMP, hooks fire, the stream ends with the upload', { timeout: 120_000 }, async () => {
  const up = curlUpload(casterUrl('/live/curl.flv?token=abc'));
  const s = await waitFor('stream published with codecs', async () => {
    const st = await published('curl');
    return st?.video && st.audio ? st : undefined;
  }, 15_000);
  assert.equal(s.app, 'live');
  assert.equal(s.video?.codec, 'H264');
  assert.equal(s.audio?.codec, 'AAC');
  const pub = (await clients(server)).find((c) => c.id === s.publish.cid);
  assert.equal(pub?.type, 'fmle-publish');
  assert.equal(pub?.publish, true);
  const probe = await ffprobe(server.rtmpUrl('/live/curl'), ['-analyzeduration', '2000000']);
  assert.deepEqual(avCodecs(probe.streams), ['aac', 'h264']);
  assert.equal(await up.status, '200');
  await waitFor('stream ends with the body', async () => !(await published('curl')), 10_000);
  const onPublish = hooks.calls.find((c) => c.path === '/pub' && c.body.stream === 'curl');
  assert.equal(onPublish?.body.app, 'live');
  assert.equal(onPublish?.body.param, '?token=abc');
  await waitFor('on_unpublish', () => hooks.calls.some((c) => c.path === '/unpub' && c.body.stream === 'curl'), 10_000);
  const h = await api<{ clients: HistoryClientSession[] }>(server, '/api/v1/history/clients?stream=curl');
  const row = h.json.clients.find((c) => c.kind === 'publish');
  assert.equal(row?.protocol, 'flv-post');
  assert.equal(row?.end_reason, 'normal');
});

test('FFmpeg -method POST publishes live; HTTP-FLV plays both tracks; a second publisher gets 409; kick ends it', { timeout: 120_000 }, async () => {
  const ff = ffmpegPost(casterUrl('/live/ff.flv'));
  try {
    const s = await waitFor('published', () => published('ff'), 15_000);
    const out = join(tempDir(), 'ff.flv');
    await execFileP('ffmpeg', ['-v', 'error', '-i', server.httpUrl('/live/ff.flv'), '-t', '3', '-c', 'copy', '-y', out], { timeout: 30_000 });
    const probe = await ffprobe(out);
    assert.deepEqual(avCodecs(probe.streams), ['aac', 'h264']);
    assert.ok(Number(probe.format.duration) >= 2.5, `duration ${probe.format.duration}`);
    // the stream has a publisher: another POST is refused, the first goes on
    const busy = await fetch(casterUrl('/live/ff.flv'), { method: 'POST', body: readFileSync(file).subarray(0, 4096), signal: AbortSignal.timeout(30_000) });
    assert.equal(busy.status, 409);
    assert.equal((await published('ff'))?.publish.cid, s.publish.cid);
    const kicked = await api(server, `/api/v1/clients/${s.publish.cid}`, { method: 'DELETE' });
    assert.equal(kicked.status, 200);
    await waitFor('stream ends at the kick', async () => !(await published('ff')), 10_000);
    await exitOf(ff, 15_000);
    const h = await api<{ clients: HistoryClientSession[] }>(server, '/api/v1/history/clients?end_reason=kicked');
    assert.ok(h.json.clients.some((c) => c.id === s.publish.cid && c.kind === 'publish'));
  } finally {
    kill(ff);
  }
});

test('refusals: on_publish, security, bad names, other methods; nothing is left listed', { timeout: 60_000 }, async () => {
  const body = readFileSync(file).subarray(0, 65536);
  const post = (url: string) => fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(30_000) }).then((r) => r.status);
  const text = (url: string) => fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(30_000) }).then((r) => r.text());
  assert.equal(await post(casterUrl('/live/refused.flv')), 401, 'on_publish says no (401, as SRS 8 answers refused players)');
  assert.equal(await post(casterUrl('/live/ok.flv', secured)), 403, 'security deny publish all');
  assert.match(await text(casterUrl('/live/a%2Fb.flv')), /^Bad Request: stream name contains '\/'/, 'a / in the stream');
  assert.match(await text(casterUrl('/live/%2e%2e.flv')), /^Bad Request: stream name '\.\.' is not allowed/);
  assert.match(await text(casterUrl('/live/x%00y.flv')), /^Bad Request: stream name contains NUL/);
  assert.equal(await post(casterUrl('/s.flv')), 404, 'no app');
  assert.equal((await fetch(casterUrl('/live/x.flv'), { signal: AbortSignal.timeout(30_000) })).status, 405, 'GET');
  assert.ok(hooks.calls.some((c) => c.path === '/pub' && c.body.stream === 'refused'));
  const names = (await clients(server)).map((c) => c.name);
  assert.ok(!names.some((n) => ['refused', 'ok', 'x'].includes(n)), names.join());
});

test('bounds: a body that stops is cut after normal_timeout, a corrupt one at once; the server plays on', { timeout: 60_000 }, async () => {
  const head = readFileSync(file).subarray(0, 50_000);
  const slow = connect(caster, '127.0.0.1');
  let closedAt = 0;
  slow.on('close', () => (closedAt = Date.now()));
  slow.on('error', () => undefined);
  slow.resume();
  slow.write(`POST /live/stall.flv HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${head.length.toString(16)}\r\n`);
  slow.write(head);
  slow.write('\r\n');
  const s = await waitFor('stalled stream published', () => published('stall'), 10_000);
  const stalledAt = Date.now();
  await waitFor('stalled publisher cut', () => closedAt > 0, 15_000);
  assert.ok(closedAt - stalledAt < 10_000, `cut after ${closedAt - stalledAt} ms`);
  await waitFor('and unlisted', async () => !(await clients(server)).some((c) => c.id === s.publish.cid), 5000);

  // valid header, then a tag with reserved bits set
  const bad = Buffer.concat([head.subarray(0, 13), Buffer.from([0xff, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 16])]);
  assert.equal((await fetch(casterUrl('/live/bad.flv'), { method: 'POST', body: bad, signal: AbortSignal.timeout(30_000) })).status, 400);
  assert.ok(!(await published('bad')));
  const ok = curlUpload(casterUrl('/live/after.flv'), '2M');
  assert.equal(await ok.status, '200', 'the caster still publishes');
  await sleep(100);
});

test('stream_caster.max_publishers: a POST past the cap gets 503 naming the directive; a slot frees when a publisher ends', { timeout: 60_000 }, async () => {
  const head = readFileSync(file).subarray(0, 50_000);
  // two publishers that send a head and keep the body open (chunked)
  const open = (name: string) => {
    const sock = connect(capped, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.resume();
    sock.write(`POST /live/${name}.flv HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${head.length.toString(16)}\r\n`);
    sock.write(head);
    sock.write('\r\n');
    return sock;
  };
  const a = open('cap1');
  const b = open('cap2');
  try {
    await waitFor('both published', async () => (await published('cap1')) && (await published('cap2')), 10_000);
    const third = await fetch(casterUrl('/live/cap3.flv', capped), { method: 'POST', body: head, signal: AbortSignal.timeout(30_000) });
    assert.equal(third.status, 503);
    assert.match(await third.text(), /already has 2 publishers \(stream_caster\.max_publishers\)/);
    // more refusals in the same episode: one warning in all (limits log once per episode)
    for (let i = 0; i < 5; i++) assert.equal((await fetch(casterUrl('/live/cap3.flv', capped), { method: 'POST', body: head, signal: AbortSignal.timeout(30_000) })).status, 503);
    assert.equal(server.output().split('\n').filter((l) => l.includes('the caster is full')).length, 1, 'one warning for 6 refusals');
    assert.ok(!(await published('cap3')));
    a.destroy();
    await waitFor('the first publisher gone', async () => !(await published('cap1')), 10_000);
    // one slot is free: a refused publish (409, the stream has a publisher) does not keep it
    for (let i = 0; i < 3; i++) {
      assert.equal((await fetch(casterUrl('/live/cap2.flv', capped), { method: 'POST', body: head, signal: AbortSignal.timeout(30_000) })).status, 409);
    }
    const up = curlUpload(casterUrl('/live/cap3.flv', capped), '2M');
    assert.equal(await up.status, '200', 'a freed slot publishes');
    // the other caster ports are not capped by this one
    assert.equal(await curlUpload(casterUrl('/live/free.flv'), '4M').status, '200');
  } finally {
    a.destroy();
    b.destroy();
  }
});
