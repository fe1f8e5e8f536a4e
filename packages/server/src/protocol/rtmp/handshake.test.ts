import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  ClientHandshake,
  GENUINE_FMS_KEY,
  GENUINE_FP_KEY,
  HANDSHAKE_SIZE,
  ServerHandshake,
  digestOffset,
  findDigest,
  verifyResponse,
} from './handshake.js';
import { RtmpProtocolError } from './messages.js';

/** Runs a client against a server, delivering bytes in pieces of `step`. */
function run(client: ClientHandshake, server: ServerHandshake, step = 100000, trailing = Buffer.alloc(0)) {
  const c0c1 = client.start();
  let s0s1s2 = Buffer.alloc(0);
  for (let i = 0; i < c0c1.length; i += step) {
    const r = server.push(c0c1.subarray(i, i + step));
    assert.equal(r.done, false);
    if (r.out) s0s1s2 = Buffer.concat([s0s1s2, r.out]);
  }
  assert.equal(s0s1s2.length, 1 + 2 * HANDSHAKE_SIZE);
  let c2: Buffer | undefined;
  for (let i = 0; i < s0s1s2.length; i += step) {
    const r = client.push(s0s1s2.subarray(i, i + step));
    if (r.out) c2 = r.out;
    assert.equal(r.done, i + step >= s0s1s2.length);
  }
  assert.ok(c2);
  const r = server.push(Buffer.concat([c2, trailing]));
  assert.equal(r.done, true);
  return { s0s1s2, c2, rest: r.rest };
}

test('complex handshake: server validates C1, client validates S1 and S2', () => {
  const client = new ClientHandshake();
  const server = new ServerHandshake();
  const { s0s1s2, c2, rest } = run(client, server, 100000, Buffer.from('chunks'));
  assert.equal(server.complex, true);
  assert.equal(server.schema, 1);
  assert.equal(client.serverComplex, true);
  assert.equal(client.serverVerified, true);
  assert.equal(rest?.toString(), 'chunks');

  // Check the digests independently of the implementation's helpers.
  const s1 = s0s1s2.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = s0s1s2.subarray(1 + HANDSHAKE_SIZE);
  assert.equal(s0s1s2[0], 3);
  assert.notEqual(s1.readUInt32BE(4), 0);
  const pos = digestOffset(s1, 1);
  const expect = createHmac('sha256', GENUINE_FMS_KEY.subarray(0, 36))
    .update(Buffer.concat([s1.subarray(0, pos), s1.subarray(pos + 32)]))
    .digest();
  assert.ok(expect.equals(s1.subarray(pos, pos + 32)), 'S1 digest');
  const c1 = server.c1!;
  const c1pos = digestOffset(c1, 1);
  const key = createHmac('sha256', GENUINE_FMS_KEY).update(c1.subarray(c1pos, c1pos + 32)).digest();
  const sig = createHmac('sha256', key).update(s2.subarray(0, HANDSHAKE_SIZE - 32)).digest();
  assert.ok(sig.equals(s2.subarray(HANDSHAKE_SIZE - 32)), 'S2 signature');
  // C2 signs the S1 digest with the Flash Player key.
  assert.ok(verifyResponse(c2, s1.subarray(pos, pos + 32), GENUINE_FP_KEY), 'C2 signature');
});

test('complex handshake with schema 0 C1 (key block first)', () => {
  // Build a schema-0 C1 by hand.
  const c1 = Buffer.alloc(HANDSHAKE_SIZE, 7);
  c1.writeUInt32BE(0x80000702, 4);
  const pos = digestOffset(c1, 0);
  assert.ok(pos >= 776 && pos + 32 <= HANDSHAKE_SIZE);
  createHmac('sha256', GENUINE_FP_KEY.subarray(0, 30))
    .update(Buffer.concat([c1.subarray(0, pos), c1.subarray(pos + 32)]))
    .digest()
    .copy(c1, pos);
  assert.equal(findDigest(c1, GENUINE_FP_KEY.subarray(0, 30))?.schema, 0);
  const server = new ServerHandshake();
  const r = server.push(Buffer.concat([Buffer.from([3]), c1]));
  assert.equal(server.complex, true);
  assert.equal(server.schema, 0);
  const s1 = r.out!.subarray(1, 1 + HANDSHAKE_SIZE);
  assert.equal(findDigest(s1, GENUINE_FMS_KEY.subarray(0, 36))?.schema, 0);
  assert.ok(verifyResponse(r.out!.subarray(1 + HANDSHAKE_SIZE), c1.subarray(pos, pos + 32), GENUINE_FMS_KEY));
});

test('simple handshake: S2 echoes C1, C2 echoes S1, byte-by-byte delivery', () => {
  const client = new ClientHandshake({ complex: false });
  const server = new ServerHandshake();
  const { s0s1s2, c2, rest } = run(client, server, 1);
  assert.equal(server.complex, false);
  assert.equal(client.serverComplex, false);
  assert.equal(rest, undefined);
  const s1 = s0s1s2.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = s0s1s2.subarray(1 + HANDSHAKE_SIZE);
  assert.equal(s1.readUInt32BE(4), 0);
  const c1 = server.c1!;
  assert.ok(s2.subarray(8).equals(c1.subarray(8)));
  assert.equal(s2.readUInt32BE(0), c1.readUInt32BE(0));
  assert.ok(c2.equals(s1));
});

test('a C1 with a version but no valid digest falls back to simple', () => {
  const c1 = Buffer.alloc(HANDSHAKE_SIZE, 1);
  c1.writeUInt32BE(0x09007c02, 4);
  const server = new ServerHandshake();
  const r = server.push(Buffer.concat([Buffer.from([3]), c1]));
  assert.equal(server.complex, false);
  assert.ok(r.out!.subarray(1 + HANDSHAKE_SIZE + 8).equals(c1.subarray(8)));
});

test('complex client against a simple server', () => {
  const client = new ClientHandshake();
  client.start();
  const s1 = Buffer.alloc(HANDSHAKE_SIZE, 5);
  s1.writeUInt32BE(0, 4);
  const r = client.push(Buffer.concat([Buffer.from([3]), s1, Buffer.alloc(HANDSHAKE_SIZE)]));
  assert.equal(r.done, true);
  assert.equal(client.serverComplex, false);
  assert.ok(r.out!.equals(s1));
});

test('bad C0 version is a protocol error', () => {
  const server = new ServerHandshake();
  assert.throws(() => server.push(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.alloc(2000)])), RtmpProtocolError);
});
