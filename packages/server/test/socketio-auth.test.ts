/**
 * socket.io under http_api.auth: refused without (or with wrong) credentials, accepted with
 * them in the handshake's `auth`, as a token, or as an Authorization header; CORS per
 * crossdomain.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { LiveSummary } from '@tsrs/api-types';
import { startServer, waitPort, type RunningServer } from './harness.js';

let server: RunningServer;
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

before(async () => {
  server = await startServer((p) => `
listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; crossdomain on; auth { enabled on; username admin; password s3cret; } }
vhost __defaultVhost__ { }
`);
  await waitPort(server.ports.api, 5000);
});

after(async () => {
  await server.stop();
});

/** Connects and waits for the first summary; resolves 'refused: <message>' on connect_error. */
function attempt(opts: Partial<ManagerOptions & SocketOptions>): Promise<string> {
  const socket = io(server.apiUrl(''), { path: '/socket.io/', reconnection: false, timeout: 5000, ...opts });
  return new Promise<string>((resolve) => {
    socket.once('connect_error', (err) => resolve(`refused: ${err.message}`));
    socket.once('summary', (s: LiveSummary) => resolve(typeof s.now_ms === 'number' ? 'summary' : 'bad summary'));
  }).finally(() => socket.disconnect());
}

test('no credentials: refused', async () => {
  assert.equal(await attempt({ transports: ['websocket'] }), 'refused: unauthorized');
  assert.equal(await attempt({ transports: ['polling'] }), 'refused: unauthorized');
});

test('wrong credentials: refused', async () => {
  assert.equal(await attempt({ transports: ['websocket'], auth: { username: 'admin', password: 'nope' } }), 'refused: unauthorized');
  assert.equal(await attempt({ transports: ['polling'], extraHeaders: { Authorization: basic('admin', 'nope') } }), 'refused: unauthorized');
});

test('credentials in the handshake auth, as a token, or as an Authorization header: accepted', async () => {
  assert.equal(await attempt({ transports: ['websocket'], auth: { username: 'admin', password: 's3cret' } }), 'summary');
  assert.equal(await attempt({ transports: ['websocket'], auth: { token: basic('admin', 's3cret') } }), 'summary');
  assert.equal(await attempt({ transports: ['polling'], extraHeaders: { Authorization: basic('admin', 's3cret') } }), 'summary');
});

test('the HTTP API keeps its own Basic auth; the history routes are behind it', async () => {
  assert.equal((await fetch(server.apiUrl('/api/v1/history/streams'))).status, 401);
  const ok = await fetch(server.apiUrl('/api/v1/history/streams'), { headers: { Authorization: basic('admin', 's3cret') } });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { code: number }).code, 0);
});

test('CORS on the socket.io handshake (crossdomain on)', async () => {
  const res = await fetch(server.apiUrl('/socket.io/?EIO=4&transport=polling'), { headers: { Origin: 'http://console.example' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://console.example');
  const pre = await fetch(server.apiUrl('/socket.io/?EIO=4&transport=polling'), {
    method: 'OPTIONS',
    headers: { Origin: 'http://console.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
  });
  assert.ok(pre.status === 204 || pre.status === 200, `preflight ${pre.status}`);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/i);
});
