import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitReader, CodecError, unescapeRbsp } from './bit-reader.js';

test('reads bits MSB first across byte boundaries, including 32-bit values', () => {
  const r = new BitReader(Uint8Array.from([0b1010_1100, 0xff, 0x00, 0x12, 0x34, 0x56, 0x78]));
  assert.equal(r.readBit(), 1);
  assert.equal(r.readBits(3), 0b010);
  assert.equal(r.readBits(8), 0b1100_1111);
  assert.equal(r.bitsLeft, 44);
  r.byteAlign();
  assert.equal(r.bitsLeft, 40);
  assert.equal(r.readBits(8), 0);
  assert.equal(r.readBits(32), 0x12345678);
  assert.throws(() => r.readBit(), CodecError);
});

test('readBits(32) stays unsigned above 2^31', () => {
  assert.equal(new BitReader(Uint8Array.from([0xff, 0xff, 0xff, 0xfe])).readBits(32), 0xfffffffe);
});

test('Exp-Golomb ue/se', () => {
  // ue: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3, 00111 -> 6 ; se: 010 -> +1, 011 -> -1
  // bits: 1 010 011 00100 00111 010 011 -> pad with 1s
  const bits = '1' + '010' + '011' + '00100' + '00111' + '010' + '011';
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '1');
  const bytes = Uint8Array.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const r = new BitReader(bytes);
  assert.deepEqual([r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readUE()], [0, 1, 2, 3, 6]);
  assert.equal(r.readSE(), 1);
  assert.equal(r.readSE(), -1);
});

test('overlong Exp-Golomb codes and reads past the end are CodecErrors', () => {
  assert.throws(() => new BitReader(new Uint8Array(8)).readUE(), /exp-golomb code too long/);
  assert.throws(() => new BitReader(Uint8Array.from([0x00, 0x01])).readUE(), CodecError);
  assert.throws(() => new BitReader(new Uint8Array(1), 0, 1).readBits(9), CodecError);
  assert.throws(() => new BitReader(new Uint8Array(1), 2, 1), CodecError);
});

test('respects start/end bounds', () => {
  const r = new BitReader(Uint8Array.from([0xaa, 0x55, 0xff]), 1, 2);
  assert.equal(r.readBits(8), 0x55);
  assert.throws(() => r.readBit(), CodecError);
});

test('unescapeRbsp removes emulation prevention bytes and returns a view when there are none', () => {
  const plain = Uint8Array.from([0x67, 0x42, 0x00, 0x1e, 0x03, 0x00]);
  const out = unescapeRbsp(plain);
  assert.equal(out.buffer, plain.buffer, 'no copy without 00 00 03');
  assert.deepEqual([...unescapeRbsp(plain, 1)], [0x42, 0x00, 0x1e, 0x03, 0x00]);
  const escaped = Uint8Array.from([0x67, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03]);
  assert.deepEqual([...unescapeRbsp(escaped)], [0x67, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
  // 00 00 03 03: only the first 03 is an emulation byte
  assert.deepEqual([...unescapeRbsp(Uint8Array.from([0, 0, 3, 3]))], [0, 0, 3]);
});
