/**
 * `tsrs -c edge.conf --workers 2`: two edge processes share the RTMP and HTTP ports, each pulls
 * the stream from the origin once, and the primary's API port lists, kicks and sums over both;
 * its socket.io, /metrics and history show both workers, and max_connections is divided.
 * The primary restarts a worker that dies, passes SIGHUP on, and a primary killed by SIGKILL
 * leaves no worker behind. Configs that cannot run in workers are refused.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { io, type Socket as IoSocket } from 'socket.io-client';
import type { Client, ClientToServerEvents, LiveStream, LiveSummary, ServerToClientEvents, Stream } from '@tsrs/api-types';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { api, clients } from './api-helpers.js';
import { basicConf, CLI, exitOf, ffmpegPublish, kill, startServer, tempDir, waitFor, type Ports, type RunningServer } from './harness.js';
import { playFlv, type FlvPlayer } from './http-players.js';
import { alive } from './processes.js';

const servers: RunningServer[] = [];
const procs: ChildProcess[] = [];
const rtmpPlayers: RtmpClient[] = [];
const flvPlayers: FlvPlayer[] = [];

after(async () => {
  for (const p of rtmpPlayers) p.close();
  for (const p of flvPlayers) p.close();
  for (const p of procs) kill(p);
  await Promise.all(servers.map((s) => s.stop()));
});

type Row<T> = T & { worker: number };

const edgeConf = (origin: number) => (p: Ports) => basicConf(p, `cluster { mode remote; origin 127.0.0.1:${origin}; edge_idle_timeout 1; }`);

/** The worker pids of a primary (its child processes). */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-P', String(pid)]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** An RTMP player counting its video messages. */
async function rtmpPlay(url: string): Promise<{ client: RtmpClient; video: () => number }> {
  const client = await RtmpClient.connect(url, { mode: 'play', timeoutMs: 30_000 });
  rtmpPlayers.push(client);
  let video = 0;
  client.on('message', (m: RtmpMessage) => {
    if (m.typeId === MSG.VIDEO) video++;
  });
  return { client, video: () => video };
}

