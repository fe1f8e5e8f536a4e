import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { discoverCandidates } from './rtc-candidates.js';

const nic = (address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
const host = { lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)], eth0: [nic('10.1.2.3'), nic('fe80::1', 'IPv6')], eth1: [nic('192.168.7.9')] };
const loopbackOnly = { lo: [nic('127.0.0.1', 'IPv4', true)] };
const base = { apiAsCandidates: false, interfaces: host };

test('an IP, several IPs (space or comma separated), names that are not IPv4 skipped', () => {
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4'] }), ['1.2.3.4']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4', '5.6.7.8,9.9.9.9'] }), ['1.2.3.4', '5.6.7.8', '9.9.9.9']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4 5.6.7.8'] }), ['1.2.3.4', '5.6.7.8']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['example.com', '1.2.3.4'] }), ['1.2.3.4']);
});

test('* and 0.0.0.0: every non-loopback IPv4 address; loopback only when there is none', () => {
  assert.deepEqual(discoverCandidates({ ...base, configured: ['*'] }), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['0.0.0.0'] }), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...base, configured: [] }), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4', '*'] }), ['1.2.3.4', '10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...base, interfaces: loopbackOnly, configured: ['*'] }), ['127.0.0.1']);
});

test('eip first (with its port, as SRS), then the API host when api_as_candidates is on', () => {
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4'], eip: '8.8.4.4:8000' }), ['8.8.4.4:8000', '1.2.3.4']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4'], eip: '8.8.4.4:70000' }), ['8.8.4.4', '1.2.3.4']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4'], eip: 'x.y:80' }), ['1.2.3.4']);
  assert.deepEqual(discoverCandidates({ ...base, configured: ['1.2.3.4'], eip: 'bad;name' }), ['1.2.3.4']);
  const api = { ...base, configured: ['*'], apiHost: '127.0.0.1' };
  assert.deepEqual(discoverCandidates({ ...api, apiAsCandidates: true }), ['127.0.0.1', '10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates(api), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...api, apiAsCandidates: true, apiHost: 'localhost' }), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...api, apiAsCandidates: true, apiHost: '0.0.0.0' }), ['10.1.2.3', '192.168.7.9']);
  assert.deepEqual(discoverCandidates({ ...api, apiAsCandidates: true, eip: '127.0.0.1' }), ['127.0.0.1', '10.1.2.3', '192.168.7.9']);
});
