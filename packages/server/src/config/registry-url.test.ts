import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRegistryUrl, redactRegistryUrl } from './registry-url.js';

test('redis://HOST[:PORT][/DB] with the defaults 6379 and 0', () => {
  assert.deepEqual(parseRegistryUrl('redis://127.0.0.1'), { host: '127.0.0.1', port: 6379, db: 0, tls: false, username: undefined, password: undefined });
  assert.deepEqual(parseRegistryUrl('redis://cache.lan:7000/3'), { host: 'cache.lan', port: 7000, db: 3, tls: false, username: undefined, password: undefined });
  assert.deepEqual(parseRegistryUrl('rediss://[::1]:6380/'), { host: '::1', port: 6380, db: 0, tls: true, username: undefined, password: undefined });
});

test('user and password are read but never shown', () => {
  const u = parseRegistryUrl('redis://tsrs:s%40cret@10.0.0.5:6379/1');
  assert.ok(typeof u === 'object');
  assert.equal(u.username, 'tsrs');
  assert.equal(u.password, 's@cret');
  assert.equal(redactRegistryUrl(u), 'redis://10.0.0.5:6379/1');
  const p = parseRegistryUrl('redis://:only@h');
  assert.ok(typeof p === 'object');
  assert.deepEqual([p.username, p.password], [undefined, 'only']);
  assert.doesNotMatch(String(parseRegistryUrl('redis://u:secret@h:99999')), /secret/);
});

test('anything but an address is refused', () => {
  for (const bad of ['http://h:6379', 'redis://', 'redis://h:0', 'redis://h:6379/16', 'redis://h/0/x', 'redis://h?x=1', 'redis://h:6379/a', 'redis://a b', 'h:6379', `redis://${'a'.repeat(1100)}`]) {
    assert.equal(typeof parseRegistryUrl(bad), 'string', bad);
  }
});
