/**
 * HLS viewers as clients (SRS 5's `hls_ctx on`, the default): the master playlist, the
 * `hls-play` session its first segment request opens (listed, counted, hooked, gated by
 * security), its expiry after 2 × hls_window without requests, kick, and `hls_ctx off`.
 * FFmpeg publishes and plays.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@tsrs/api-types';
import { parsePlaylist } from '../src/app/hls/playlist.js';
import { api, clients, startHookServer, type HookServer } from './api-helpers.js';
import { basicConf, exitOf, ffmpegPublish, ffprobe, kill, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

const FRAGMENT = 2;
const WINDOW = 4;
/** SRS: a session expires after 2 × hls_window without a request */
const EXPIRY_S = 2 * WINDOW;
const MASTER = /^#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n(\/live\/[a-z]+\.m3u8\?hls_ctx=([0-9a-z]{8})(?:&.*)?)$/;


let hooks: HookServer;
let server: RunningServer;
const publishers: ChildProcess[] = [];

const hls = (extra = '') => `hls { enabled on; hls_fragment ${FRAGMENT}; hls_window ${WINDOW}; hls_path ./html; ${extra} }`;

before(async () => {
  hooks = await startHookServer(({ body }) => (body.stream === 'bad' ? '{"code":403}' : '{"code":0}'));
  const h = hooks.url;
  server = await startServer((p) =>
    basicConf(p, `${hls()} http_hooks { enabled on; on_play ${h}/play; on_stop ${h}/stop; }`) +
      `vhost sec.test { ${hls()} security { enabled on; deny play 127.0.0.1; allow publish all; } }\n` +
      `vhost off.test { ${hls('hls_ctx off;')} }\n` +
      `vhost fmp4.test { ${hls('hls_use_fmp4 on;')} }\n` +
      `vhost nots.test { ${hls('hls_ts_ctx off;')} }\n`,
  );
  publishers.push(
    ffmpegPublish(server.rtmpUrl('/live/s'), { gop: 25 }),
    ffmpegPublish(server.rtmpUrl('/live/bad'), { gop: 25 }),
    ffmpegPublish(server.rtmpUrl('/live/sec?vhost=sec.test'), { gop: 25 }),
    ffmpegPublish(server.rtmpUrl('/live/off?vhost=off.test'), { gop: 25 }),
    ffmpegPublish(server.rtmpUrl('/live/f?vhost=fmp4.test'), { gop: 25 }),
    ffmpegPublish(server.rtmpUrl('/live/n?vhost=nots.test'), { gop: 25 }),
  );
  // all playlists exist (with hls_ctx: a master playlist answers)
  for (const name of ['s', 'bad', 'sec', 'off', 'f', 'n']) {
    await waitFor(`${name}.m3u8`, async () => (await fetchBytes(server.httpUrl(`/live/${name}.m3u8`))).status === 200, 30_000, 250);
  }
});

after(async () => {
  for (const p of publishers) kill(p);
  await server.stop();
  hooks.close();
});

async function master(path: string): Promise<{ url: string; ctx: string }> {
  const r = await fetchBytes(server.httpUrl(path));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const m = MASTER.exec(r.body.toString());
  assert.ok(m, `master playlist: ${JSON.stringify(r.body.toString())}`);
  return { url: m[1], ctx: m[2] };
}

/** A viewer that plays: master playlist, media playlist, first segment (which admits it). */
async function play(path: string): Promise<{ url: string; ctx: string; seg: string }> {
  const { url, ctx } = await master(path);
  const r = await fetchBytes(server.httpUrl(url));
  assert.equal(r.status, 200);
  const seg = parsePlaylist(r.body.toString()).segments.at(-1)!.uri;
  assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 200);
  return { url, ctx, seg };
}

const hlsClient = async (id: string): Promise<Client | undefined> => (await clients(server)).find((c) => c.id === id);

