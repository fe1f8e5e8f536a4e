import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSecurity, ipMatches, ipToBigInt, SecurityAdmission } from './security.js';
import { Client } from './client.js';
import { parseConfigText } from '../config/config.js';

test('ipToBigInt: IPv4, IPv6, IPv4-mapped', () => {
  assert.equal(ipToBigInt('127.0.0.1'), ipToBigInt('::ffff:127.0.0.1'));
  assert.equal(ipToBigInt('::ffff:7f00:1'), ipToBigInt('127.0.0.1'));
  assert.equal(ipToBigInt('::1'), 1n);
  assert.equal(ipToBigInt('2001:db8::1'), (0x2001n << 112n) | (0xdb8n << 96n) | 1n);
  assert.equal(ipToBigInt('fe80::1%eth0'), (0xfe80n << 112n) | 1n);
  assert.equal(ipToBigInt('nope'), undefined);
});

test('ipMatches: all, exact, CIDR v4/v6, mapped', () => {
  assert.ok(ipMatches('all', '1.2.3.4'));
  assert.ok(ipMatches('127.0.0.1', '127.0.0.1'));
  assert.ok(ipMatches('127.0.0.1', '::ffff:127.0.0.1'));
  assert.ok(!ipMatches('127.0.0.1', '127.0.0.2'));
  assert.ok(ipMatches('10.0.0.0/8', '10.200.1.1'));
  assert.ok(!ipMatches('10.0.0.0/8', '11.0.0.1'));
  assert.ok(ipMatches('192.168.1.0/24', '::ffff:192.168.1.77'));
  assert.ok(ipMatches('0.0.0.0/0', '8.8.8.8'));
  assert.ok(ipMatches('2001:db8::/32', '2001:db8:ffff::5'));
  assert.ok(!ipMatches('2001:db8::/32', '2001:db9::5'));
  assert.ok(ipMatches('::1', '::1'));
  assert.ok(!ipMatches('::1', '127.0.0.1'));
});

test('checkSecurity: SRS order (disabled passes, deny wins, default deny)', () => {
  const sec = (rules: [string, string, string][], enabled = true) => ({
    enabled,
    rules: rules.map(([action, method, value]) => ({ action, method, value })),
  }) as never;
  assert.ok(checkSecurity(sec([['deny', 'publish', 'all']], false), 'publish', '1.1.1.1').ok);
  assert.ok(!checkSecurity(sec([]), 'play', '1.1.1.1').ok);
  const rules = sec([['allow', 'play', 'all'], ['deny', 'publish', '127.0.0.1'], ['allow', 'publish', 'all']]);
  assert.ok(checkSecurity(rules, 'play', '127.0.0.1').ok);
  assert.ok(!checkSecurity(rules, 'publish', '127.0.0.1').ok);
  assert.ok(checkSecurity(rules, 'publish', '10.0.0.1').ok);
  const denyFirst = sec([['allow', 'publish', '127.0.0.1'], ['deny', 'publish', '127.0.0.0/8']]);
  assert.ok(!checkSecurity(denyFirst, 'publish', '127.0.0.1').ok);
  // only a deny for play: every play is refused (no allow)
  assert.ok(!checkSecurity(sec([['deny', 'play', '10.0.0.1']]), 'play', '10.0.0.2').ok);
});

test('SecurityAdmission: a claimed clientip cannot lift a deny of the socket address; a proxy must itself be allowed', async () => {
  const { config } = parseConfigText(
    'listen 1935; vhost __defaultVhost__ { security { enabled on; deny publish 10.0.0.5; allow publish 10.0.0.0/8; allow play all; } }',
  );
  const admission = new SecurityAdmission(() => config);
  const client = (ip: string, peerIp?: string) => new Client({ ip, peerIp, vhost: '__defaultVhost__', transport: { close() {} } as never });
  await admission.publish(client('10.0.0.6'));
  await assert.rejects(admission.publish(client('10.0.0.5')), /deny publish 10\.0\.0\.5/);
  // the denied address claims an allowed one: still refused, by the socket's address
  await assert.rejects(admission.publish(client('10.0.0.6', '10.0.0.5')), /denied for 10\.0\.0\.5/);
  // an allowed proxy passes a denied client's address: refused by the claimed one (SRS's clientip)
  await assert.rejects(admission.publish(client('10.0.0.5', '10.0.0.6')), /denied for 10\.0\.0\.5/);
  // an allowed proxy passes an allowed client's address
  await admission.publish(client('10.0.0.7', '10.0.0.6'));
  // the same address claimed as the socket's: one check, no peerIp kept
  assert.equal(client('10.0.0.6', '10.0.0.6').peerIp, undefined);
});