test('--workers 2: 200 players over both workers, one pull per worker, one API for all', { timeout: 240_000 }, async () => {
  const origin = await startServer((p) => basicConf(p));
  servers.push(origin);
  const edge = await startServer(edgeConf(origin.ports.rtmp), { args: ['--workers', '2'], startTimeoutMs: 90_000 });
  servers.push(edge);
  const workers = await childrenOf(edge.proc.pid!);
  assert.equal(workers.length, 2, 'the primary runs 2 workers');

  procs.push(ffmpegPublish(origin.rtmpUrl('/live/w'), { size: '160x120', rate: 25, gop: 25, bitrate: '100k' }));
  await waitFor('publish on the origin', () => origin.output().includes('rtmp publish'), 20_000);

  // 100 RTMP and 100 HTTP-FLV players, 20 at a time
  const rtmp: { video: () => number }[] = [];
  for (let i = 0; i < 100; i += 20) {
    rtmp.push(...(await Promise.all(Array.from({ length: 20 }, () => rtmpPlay(edge.rtmpUrl('/live/w'))))));
    const flv = await Promise.all(Array.from({ length: 20 }, () => playFlv(edge.httpUrl('/live/w.flv'))));
    flvPlayers.push(...flv);
  }
  for (const f of flvPlayers) assert.equal(f.status, 200);
  await waitFor('all 200 players get 10+ video frames', () => rtmp.every((p) => p.video() >= 10) && flvPlayers.every((f) => f.video.length >= 10), 60_000, 250);

  // the edge's API lists every worker's players, ids unique across workers
  const rows = (await clients(edge)) as Row<Client>[];
  const players = rows.filter((c) => c.name === 'w' && !c.publish);
  assert.equal(players.length, 200, 'the edge API lists all 200 players');
  assert.equal(new Set(rows.map((c) => c.id)).size, rows.length, 'client ids are unique across workers');
  const perWorker = [1, 2].map((w) => players.filter((c) => c.worker === w).length);
  assert.ok(perWorker.every((n) => n >= 20), `players spread over both workers: ${perWorker}`);
  assert.equal(players.filter((c) => c.type === 'rtmp-play').length, 100);
  assert.equal(players.filter((c) => c.type === 'flv-play').length, 100);
  // paging applies to the merged list
  const page = await api<{ clients: Row<Client>[] }>(edge, '/api/v1/clients/?start=5&count=10');
  assert.deepEqual(page.json.clients.map((c) => c.id), rows.slice(5, 15).map((c) => c.id));

  // each worker pulls once: the origin has exactly 2 players of the stream, both edge pulls
  const upstreams = (await clients(origin)).filter((c) => c.name === 'w' && !c.publish);
  assert.equal(upstreams.length, 2, `the origin has one pull per worker: ${JSON.stringify(upstreams.map((c) => c.type))}`);
  const streams = (await api<{ streams: Row<Stream>[] }>(edge, '/api/v1/streams/?count=100')).json.streams.filter((s) => s.name === 'w');
  assert.deepEqual(streams.map((s) => s.worker).sort(), [1, 2], 'one stream row per worker');

  // summaries add the workers' connections up
  const sum = await api<{ data: { system: { conn_srs: number } } }>(edge, '/api/v1/summaries');
  assert.ok(sum.json.data.system.conn_srs >= 200, `conn_srs ${sum.json.data.system.conn_srs} counts both workers`);

  // a kick reaches a client of either worker
  for (const w of [1, 2]) {
    const victim = players.find((c) => c.worker === w)!;
    assert.equal((await api(edge, `/api/v1/clients/${victim.id}`)).json.code, 0, `worker ${w}'s client is found`);
    const kicked = await api(edge, `/api/v1/clients/${victim.id}`, { method: 'DELETE' });
    assert.equal(kicked.json.code, 0, `worker ${w}'s client is kicked`);
  }
  await waitFor('2 players fewer', async () => (await clients(edge)).filter((c) => c.name === 'w' && !c.publish).length === 198, 15_000);

  // SIGHUP reaches every worker
  const reloadsBefore = edge.output().split('config reloaded').length;
  edge.proc.kill('SIGHUP');
  await waitFor('both workers reload', () => edge.output().split('config reloaded').length - reloadsBefore === 2, 15_000);

  // a worker that dies is restarted, and answers again
  process.kill(workers[0], 'SIGKILL');
  await waitFor('the dead worker is replaced', async () => {
    const now = await childrenOf(edge.proc.pid!);
    return now.length === 2 && !now.includes(workers[0]) && edge.output().split('worker ready').length - 1 >= 3;
  }, 30_000, 250);
  const fresh = await playFlv(edge.httpUrl('/live/w.flv'));
  flvPlayers.push(fresh);
  await waitFor('a new player plays', () => fresh.video.length >= 10, 30_000);

  // SIGKILL of the primary leaves no worker behind
  const last = await childrenOf(edge.proc.pid!);
  edge.proc.kill('SIGKILL');
  await exitOf(edge.proc);
  await waitFor('every worker ended', () => last.every((pid) => !alive(pid)), 15_000, 200);
});

