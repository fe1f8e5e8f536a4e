/**
 * Misconfigured and hostile clusters: an edge whose origin is itself, and two edges that name
 * each other, must not keep pulling from themselves once the real player left; an origin that
 * answers the play but sends no media must not hold the edge.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { encodeAmf0 } from '../src/kernel/amf0.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { CSID, MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { ServerSession } from '../src/protocol/rtmp/server-session.js';
import { clients } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, sleep, startServer, waitFor, type Ports, type RunningServer } from './harness.js';

const servers: RunningServer[] = [];

const cleanups: (() => unknown)[] = [];

after(async () => {
  for (const c of cleanups) await c();
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

/** An RTMP origin that accepts every play, then sends onMetaData every 300 ms and never any media. */
async function metadataOnlyOrigin(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    let timer: NodeJS.Timeout | undefined;
    const session: ServerSession = new ServerSession(
      {
        onPlay: () => {
          let ts = 0;
          timer = setInterval(() => {
            ts += 300;
            session.sendMessage({ typeId: MSG.AMF0_DATA, streamId: session.streamId, timestamp: ts, csid: CSID.OVER_CONNECTION2, payload: encodeAmf0('onMetaData', { width: 320, height: 240 }) });
          }, 300);
        },
      },
      { send: (b) => sock.write(b), end: () => sock.end() },
    );
    sock.on('data', (d) => session.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(timer);
      session.close();
      sockets.delete(sock);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return (server.address() as AddressInfo).port;
}

test('an origin that plays but sends only metadata is left for the next origin', { timeout: 120_000 }, async () => {
  const silent = await metadataOnlyOrigin();
  const origin = await startServer((p) => basicConf(p));
  servers.push(origin);
  const ff = ffmpegPublish(origin.rtmpUrl('/live/meta'), { size: '320x240', rate: 25, gop: 25 });
  cleanups.push(() => kill(ff));
  await waitFor('publish on the origin', () => origin.output().includes('rtmp publish'), 15_000);
  const edge = await startServer((p) => basicConf(p, `cluster { mode remote; origin 127.0.0.1:${silent} 127.0.0.1:${origin.ports.rtmp}; edge_idle_timeout 1; }`));
  servers.push(edge);
  const player = await RtmpClient.connect(edge.rtmpUrl('/live/meta'), { mode: 'play', timeoutMs: 15_000 });
  cleanups.push(() => player.destroy());
  let video = 0;
  player.on('message', (m: RtmpMessage) => void (m.typeId === MSG.VIDEO && video++));
  // the stall bound (5 s) after the play on the silent origin, a connect, then a GOP
  await waitFor('video from the second origin', () => video >= 25, 40_000);
  assert.match(edge.output(), /nothing from the origin/);
});
