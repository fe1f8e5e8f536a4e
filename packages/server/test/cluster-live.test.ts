/**
 * One live view over several nodes: two tsrs nodes with `cluster { registry redis://...; node_id
 * ...; }` on one throwaway redis-server. FFmpeg publishes to node B and an HTTP-FLV player plays
 * there; a socket.io console on node A gets B's stream in `streams` and B's API rows in `cluster`,
 * each named node-b. After B is killed (-9) its rows leave A's view within the 5 s expiry (+ slack);
 * with Redis gone too, A goes on with its own live feed. Skipped where redis-server is missing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LiveCluster, LiveStream, LiveSummary, ServerToClientEvents } from '@tsrs/api-types';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, waitPort, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, streams } from './api-helpers.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis-server.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let redis: TestRedis | null = null;
let a: RunningServer;
let b: RunningServer;
let socketA: LiveSocket;
const procs: ReturnType<typeof ffmpegPublish>[] = [];
const seenA = { streams: [] as LiveStream[], cluster: null as LiveCluster | null, summaries: [] as LiveSummary[] };

function connect(server: RunningServer): Promise<LiveSocket> {
  const s: LiveSocket = io(server.apiUrl(''), { path: '/socket.io/', transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

const clusterConf = (node: string) => (p: Parameters<typeof basicConf>[0]) => basicConf(p, `cluster { registry ${redis!.url}; node_id ${node}; }`);

before(async () => {
  if (redisSkipReason) return;
  redis = await startRedis({ after: () => {} });
  a = await startServer(clusterConf('node-a'));
  b = await startServer(clusterConf('node-b'));
  await waitPort(a.ports.api, 5000);
  socketA = await connect(a);
  socketA.on('streams', (s) => (seenA.streams = s));
  socketA.on('cluster', (c) => (seenA.cluster = c));
  socketA.on('summary', (s) => seenA.summaries.push(s));
  procs.push(ffmpegPublish(b.rtmpUrl('/live/on_b'), { bitrate: '300k' }));
  await waitFor('stream on node b', async () => (await streams(b)).some((s) => s.publish.active && s.video), 20_000);
  procs.push(ffmpegPlay(b.httpUrl('/live/on_b.flv')));
  await waitFor('player on node b', async () => (await clients(b)).length === 2, 20_000);
});

after(async () => {
  socketA?.disconnect();
  for (const p of procs) kill(p);
  await a?.stop();
  await b?.stop('SIGKILL');
  await redis?.stop();
});

test("node A's console gets node B's stream and clients, each row naming node B", { skip: redisSkipReason ?? false }, async () => {
  const row = await waitFor("B's stream in A's streams", () => seenA.streams.find((s) => s.name === 'on_b'), 15_000);
  assert.equal(row.node, 'node-b');
  assert.equal(row.app, 'live');
  assert.equal(row.publish.active, true);
  assert.ok(!seenA.streams.some((s) => s.node === 'node-a'), 'node A publishes nothing');
  const c = await waitFor("B's rows in A's cluster", () => {
    const n = seenA.cluster?.nodes.find((x) => x.node === 'node-b');
    return n && n.clients.length === 2 && n;
  }, 15_000);
  assert.equal(seenA.cluster!.node, 'node-a');
  assert.deepEqual(seenA.cluster!.nodes.map((n) => n.node), ['node-b']);
  assert.deepEqual(c.streams.map((s) => [s.node, s.name]), [['node-b', 'on_b']]);
  assert.deepEqual(c.clients.map((x) => [x.node, x.publish]).sort(), [['node-b', false], ['node-b', true]]);
  assert.equal(c.streams_total, 1);
  assert.equal(c.clients_total, 2);
  assert.equal(c.summary.node, 'node-b');
  assert.ok(c.age_ms < 5000, `age ${c.age_ms}`);
  assert.equal(seenA.summaries.at(-1)?.node, 'node-a');
  // A's own API still lists only its own streams: the shared view is the live feed's.
  assert.deepEqual(await streams(a), []);
});

test("node B's own console names B on its rows and sees A as a node without streams", { skip: redisSkipReason ?? false }, async () => {
  const socketB = await connect(b);
  try {
    let last: LiveStream[] = [];
    let cluster: LiveCluster | null = null;
    socketB.on('streams', (s) => (last = s));
    socketB.on('cluster', (c) => (cluster = c));
    await waitFor("B's streams and cluster", () => last.length > 0 && cluster !== null, 10_000);
    assert.deepEqual(last.map((s) => [s.node, s.name]), [['node-b', 'on_b']]);
    const seen = cluster as unknown as LiveCluster;
    assert.equal(seen.node, 'node-b');
    assert.deepEqual(seen.nodes.map((n) => [n.node, n.streams.length, n.clients.length]), [['node-a', 0, 0]]);
  } finally {
    socketB.disconnect();
  }
});

test("a killed node's rows leave the view; without Redis the node goes on alone", { skip: redisSkipReason ?? false }, async () => {
  await waitFor("B's stream in A's streams", () => seenA.streams.some((s) => s.node === 'node-b'), 15_000);
  await b.stop('SIGKILL');
  const killedAt = Date.now();
  await waitFor("B's rows gone from A's view", () => !seenA.streams.some((s) => s.node === 'node-b') && seenA.cluster?.nodes.length === 0, 20_000);
  // Not before the expiry: a second's silence is not a dead node.
  assert.ok(Date.now() - killedAt >= 3000, `gone after ${Date.now() - killedAt} ms`);
  await redis!.stop();
  const before = seenA.summaries.length;
  await sleep(4000);
  assert.ok(seenA.summaries.length >= before + 2, `summaries went on: ${seenA.summaries.length - before} in 4 s`);
  assert.equal(a.proc.exitCode, null, `node A is still running:\n${a.output().slice(-2000)}`);
  assert.equal((await api(a, '/api/v1/summaries')).status, 200);
  procs.push(ffmpegPublish(a.rtmpUrl('/live/on_a'), { bitrate: '300k' }));
  const own = await waitFor("A's own stream in its view", () => seenA.streams.find((s) => s.name === 'on_a'), 20_000);
  assert.equal(own.node, 'node-a');
});
