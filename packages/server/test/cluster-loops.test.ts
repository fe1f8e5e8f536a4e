/**
 * Misconfigured and hostile clusters: an edge whose origin is itself, and two edges that name
 * each other, must not keep pulling from themselves once the real player left.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { clients } from './api-helpers.js';
import { basicConf, freePort, sleep, startServer, waitFor, type Ports, type RunningServer } from './harness.js';

const servers: RunningServer[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** An edge listening on `listen` (default: its own free port) with `origin` as its only origin. */
async function startEdge(origin: (p: Ports) => number, listen?: number): Promise<RunningServer> {
  const s = await startServer((p) => {
    const conf = basicConf(p, `cluster { mode remote; origin 127.0.0.1:${origin(p)}; edge_idle_timeout 1; }`);
    return listen ? conf.replace(`listen ${p.rtmp};`, `listen ${listen};`) : conf;
  });
  servers.push(s);
  return s;
}

const pulls = (s: RunningServer) => s.output().split('edge upstream playing').length - 1;

/** A player waits on `url` for 3 s (nothing comes: nobody publishes), then leaves. */
async function playAWhile(url: string): Promise<void> {
  const player = await RtmpClient.connect(url, { mode: 'play', timeoutMs: 15_000 });
  await sleep(3000);
  player.destroy();
}

/** No client stays on `s`, and no new pull starts over 7 s (longer than a stall and a retry). */
async function assertSettled(s: RunningServer, what: string): Promise<void> {
  await waitFor(`${what}: no client left`, async () => (await clients(s)).length === 0, 20_000, 500);
  const before = pulls(s);
  await sleep(7000);
  assert.equal((await clients(s)).length, 0, `${what}: a client came back`);
  assert.equal(pulls(s), before, `${what}: it pulled again without a player`);
}

test('an edge whose origin is itself stops pulling once its player left', { timeout: 90_000 }, async () => {
  const edge = await startEdge((p) => p.rtmp);
  await playAWhile(`rtmp://127.0.0.1:${edge.ports.rtmp}/live/self`);
  await assertSettled(edge, 'self-loop edge');
  assert.match(edge.output(), /edge loop: this edge/);
});

test('two edges naming each other stop pulling once the player left', { timeout: 90_000 }, async () => {
  const portA = await freePort();
  const b = await startEdge(() => portA);
  const a = await startEdge(() => b.ports.rtmp, portA);
  await playAWhile(`rtmp://127.0.0.1:${portA}/live/ping`);
  await assertSettled(a, 'edge A');
  await assertSettled(b, 'edge B');
  assert.match(a.output() + b.output(), /edge loop: this edge/);
});
