/**
 * /api/v1/streams and /api/v1/clients with a real FFmpeg publisher, an FFmpeg RTMP player
 * and an FFmpeg HTTP-FLV player; kicking a player and the publisher.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { api, clients, exited, ffmpegPlay, streams } from './api-helpers.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
let rtmpPlayer: ReturnType<typeof ffmpegPlay>;
let flvPlayer: ReturnType<typeof ffmpegPlay>;

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/apitest'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('stream published', async () => (await streams(server)).some((s) => s.publish.active), 15_000);
  rtmpPlayer = ffmpegPlay(server.rtmpUrl('/live/apitest'));
  flvPlayer = ffmpegPlay(server.httpUrl('/live/apitest.flv'));
  await waitFor('three clients', async () => (await clients(server)).length === 3, 15_000);
  // Let the kbps samplers cover a few seconds (the 30 s window is shortened to what is covered).
  await sleep(4000);
});

after(async () => {
  kill(publisher);
  kill(rtmpPlayer);
  kill(flvPlayer);
  await server.stop();
});

test('streams lists the published stream with codecs, size, clients and kbps', async () => {
  const [s, ...rest] = await streams(server);
  assert.equal(rest.length, 0);
  assert.match(s.id, /^vid-[0-9a-z]{7}$/);
  assert.equal(s.name, 'apitest');
  assert.equal(s.app, 'live');
  assert.equal(s.url, '/live/apitest');
  assert.equal(s.tcUrl, server.rtmpUrl('/live'));
  const vhosts = (await api<{ vhosts: { id: string; name: string }[] }>(server, '/api/v1/vhosts/')).json.vhosts;
  assert.equal(s.vhost, vhosts.find((v) => v.name === '__defaultVhost__')?.id, 'stream.vhost is the vhost id');
  assert.equal(s.clients, 3, 'publisher + 2 players, as SRS counts');
  assert.equal(s.publish.active, true);
  assert.ok(s.frames > 50, `frames ${s.frames}`);
  assert.ok(s.recv_bytes > 10_000 && s.send_bytes > 10_000);
  assert.ok(s.kbps.recv_30s > 0 && s.kbps.send_30s > 0, JSON.stringify(s.kbps));
  assert.deepEqual(s.video, { codec: 'H264', profile: s.video!.profile, tsrs_profile: s.video!.tsrs_profile, level: s.video!.level, width: 320, height: 240 });
  // SRS names profile_idc alone (libx264 ultrafast writes Constrained Baseline: "Baseline")
  assert.match(s.video!.profile, /^(Baseline|High|Main)$/);
  assert.match(s.video!.level, /^\d(\.\d)?$/);
  assert.deepEqual(s.audio, { codec: 'AAC', sample_rate: 44100, channel: 1, profile: 'LC' });
  assert.ok(Math.abs(s.live_ms - Date.now()) < 5000, 'live_ms is the wall clock (SRS)');
  // a clean FFmpeg stream: no output errors, no frame refused
  assert.deepEqual(s.tsrs_errors, {});
  assert.equal(s.tsrs_dropped_frames.refused, 0);
  // field order is SRS's, tsrs's fields after
  const one = await api(server, `/api/v1/streams/${s.id}`);
  assert.deepEqual(Object.keys(one.json), ['code', 'server', 'service', 'pid', 'stream']);
  assert.deepEqual(Object.keys((one.json as unknown as { stream: object }).stream),
    ['id', 'name', 'vhost', 'app', 'tcUrl', 'url', 'live_ms', 'clients', 'frames', 'send_bytes', 'recv_bytes', 'kbps', 'publish', 'video', 'audio',
      'tsrs_errors', 'tsrs_dropped_frames']);
});

test('clients lists publisher and both players with ip, type, url, alive', async () => {
  const list = await clients(server);
  const s = (await streams(server))[0];
  assert.deepEqual(list.map((c) => c.type).sort(), ['flv-play', 'fmle-publish', 'rtmp-play']);
  assert.deepEqual(list.map((c) => c.id), list.map((c) => c.id).sort(), 'id order');
  for (const c of list) {
    assert.match(c.id, /^[0-9a-z]{8}$/);
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(c.url, '/live/apitest');
    assert.equal(c.name, 'apitest');
    assert.equal(c.stream, s.id);
    assert.equal(c.vhost, s.vhost);
    assert.equal(c.publish, c.type.endsWith('-publish'));
    assert.ok(c.alive > 1, `alive ${c.alive}`);
  }
  assert.equal(list.find((c) => c.publish)?.id, s.publish.cid);
  const player = list.find((c) => c.type === 'rtmp-play')!;
  assert.ok(player.kbps.send_30s > 0, 'player kbps');
  const one = await api<{ client: { id: string } }>(server, `/api/v1/clients/${player.id}`);
  assert.equal(one.json.client.id, player.id);
});

test('paging: start skips, count is at least 10', async () => {
  assert.equal((await api<{ clients: unknown[] }>(server, '/api/v1/clients/?start=1&count=1')).json.clients.length, 2);
  assert.equal((await api<{ clients: unknown[] }>(server, '/api/v1/clients/?start=3')).json.clients.length, 0);
  assert.equal((await api<{ streams: unknown[] }>(server, '/api/v1/streams/?start=-5&count=x')).json.streams.length, 1);
});

test('summaries and vhosts carry real figures', async () => {
  const sum = (await api<{ data: { ok: boolean; self: { mem_kbyte: number; pid: number }; system: { conn_srs: number; srs_recv_bytes: number; mem_ram_kbyte: number } } }>(server, '/api/v1/summaries')).json.data;
  assert.equal(sum.ok, true);
  assert.ok(sum.self.mem_kbyte > 1000);
  assert.equal(sum.self.pid, server.proc.pid);
  assert.equal(sum.system.conn_srs, 3);
  assert.ok(sum.system.srs_recv_bytes > 10_000);
  assert.ok(sum.system.mem_ram_kbyte > 0);
  // SRS sends these as 0..1 ratios (its console multiplies by 100)
  const ratios = sum as unknown as { self: Record<string, number>; system: Record<string, number> };
  const fracs = {
    'self.cpu_percent': ratios.self.cpu_percent, 'self.mem_percent': ratios.self.mem_percent,
    'system.cpu_percent': ratios.system.cpu_percent, 'system.mem_ram_percent': ratios.system.mem_ram_percent,
    'system.mem_swap_percent': ratios.system.mem_swap_percent, 'system.disk_busy_percent': ratios.system.disk_busy_percent,
  };
  for (const [k, x] of Object.entries(fracs)) assert.ok(typeof x === 'number' && x >= 0 && x <= 1, `${k} = ${x} is a 0..1 ratio`);
  // the server's RSS (tens of MB) over the machine's RAM (GBs): well under 1
  assert.ok(ratios.self.mem_percent > 0 && ratios.self.mem_percent < 0.5, `self.mem_percent ${ratios.self.mem_percent}`);
  assert.ok(ratios.system.mem_ram_percent > 0, 'RAM in use');
  const v = (await api<{ vhosts: { clients: number; streams: number; recv_bytes: number }[] }>(server, '/api/v1/vhosts/')).json.vhosts[0];
  assert.equal(v.clients, 3);
  assert.equal(v.streams, 1);
  assert.ok(v.recv_bytes > 10_000);
  const metrics = (await api(server, '/metrics')).text;
  assert.match(metrics, /^srs_streams 1$/m);
  assert.match(metrics, /^srs_clients 3$/m);
  assert.match(metrics, /^tsrs_stream_frames_total\{vhost="__defaultVhost__",app="live",stream="apitest"\} \d+$/m);
  assert.match(metrics, /^tsrs_hook_failures_total 0$/m);
  // the soak test's leak figures
  assert.ok(Number(/^tsrs_heap_used_bytes (\d+)$/m.exec(metrics)?.[1]) > 1e6, 'tsrs_heap_used_bytes');
  assert.ok(Number(/^tsrs_active_resources (\d+)$/m.exec(metrics)?.[1]) >= 3, 'tsrs_active_resources: listeners and sockets');
});

test('kick a player: FFmpeg exits within 2 s and the client leaves the list', async () => {
  const player = (await clients(server)).find((c) => c.type === 'rtmp-play')!;
  const kicked = Date.now();
  const del = await api(server, `/api/v1/clients/${player.id}`, { method: 'DELETE' });
  assert.equal(del.json.code, 0);
  assert.deepEqual(Object.keys(del.json), ['code', 'server', 'service', 'pid']);
  await exitOf(rtmpPlayer, 2000);
  assert.ok(Date.now() - kicked <= 2000);
  await waitFor('player gone', async () => !(await clients(server)).some((c) => c.id === player.id), 2000);
  assert.equal((await api(server, `/api/v1/clients/${player.id}`)).json.code, 2049);
  assert.equal((await api(server, `/api/v1/clients/${player.id}`, { method: 'DELETE' })).json.code, 2049);
});

test('kick the HTTP-FLV player: its response ends', async () => {
  const player = (await clients(server)).find((c) => c.type === 'flv-play')!;
  assert.equal((await api(server, `/api/v1/clients/${player.id}`, { method: 'DELETE' })).json.code, 0);
  await exitOf(flvPlayer, 2000);
  await waitFor('flv player gone', async () => !(await clients(server)).some((c) => c.id === player.id), 2000);
});

test('kick the publisher: the publish ends and the stream leaves the list', async () => {
  const pub = (await clients(server)).find((c) => c.publish)!;
  const stream = (await streams(server))[0];
  assert.equal((await api(server, `/api/v1/clients/${pub.id}`, { method: 'DELETE' })).json.code, 0);
  await waitFor('stream gone', async () => (await streams(server)).length === 0, 2000);
  assert.equal((await api(server, `/api/v1/streams/${stream.id}`)).json.code, 2048);
  await exitOf(publisher, 5000);
  assert.ok(exited(publisher));
  assert.equal((await clients(server)).length, 0);
});