describe('hls_ctx', { concurrency: true }, () => {
  test('master playlist, then an hls-play client whose send_bytes grow with the segments; on_play with SRS fields', async () => {
    const { url, ctx } = await master('/live/s.m3u8?token=abc');
    assert.ok(url.endsWith(`?hls_ctx=${ctx}&token=abc`), url);
    assert.equal(await hlsClient(ctx), undefined, 'the master playlist alone makes no client');

    const r = await fetchBytes(server.httpUrl(url));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const p = parsePlaylist(r.body.toString());
    assert.ok(p.segments.length > 0);
    for (const s of p.segments) assert.match(s.uri, new RegExp(`^s-\\d+\\.ts\\?hls_ctx=${ctx}$`));
    assert.equal(await hlsClient(ctx), undefined, 'the media playlist alone makes no client either');
    assert.ok(!hooks.calls.some((x) => x.path === '/play' && x.body.client_id === ctx), 'nor an on_play');

    // the first segment request: now it plays
    const seg = await fetchBytes(server.httpUrl(`/live/${p.segments.at(-1)!.uri}`));
    assert.equal(seg.status, 200);
    assert.ok(seg.body.length > 1000);
    const c = await waitFor('hls-play client listed', () => hlsClient(ctx));
    assert.equal(c.type, 'hls-play');
    assert.equal(c.name, 's');
    assert.equal(c.url, '/live/s');
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(c.publish, false);
    assert.ok(c.stream.startsWith('vid-'), 'the stream id');
    // the playlist served before it was admitted counts too
    assert.equal(c.send_bytes, r.body.length + seg.body.length);
    const r2 = await fetchBytes(server.httpUrl(url));
    assert.equal(r2.status, 200);
    const after = await hlsClient(ctx);
    assert.equal(after?.send_bytes, r.body.length + seg.body.length + r2.body.length);
    // The stream counts its HLS viewer among its clients, as SRS does.
    const stream = (await api<{ stream: { clients: number; send_bytes: number } }>(server, `/api/v1/streams/${c.stream}`)).json.stream;
    assert.ok(stream.clients >= 2, `stream clients ${stream.clients}`);
    assert.ok(stream.send_bytes >= r.body.length + seg.body.length, `stream send_bytes ${stream.send_bytes}`);

    const play = await waitFor('on_play', () => hooks.calls.find((x) => x.path === '/play' && x.body.client_id === ctx));
    const common = ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app'];
    assert.deepEqual(Object.keys(play.body), [...common, 'stream', 'tcUrl', 'param', 'pageUrl', 'stream_url', 'stream_id']);
    assert.equal(play.body.action, 'on_play');
    assert.equal(play.body.stream, 's');
    assert.equal(play.body.app, 'live');
    assert.equal(play.body.param, '?token=abc');
    assert.equal(play.body.stream_url, '/live/s');
    assert.equal(play.body.stream_id, c.stream);
    assert.equal(play.body.tcUrl, server.httpUrl('/live'));
  });

  test('FFmpeg plays through the master playlist; ffprobe reads what it recorded', async () => {
    const out = join(tempDir('tsrs-hlsctx-'), 'out.ts');
    const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', server.httpUrl('/live/s.m3u8?who=ffmpeg'), '-t', '4', '-c', 'copy', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    ff.stderr!.on('data', (d) => (err += d));
    try {
      // its on_play names it (param is the query without hls_ctx)
      const play = await waitFor('on_play of FFmpeg', () => hooks.calls.find((x) => x.path === '/play' && x.body.param === '?who=ffmpeg'), 15_000, 100);
      const c = await waitFor('FFmpeg is an hls-play client', () => hlsClient(String(play.body.client_id)), 5_000);
      assert.equal(c.type, 'hls-play');
      assert.equal(await exitOf(ff, 40_000), 0, err);
      const probe = await ffprobe(out);
      assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
      assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
      assert.ok(Number(probe.format.duration) >= 3, `duration ${probe.format.duration}`);
      const after = await hlsClient(c.id);
      assert.ok(after && after.send_bytes > 10_000, `send_bytes ${after?.send_bytes}`);
    } finally {
      kill(ff);
    }
  });

  test('a refusing on_play hook: 401 on the first segment (as SRS 8), no client; the ctx stays refused', async () => {
    const { url, ctx } = await master('/live/bad.m3u8');
    const r = await fetchBytes(server.httpUrl(url));
    assert.equal(r.status, 200, 'the playlist is served before the viewer plays');
    const seg = parsePlaylist(r.body.toString()).segments.at(-1)!.uri;
    assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 401);
    assert.equal(hooks.calls.filter((x) => x.path === '/play' && x.body.client_id === ctx).length, 1);
    assert.equal(await hlsClient(ctx), undefined);
    // refused again without asking the hook again
    assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 403);
    assert.equal((await fetchBytes(server.httpUrl(url))).status, 403);
    assert.equal(hooks.calls.filter((x) => x.path === '/play' && x.body.client_id === ctx).length, 1);
    // no on_stop for a viewer that never played
    assert.ok(!hooks.calls.some((x) => x.path === '/stop' && x.body.client_id === ctx));
  });

  test('security deny play 127.0.0.1: 403', async () => {
    const { url, ctx } = await master('/live/sec.m3u8');
    const r = await fetchBytes(server.httpUrl(url));
    const seg = parsePlaylist(r.body.toString()).segments.at(-1)!.uri;
    assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 403);
    assert.equal(await hlsClient(ctx), undefined);
    assert.match(server.output(), /security: play denied for 127\.0\.0\.1/);
  });

  test('expiry: a viewer that stops requesting leaves within 2 x hls_window; on_stop fires; history ends it normal', async () => {
    const { url, ctx } = await play('/live/s.m3u8');
    await waitFor('listed', () => hlsClient(ctx));
    const started = Date.now();
    // a request within the expiry keeps it alive
    await new Promise((r) => setTimeout(r, EXPIRY_S * 500));
    assert.equal((await fetchBytes(server.httpUrl(url))).status, 200);
    const refreshed = Date.now();
    await waitFor('the session expired', async () => !(await hlsClient(ctx)), (EXPIRY_S + 5) * 1000, 250);
    const gone = Date.now();
    assert.ok(gone - refreshed >= EXPIRY_S * 1000 - 500, `expired ${gone - refreshed} ms after the last request`);
    assert.ok(gone - started > EXPIRY_S * 1000, 'the refresh counted');
    const stop = await waitFor('on_stop', () => hooks.calls.find((x) => x.path === '/stop' && x.body.client_id === ctx), 5_000);
    assert.equal(stop.body.stream, 's');
    const h = await waitFor('history row ended', async () => {
      const j = (await api<{ clients: { id: string; end_reason: string | null; protocol: string; kind: string }[] }>(server, '/api/v1/history/clients?count=100')).json;
      const row = j.clients?.find((x) => x.id === ctx);
      return row?.end_reason ? row : undefined;
    }, 5_000, 200);
    assert.equal(h.end_reason, 'normal');
    assert.equal(h.protocol, 'hls');
    assert.equal(h.kind, 'play');
  });

  test('kick: the client goes, its ctx gets 403 (playlist and segments), a new master playlist starts over', async () => {
    const { url, ctx, seg } = await play('/live/s.m3u8');
    await waitFor('listed', () => hlsClient(ctx));
    const del = await api(server, `/api/v1/clients/${ctx}`, { method: 'DELETE' });
    assert.equal(del.json.code, 0);
    assert.equal(await hlsClient(ctx), undefined);
    assert.equal((await fetchBytes(server.httpUrl(url))).status, 403);
    assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 403);
    await waitFor('on_stop', () => hooks.calls.find((x) => x.path === '/stop' && x.body.client_id === ctx), 5_000);
    const again = await play('/live/s.m3u8');
    assert.notEqual(again.ctx, ctx);
    await waitFor('the new session is listed', () => hlsClient(again.ctx));
  });

  test('fMP4: the EXT-X-MAP init and the .m4s segments carry the ctx and count', async () => {
    const { url, ctx } = await master('/live/f.m3u8');
    const r = await fetchBytes(server.httpUrl(url));
    const p = parsePlaylist(r.body.toString());
    assert.equal(p.map, `f/init.mp4?hls_ctx=${ctx}`);
    assert.ok(p.segments.every((s) => s.uri.endsWith(`.m4s?hls_ctx=${ctx}`)));
    const init = await fetchBytes(server.httpUrl(`/live/${p.map}`));
    assert.equal(init.status, 200);
    // the newest segment now (the init request ran the hooks; the window slides meanwhile)
    const r2 = await fetchBytes(server.httpUrl(url));
    const seg = await fetchBytes(server.httpUrl(`/live/${parsePlaylist(r2.body.toString()).segments.at(-1)!.uri}`));
    assert.equal(seg.status, 200);
    assert.equal((await hlsClient(ctx))?.send_bytes, r.body.length + init.body.length + r2.body.length + seg.body.length);
  });

  test('hls_ts_ctx off: segments carry no ctx, so the first media playlist request makes the client', async () => {
    const { url, ctx } = await master('/live/n.m3u8');
    const r = await fetchBytes(server.httpUrl(url));
    assert.equal(r.status, 200);
    const p = parsePlaylist(r.body.toString());
    assert.ok(p.segments.length > 0 && p.segments.every((s) => !s.uri.includes('hls_ctx')));
    const c = await waitFor('listed at the media playlist', () => hlsClient(ctx), 5_000);
    assert.equal(c.name, 'n');
    assert.equal(c.send_bytes, r.body.length);
  });

  test('hls_ctx off: the plain media playlist, no client', async () => {
    const r = await fetchBytes(server.httpUrl('/live/off.m3u8'));
    assert.equal(r.status, 200);
    const p = parsePlaylist(r.body.toString());
    assert.ok(p.segments.length > 0);
    assert.ok(p.segments.every((s) => !s.uri.includes('hls_ctx')));
    assert.ok(!(await clients(server)).some((c) => c.type === 'hls-play' && c.name === 'off'));
  });
});
