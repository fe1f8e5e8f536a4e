/**
 * HttpHooks against a real hook server on 127.0.0.1 that never answers: notifications queue
 * up to `maxQueued` and the rest are dropped (counted), so a dead hook server cannot make tsrs
 * hold an unbounded number of requests; a decision's call ends when its client leaves.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import type { Logger } from '../log.js';
import { Client } from './client.js';
import { HttpHooks } from './hooks.js';
import { AdmissionError, Hub } from './hub.js';
import { DEFAULT_SOURCE_OPTIONS } from './source.js';
import { ServerIdentity } from './stats-identity.js';

const log = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} } as unknown as Logger;
const held: ServerResponse[] = [];
let received = 0;
const server = createServer((req, res) => {
  received++;
  req.resume();
  held.push(res); // never answered
});
let url = '';

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function setup(maxQueued: number) {
  const { config } = parseConfigText(`listen 1935; vhost __defaultVhost__ { http_hooks { enabled on; on_connect ${url}/c; on_close ${url}/close; } }`);
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const hooks = new HttpHooks({ config: () => config, identity: new ServerIdentity(() => config), log, hub, maxQueued });
  hooks.subscribe(hub.bus);
  return { hub, hooks };
}

function client(): Client {
  return new Client({ ip: '127.0.0.1', vhost: '__defaultVhost__', app: 'live', transport: { close() {}, bytesRead: () => 0, bytesWritten: () => 0 } });
}

const until = async (what: string, fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('notifications to a hook server that never answers: at most maxQueued held, the rest dropped', { timeout: 30_000 }, async () => {
  const { hub, hooks } = setup(5);
  const start = received;
  // 12 clients connect and leave: each has an on_close to send
  for (let i = 0; i < 12; i++) {
    const c = client();
    hub.addClient(c);
    const decided = hooks.connect(c).catch((e: unknown) => e);
    await until('on_connect sent', () => received === start + i + 1 + Math.min(i, 5));
    hub.removeClient(c); // leaves while on_connect decides: that call ends, on_close is queued
    assert.ok((await decided) instanceof AdmissionError, 'a client that left is not admitted');
    if (i < 5) await until('on_close sent', () => received === start + 2 * i + 2);
    else await new Promise((r) => setTimeout(r, 50)); // time for a (wrongly) queued on_close to go out
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(hooks.inFlight, 5, 'only the queued notifications are on the wire');
  assert.equal(hooks.dropped, 7);
  assert.equal(received - start, 12 + 5, 'every on_connect, and five on_close');
});
