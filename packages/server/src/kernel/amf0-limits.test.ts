import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AMF0_MAX_PROPERTIES, Amf0Error, decodeAmf0 } from './amf0.js';

/** An AMF0 object of `n` properties `kI: null`, written by hand. */
function objectOf(n: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`k${i}`);
    const head = Buffer.alloc(2);
    head.writeUInt16BE(key.length);
    parts.push(head, key, Buffer.from([0x05]));
  }
  parts.push(Buffer.from([0, 0, 9]));
  return Buffer.concat(parts);
}

test('AMF0: an object may have AMF0_MAX_PROPERTIES properties, not one more', { timeout: 30_000 }, () => {
  const ok = decodeAmf0(objectOf(AMF0_MAX_PROPERTIES)) as Record<string, unknown>;
  assert.equal(Object.keys(ok).length, AMF0_MAX_PROPERTIES);
  assert.throws(() => decodeAmf0(objectOf(AMF0_MAX_PROPERTIES + 1)), Amf0Error);
});