test('--workers 2: socket.io, /metrics and history show both workers; max_connections is shared out', { timeout: 180_000 }, async () => {
  const origin = await startServer((p) => basicConf(p));
  servers.push(origin);
  const conf = (p: Ports) => basicConf(p, `cluster { mode remote; origin 127.0.0.1:${origin.ports.rtmp}; node_id edge-w; }`, 'max_connections 12;');
  const edge = await startServer(conf, { args: ['--workers', '2'], startTimeoutMs: 90_000 });
  servers.push(edge);
  procs.push(ffmpegPublish(origin.rtmpUrl('/live/m'), { size: '160x120', rate: 25, gop: 25, bitrate: '100k' }));
  await waitFor('publish on the origin', () => origin.output().includes('rtmp publish'), 20_000);

  // 6 players, taken in turn by the workers
  const players = await Promise.all(Array.from({ length: 6 }, () => playFlv(edge.httpUrl('/live/m.flv'))));
  flvPlayers.push(...players);
  await waitFor('all 6 players get video', () => players.every((f) => f.video.length >= 5), 60_000, 250);
  const rows = ((await clients(edge)) as Row<Client>[]).filter((c) => c.name === 'm' && !c.publish);
  const ids = (w: number) => rows.filter((c) => c.worker === w).map((c) => c.id);
  assert.ok(ids(1).length > 0 && ids(2).length > 0, `players on both workers: ${ids(1).length} + ${ids(2).length}`);
  const streamIds = (await api<{ streams: Row<Stream>[] }>(edge, '/api/v1/streams/?count=100')).json.streams.filter((s) => s.name === 'm').map((s) => s.id).sort();
  assert.equal(streamIds.length, 2);

  // socket.io on the primary's API port: both workers' streams and a summary of both
  const socket: IoSocket<ServerToClientEvents, ClientToServerEvents> = io(edge.apiUrl(''), { path: '/socket.io/', transports: ['websocket'], reconnection: false });
  let live: LiveStream[] = [];
  let summary: LiveSummary | undefined;
  socket.on('streams', (s) => (live = s));
  socket.on('summary', (s) => (summary = s));
  try {
    await waitFor("the live feed lists both workers' streams", () => live.filter((s) => s.name === 'm').map((s) => s.id).sort().join() === streamIds.join(), 20_000, 200);
    assert.ok(live.every((s) => s.node === 'edge-w'), 'one node');
    await waitFor("the summary counts both workers' players", () => (summary?.connections ?? 0) >= 6, 20_000, 200);
  } finally {
    socket.close();
  }

  // /metrics: every family declared once, each worker's series labelled
  const metrics = (await api(edge, '/metrics')).text;
  assert.equal(metrics.split('\n').filter((l) => l.startsWith('# TYPE srs_clients ')).length, 1);
  const perWorker = [1, 2].map((w) => Number(new RegExp(`^srs_clients\\{worker="${w}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? -1));
  assert.ok(perWorker.every((n) => n >= 1) && perWorker[0] + perWorker[1] >= 6, `srs_clients per worker: ${perWorker}`);

  // history: one database, both workers' plays, each row naming the node
  type Hist = { id: string; node: string };
  await waitFor('both workers\' plays in the history', async () => {
    const h = (await api<{ clients: Hist[] }>(edge, '/api/v1/history/clients?kind=play&count=100')).json.clients ?? [];
    const got = new Set(h.map((r) => r.id));
    return rows.every((c) => got.has(c.id)) && h.every((r) => r.node === 'edge-w');
  }, 20_000, 250);

  // max_connections 12 over 2 workers: 6 each, players (and their pull, the socket.io link) included
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 24; i++) {
      const s = connect(edge.ports.rtmp, '127.0.0.1');
      s.on('error', () => undefined);
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const open = held.filter((s) => !s.destroyed && s.readyState === 'open').length;
    assert.ok(open >= 1 && open <= 6, `${open} of 24 extra sockets kept: 12 in all, 6 players already hold some`);
  } finally {
    for (const s of held) s.destroy();
  }
});

test('--workers refuses configs that cannot run in workers, naming why', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const file = join(dir, 'origin.conf');
  const p: Ports = { rtmp: 1, http: 2, api: 2 };
  writeFileSync(file, basicConf(p, 'hls { enabled on; }'));
  const proc = spawn(process.execPath, [CLI, '-c', file, '--workers', '2'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  assert.equal(await exitOf(proc), 1);
  assert.match(err, /vhost __defaultVhost__ is not an edge/);
  assert.match(err, /has hls on/);
  assert.match(err, /shares port 2 with http_server/);
  const bad = spawn(process.execPath, [CLI, '-c', file, '--workers', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(bad);
  assert.equal(await exitOf(bad), 2);
});
