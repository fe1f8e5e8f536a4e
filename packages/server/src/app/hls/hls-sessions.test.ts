import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../log.js';
import { DEFAULT_SOURCE_OPTIONS } from '../source.js';
import type { Client } from '../client.js';
import { AdmissionError, Hub, LimitError } from '../hub.js';
import { HlsSessions, type HlsViewer } from './hls-sessions.js';

const log = createLogger({ level: 'silent' });
const viewer = (id: string): HlsViewer => ({
  id, ip: '127.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', param: '?token=x', tcUrl: 'http://h/live', pageUrl: '',
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(expiryMs = 60_000) {
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const events: string[] = [];
  hub.bus.on('stream:play', (_s, c) => events.push(`play ${c.id}`));
  hub.bus.on('stream:stop', (_s, c) => events.push(`stop ${c.id}`));
  hub.bus.on('client:close', (c) => events.push(`close ${c.id} ${c.endReason}`));
  const sessions = new HlsSessions({ hub, log, expiryMs: () => expiryMs, kickedMemoryMs: () => 200 });
  return { hub, events, sessions };
}

test('open: an hls-play client in the hub, admitted once, stream:play; bytes are its send_bytes', async () => {
  const { hub, events, sessions } = setup();
  let admitted = 0;
  hub.admissions.push({ play: async () => void admitted++ });
  const [a, b] = await Promise.all([sessions.open(viewer('abc')), sessions.open(viewer('abc'))]);
  assert.equal(a, b);
  assert.equal(admitted, 1);
  const c = hub.clients.get('abc')!;
  assert.equal(c.type, 'hls-play');
  assert.equal(c.param, '?token=x');
  assert.equal(c.source?.stream, 's');
  sessions.addBytes(a, 100);
  sessions.addBytes(a, 20);
  assert.equal(c.transport.bytesWritten(), 120);
  assert.deepEqual(events, ['play abc']);
  sessions.closeAll();
  assert.deepEqual(events, ['play abc', 'stop abc', 'close abc normal']);
  assert.equal(hub.clients.size, 0);
  hub.close();
});

test('a refused viewer leaves the hub and the opener gets the AdmissionError', async () => {
  const { hub, events, sessions } = setup();
  hub.admissions.push({ play: async () => { throw new AdmissionError('no'); } });
  await assert.rejects(sessions.open(viewer('x1')), AdmissionError);
  assert.equal(hub.clients.size, 0);
  assert.equal(sessions.size, 0);
  assert.deepEqual(events, [], 'a refused viewer was never a client');
  hub.close();
});

test('expiry: no request for the expiry time ends it; touch keeps it alive', async () => {
  const { hub, events, sessions } = setup(150);
  const s = await sessions.open(viewer('e1'));
  await sleep(100);
  sessions.touch(s);
  await sleep(100);
  assert.equal(sessions.size, 1, 'touched: still alive');
  await sleep(150);
  assert.equal(sessions.size, 0);
  assert.deepEqual(events, ['play e1', 'stop e1', 'close e1 normal']);
  hub.close();
});

test('kick: ends it as kicked, the ctx is refused for a while, then usable again', async () => {
  const { hub, events, sessions } = setup();
  await sessions.open(viewer('k1'));
  (hub.clients.get('k1') as Client).kick();
  assert.deepEqual(events, ['play k1', 'stop k1', 'close k1 kicked']);
  assert.ok(sessions.wasKicked('k1'));
  await sleep(250);
  assert.ok(!sessions.wasKicked('k1'));
  hub.close();
});

test('while its hooks run a viewer is not a client yet; a refused ctx is remembered', { timeout: 10_000 }, async () => {
  const { hub, events, sessions } = setup();
  let release!: (ok: boolean) => void;
  hub.admissions.push({
    play: () => new Promise<void>((resolve, reject) => (release = (ok) => (ok ? resolve() : reject(new AdmissionError('no'))))),
  });
  const p = sessions.open(viewer('k2'));
  await sleep(10);
  assert.equal(hub.clients.size, 0, 'not registered during admission');
  release(false);
  await assert.rejects(p, AdmissionError);
  assert.deepEqual(events, []);
  assert.ok(sessions.wasKicked('k2'), 'refused ctx is refused again without hooks');
  hub.close();
});

test('pending ctx ids: bounded per IP and in total (oldest forgotten), expire, carry their bytes into the session', { timeout: 10_000 }, async () => {
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const limits = { maxViewers: 3, maxViewersPerIp: 2, maxPending: 5, maxPendingPerIp: 3, pendingMs: 100 };
  const sessions = new HlsSessions({ hub, log, expiryMs: () => 60_000, limits: () => limits });
  const from = (id: string, ip: string): HlsViewer => ({ ...viewer(id), ip });
  for (let i = 0; i < 10; i++) sessions.offer(from(`a${i}`, '10.0.0.1'), 10);
  assert.equal(sessions.pendingSize, 3);
  assert.equal(sessions.pendingOf('a0'), undefined, 'the oldest of the IP went first');
  assert.ok(sessions.pendingOf('a9'));
  for (let i = 0; i < 4; i++) sessions.offer(from(`b${i}`, `10.0.1.${i}`), 10);
  assert.equal(sessions.pendingSize, 5);
  sessions.offer(from('a9', '10.0.0.1'), 5); // a request moves it to the end, adds its bytes
  const s = await sessions.open(sessions.pendingOf('a9')!);
  assert.equal(s.sentBytes, 15);
  assert.equal(hub.clients.get('a9')?.role, 'play');
  await sessions.open(from('x1', '10.0.0.1'));
  await assert.rejects(sessions.open(from('x2', '10.0.0.1')), LimitError, 'per IP');
  await sessions.open(from('y1', '10.0.0.9'));
  await assert.rejects(sessions.open(from('y2', '10.0.0.8')), LimitError, 'in total');
  assert.ok(!sessions.wasKicked('y2'), 'a limit is no refusal to remember');
  await sleep(150);
  assert.equal(sessions.pendingSize, 0, 'expired');
  sessions.closeAll();
  assert.equal(hub.clients.size, 0);
  hub.close();
});

test('a ctx that is another client\'s id is refused', async () => {
  const { hub, sessions } = setup();
  await sessions.open(viewer('dup'));
  const other = setup();
  other.hub.clients.set('dup', hub.clients.get('dup')!);
  await assert.rejects(other.sessions.open(viewer('dup')), AdmissionError);
  sessions.closeAll();
  hub.close();
  other.hub.close();
});
