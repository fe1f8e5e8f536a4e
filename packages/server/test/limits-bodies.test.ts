/**
 * Slow request bodies cannot hold connection slots: a body (chunked or with Content-Length) that
 * drips must be complete within 2 x handshake_timeout, and a request answered before its body
 * ended (404, or an API GET) closes instead of draining it. A healthy player plays throughout;
 * a real API POST still works.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, streams } from './api-helpers.js';
import { watchHealthyPlayer, type HealthyPlayer } from './healthy-player.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
let healthy: HealthyPlayer;

before(async () => {
  server = await startServer((p) => basicConf(p, '', 'handshake_timeout 2;'));
  publisher = ffmpegPublish(server.rtmpUrl('/live/healthy'), { audio: false });
  await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'healthy' && s.publish.active), 15_000);
  healthy = await watchHealthyPlayer(server.httpUrl('/live/healthy.flv'));
});

after(async () => {
  healthy?.close();
  kill(publisher);
  await server.stop();
});

/** Opens a socket that sends `head`, then one body byte every 300 ms; resolves the ms until the server closed it. */
function dripper(port: number, head: string, chunked: boolean): { closed: Promise<number>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => socket.write(chunked ? '1\r\na\r\n' : 'a'), 300);
  });
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  const closed = new Promise<number>((r) => socket.once('close', () => {
    clearInterval(timer);
    r(Date.now() - t0);
  }));
  return { closed, socket };
}

test('dripping bodies are cut within 2 x handshake_timeout on both HTTP ports', { timeout: 60_000 }, async () => {
  const { http, api: apiPort } = server.ports;
  const cases = [
    { port: http, head: 'POST /live/x.flv HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', chunked: true },
    { port: http, head: 'POST /live/x.flv HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n', chunked: false },
    { port: apiPort, head: 'GET /api/v1/versions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', chunked: true },
    { port: apiPort, head: 'POST /api/v1/dvrs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', chunked: true },
    { port: apiPort, head: 'POST /api/v1/dvrs HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n', chunked: false },
  ];
  const drips = Array.from({ length: 20 }, (_, i) => cases[i % cases.length]).map((c) => dripper(c.port, c.head, c.chunked));
  const times = await Promise.all(drips.map((d) => Promise.race([d.closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))])));
  for (const d of drips) d.socket.destroy();
  assert.ok(times.every((t) => t >= 0 && t < 8000), `closed after ms: ${times.join(', ')}`);
  // the API answers a real POST, and the player went on
  const r = await api(server, '/api/v1/dvrs', { method: 'POST', body: JSON.stringify({ app: 'live', stream: 'healthy', action: 'start' }) });
  assert.equal(r.json.code, 0, JSON.stringify(r.json));
  await api(server, '/api/v1/dvrs', { method: 'POST', body: JSON.stringify({ app: 'live', stream: 'healthy', action: 'stop' }) });
  healthy.assertAdvancing();
});
