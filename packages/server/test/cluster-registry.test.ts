/**
 * The shared stream registry in Redis (`cluster { registry redis://...; }`, tsrs): origins A and B
 * with the registry and no coworkers list, an edge with A first. A stream published on B plays
 * from the edge (A redirects it to B from the registry); an unpublish deletes its entry; B killed
 * with SIGKILL leaves entries that expire within the lease; Redis killed mid-run leaves A
 * publishing and serving, logging the outage once, and A records its streams again once Redis is
 * back; a graceful stop deletes its entries. One throwaway redis-server; skipped with the reason in the report where redis-server is
 * not installed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { registryKey } from '../src/app/cluster/registry.js';
import { api } from './api-helpers.js';
import { basicConf, ffmpegPublish, ffprobe, kill, sleep, startServer, waitFor, type Ports, type RunningServer } from './harness.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis-server.js';

const skip = redisSkipReason ?? false;
const LEASE_S = 10;
let redis: TestRedis;
let db: Redis;
let a: RunningServer;
let b: RunningServer;
let edge: RunningServer;
const servers: RunningServer[] = [];
const procs: ChildProcess[] = [];
const afters: (() => unknown)[] = [];

function origin(url: string): (p: Ports) => string {
  return (p) => basicConf(p, `cluster { mode local; registry ${url}; registry_host 127.0.0.1; registry_lease ${LEASE_S}; registry_renew 3; }`);
}

function publish(url: string): ChildProcess {
  const p = ffmpegPublish(url, { size: '320x240', rate: 25, gop: 25 });
  procs.push(p);
  return p;
}

const entry = (stream: string) => db.hgetall(registryKey('__defaultVhost__', 'live', stream));

type ClustersAnswer = { code: number; data: { origin: { ip: string; port: number; api: string; node?: string } | null } };
const clusters = async (s: RunningServer, stream: string) =>
  (await api<ClustersAnswer>(s, `/api/v1/clusters?vhost=__defaultVhost__&ip=127.0.0.1&app=live&stream=${stream}`)).json;

before(async () => {
  if (skip) return;
  redis = await startRedis({ after: (fn) => afters.push(fn) });
  db = redis.client();
  b = await startServer(origin(redis.url));
  a = await startServer(origin(redis.url));
  edge = await startServer((p) => basicConf(p, `cluster { mode remote; origin 127.0.0.1:${a.ports.rtmp} 127.0.0.1:${b.ports.rtmp}; edge_idle_timeout 1; }`));
  servers.push(a, b, edge);
});

after(async () => {
  for (const p of procs) kill(p);
  await Promise.all(servers.map((s) => s.stop()));
  for (const fn of afters) await fn();
});

test('a stream published on B plays from the edge whose first origin is A, found in the registry', { skip, timeout: 90_000 }, async () => {
  publish(b.rtmpUrl('/live/onb'));
  const e = await waitFor('B records the stream', async () => {
    const h = await entry('onb');
    return h.rtmp ? h : undefined;
  }, 20_000, 200);
  assert.equal(e.rtmp, `127.0.0.1:${b.ports.rtmp}`);
  assert.equal(e.api, `127.0.0.1:${b.ports.api}`);
  assert.deepEqual([e.vhost, e.app, e.stream], ['__defaultVhost__', 'live', 'onb']);
  const ttl = await db.pttl(registryKey('__defaultVhost__', 'live', 'onb'));
  assert.ok(ttl > 0 && ttl <= LEASE_S * 1000, `a lease of at most ${LEASE_S} s, got ${ttl} ms`);

  // A has no coworkers: its clusters API answers B from the registry, naming B's node.
  const answer = await clusters(a, 'onb');
  assert.equal(answer.code, 0);
  assert.deepEqual([answer.data.origin?.ip, answer.data.origin?.port, answer.data.origin?.api], ['127.0.0.1', b.ports.rtmp, `127.0.0.1:${b.ports.api}`]);
  assert.equal(answer.data.origin?.node, e.node);
  assert.equal((await clusters(a, 'nowhere')).data.origin, null);

  const probe = await waitFor('the edge plays it', () => ffprobe(edge.rtmpUrl('/live/onb')).catch(() => undefined), 40_000, 1000);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.equal(video?.width, 320);
  assert.match(a.output(), /redirected in the origin cluster .*via=registry/);
  assert.match(edge.output(), /origin redirects \(RTMP 302\)/);
});

test('an unpublish deletes the entry at once, well before its lease ends', { skip, timeout: 60_000 }, async () => {
  const p = publish(a.rtmpUrl('/live/bye'));
  await waitFor('A records the stream', async () => (await entry('bye')).rtmp, 20_000, 200);
  kill(p);
  const t0 = Date.now();
  await waitFor('the entry is gone', async () => !(await entry('bye')).rtmp, 5_000, 100);
  // renewed every 3 s with a 10 s lease: expiry alone would take 7 s or more
  assert.ok(Date.now() - t0 < 7000);
});

test('B killed with SIGKILL: its entries expire within the lease and A stops redirecting to it', { skip, timeout: 60_000 }, async () => {
  assert.ok((await entry('onb')).rtmp, 'B still records its stream');
  b.proc.kill('SIGKILL');
  const t0 = Date.now();
  await new Promise((r) => b.proc.once('exit', r));
  assert.ok((await entry('onb')).rtmp, 'nobody deletes a crashed origin\'s entry: it expires');
  await waitFor('the entry expires', async () => !(await entry('onb')).rtmp, (LEASE_S + 3) * 1000, 200);
  assert.ok(Date.now() - t0 <= (LEASE_S + 2) * 1000, `expired ${Date.now() - t0} ms after the kill`);
  assert.equal((await clusters(a, 'onb')).data.origin, null);
});

test('Redis killed mid-run: A keeps publishing and serving, logs the outage once, and records again once Redis is back', { skip, timeout: 90_000 }, async () => {
  publish(a.rtmpUrl('/live/before'));
  await waitFor('A records the stream', async () => (await entry('before')).rtmp, 20_000, 200);
  const port = redis.port;
  await redis.kill();
  // reconnect attempts every few seconds for a while: one warning, not one per attempt
  await sleep(6000);
  publish(a.rtmpUrl('/live/during'));
  const during = await waitFor('A plays a stream published during the outage', () => ffprobe(a.rtmpUrl('/live/during')).catch(() => undefined), 40_000, 1000);
  assert.ok(during.streams.some((s) => s.codec_type === 'video'));
  const before = await ffprobe(edge.rtmpUrl('/live/before'));
  assert.ok(before.streams.some((s) => s.codec_type === 'video'), 'the edge plays A\'s stream from A');
  assert.equal((await api(a, '/api/v1/summaries')).status, 200);
  const warnings = a.output().split('\n').filter((l) => l.includes('Redis unreachable'));
  assert.ok(warnings.length >= 1 && warnings.length <= 2, `the outage logged once, not per retry: ${warnings.length}`);
  assert.equal((await clusters(a, 'nowhere')).data.origin, null, 'the clusters API answers during the outage');
  // A player of a stream nobody publishes yet is not refused for want of the registry: it waits here.
  const late = ffprobe(a.rtmpUrl('/live/late'));
  await sleep(1500);
  publish(a.rtmpUrl('/live/late'));
  assert.ok((await late).streams.some((s) => s.codec_type === 'video'), 'the waiting player gets the late publish');

  // Redis back on the same port, empty: A's reconnect records both of its streams again.
  redis = await startRedis({ after: (fn) => afters.push(fn) }, { port });
  db = redis.client();
  await waitFor('A records its streams again', async () => (await entry('before')).rtmp && (await entry('during')).rtmp, 20_000, 250);
  assert.match(a.output(), /registry: Redis reconnected/);
});

test('a graceful stop deletes the origin\'s entries instead of leaving them to expire', { skip, timeout: 60_000 }, async () => {
  await waitFor('A records its streams', async () => (await entry('before')).rtmp && (await entry('late')).rtmp, 20_000, 250);
  const t0 = Date.now();
  await a.stop();
  assert.ok(!(await entry('before')).rtmp && !(await entry('late')).rtmp, 'gone when A has stopped');
  assert.ok(Date.now() - t0 < 7000, 'before any lease could end');
});
