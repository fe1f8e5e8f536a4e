import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createLogger } from '../log.js';
import { BACKOFF_MS, ConnectionLimit, openFileLimit, socketsForFdLimit } from './connection-limit.js';

const log = createLogger({ level: 'silent' });

class FakeSocket extends EventEmitter {
  destroyed = false;
  remoteAddress = '127.0.0.1';
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

test('the open-file limit leaves a reserve for tsrs itself', () => {
  assert.equal(socketsForFdLimit(256), 192);
  assert.equal(socketsForFdLimit(1024), 896);
  assert.equal(socketsForFdLimit(65535), 57344);
  assert.equal(socketsForFdLimit(10), 1);
  const own = openFileLimit();
  assert.ok(own === undefined || own > 0);
});

test('one count over all listeners; over the cap a socket is closed at once; a close frees a place', () => {
  let max = 3;
  const limit = new ConnectionLimit(() => max, log, undefined);
  const a = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  assert.ok(limit.admit(a[0], 'rtmp'));
  assert.ok(limit.admit(a[1], 'http'));
  assert.ok(limit.admit(a[2], 'api'));
  const extra = new FakeSocket();
  assert.equal(limit.admit(extra, 'http'), false);
  assert.ok(extra.destroyed);
  assert.equal(limit.refusedTotal, 1);
  a[1].destroy();
  assert.equal(limit.open, 2);
  assert.ok(limit.admit(new FakeSocket(), 'rtmp'));
  // max_connections is read per accept (a reload applies)
  max = 10;
  assert.ok(limit.admit(new FakeSocket(), 'rtmp'));
  assert.equal(limit.open, 4);
  limit.close();
});

test('the cap is the lower of max_connections and what the open-file limit allows', () => {
  const limit = new ConnectionLimit(() => 1000, log, 256);
  assert.equal(limit.cap, 192);
  limit.close();
});

test('after a resource error new sockets are refused for a while, then accepted again', { timeout: 10_000 }, async () => {
  const limit = new ConnectionLimit(() => 100, log, undefined);
  assert.equal(limit.resourceError(Object.assign(new Error('x'), { code: 'EMFILE' }), 'test'), true);
  assert.equal(limit.resourceError(Object.assign(new Error('x'), { code: 'EMFILE' }), 'test'), false, 'one episode');
  assert.ok(limit.backingOff);
  const s = new FakeSocket();
  assert.equal(limit.admit(s, 'rtmp'), false);
  assert.ok(s.destroyed);
  await new Promise((r) => setTimeout(r, BACKOFF_MS + 50));
  assert.ok(!limit.backingOff);
  assert.ok(limit.admit(new FakeSocket(), 'rtmp'));
  limit.close();
});

test('max_connections_per_ip: one address cannot take every slot; others still get in; 0 is no bound', () => {
  let perIp = 2;
  const limit = new ConnectionLimit(() => 100, log, undefined, () => perIp);
  const from = (ip: string) => Object.assign(new FakeSocket(), { remoteAddress: ip });
  const a = [from('10.0.0.1'), from('10.0.0.1')];
  for (const s of a) assert.ok(limit.admit(s, 'rtmp'));
  const third = from('10.0.0.1');
  assert.equal(limit.admit(third, 'http'), false, 'the third from one address is refused');
  assert.ok(third.destroyed);
  assert.ok(limit.admit(from('10.0.0.2'), 'http'), 'another address gets in');
  a[0].destroy();
  assert.ok(limit.admit(from('10.0.0.1'), 'api'), 'a close frees the address a place');
  perIp = 0;
  for (let i = 0; i < 5; i++) assert.ok(limit.admit(from('10.0.0.1'), 'rtmp'));
  limit.close();
});

test('outgoing connections (forward pushes) share the count: refused over the cap, a release frees the place once', () => {
  const limit = new ConnectionLimit(() => 2, log, undefined);
  assert.ok(limit.admit(new FakeSocket(), 'rtmp'));
  const release = limit.reserve('forward', 'rtmp://127.0.0.1:1936/live/a');
  assert.ok(release);
  assert.equal(limit.open, 2);
  // full: neither an accept nor another push gets in
  assert.equal(limit.reserve('forward', 'rtmp://127.0.0.1:1937/live/a'), undefined);
  assert.equal(limit.admit(new FakeSocket(), 'rtmp'), false);
  assert.equal(limit.refusedTotal, 2);
  release();
  release();
  assert.equal(limit.open, 1);
  assert.ok(limit.reserve('forward', 'rtmp://127.0.0.1:1937/live/a'));
  assert.equal(limit.open, 2);
  limit.close();
});
