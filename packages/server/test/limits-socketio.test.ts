/**
 * socket.io's engine.io handshake makes a session before any credentials are seen: sessions are
 * bounded per IP (request_limits.max_socketio_sessions_per_ip), one whose client went quiet goes
 * after 15 s (ping interval + timeout), and the slot is free again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConf, sleep, startServer, waitFor, type RunningServer } from './harness.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) =>
    basicConf(p, '', 'request_limits { max_socketio_sessions_per_ip 20; }').replace(
      /http_api \{[^}]*\}/,
      `http_api { enabled on; listen ${p.api}; auth { enabled on; username admin; password s3cret; } }`,
    ),
  );
});

after(async () => {
  await server.stop();
});

const handshake = async (): Promise<number> => (await fetch(server.apiUrl('/socket.io/?EIO=4&transport=polling'))).status;

test('engine.io handshakes past the per-IP bound are refused; unjoined sessions expire and free their slot', { timeout: 60_000 }, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 100; i++) statuses.push(await handshake());
  const ok = statuses.filter((s) => s === 200).length;
  assert.equal(ok, 20, `statuses: ${statuses.join(',')}`);
  assert.ok(statuses.slice(20).every((s) => s === 403), 'the rest refused');
  // the API itself still answers (with credentials)
  const r = await fetch(server.apiUrl('/api/v1/versions'), { headers: { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` } });
  assert.equal(r.status, 200);
  // quiet sessions are dropped after 15 s: handshakes work again
  await sleep(12_000);
  await waitFor('a slot again', async () => (await handshake()) === 200, 20_000, 500);
});
