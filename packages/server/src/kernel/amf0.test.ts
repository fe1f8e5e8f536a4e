import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AMF0,
  AMF0_MAX_DEPTH,
  Amf0Error,
  Amf0Reader,
  decodeAmf0,
  decodeAmf0All,
  ecmaArray,
  encodeAmf0,
  isEcmaArray,
  type Amf0Value,
} from './amf0.js';

const roundTrip = (v: Amf0Value) => decodeAmf0(encodeAmf0(v));

test('primitives round trip', () => {
  for (const v of [0, -1.5, 1e300, Number.MAX_SAFE_INTEGER, true, false, '', 'hello', 'héllo ✓', null, undefined]) {
    assert.deepEqual(roundTrip(v), v);
  }
  assert.ok(Number.isNaN(roundTrip(NaN)));
});

test('known encodings', () => {
  assert.deepEqual([...encodeAmf0(1)], [0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encodeAmf0('ab')], [2, 0, 2, 0x61, 0x62]);
  assert.deepEqual([...encodeAmf0({})], [3, 0, 0, 9]);
  assert.deepEqual([...encodeAmf0(null, undefined, true)], [5, 6, 1, 1]);
});

test('long string', () => {
  const s = 'x'.repeat(70000);
  const buf = encodeAmf0(s);
  assert.equal(buf[0], AMF0.LONG_STRING);
  assert.equal(buf.length, 5 + 70000);
  assert.equal(decodeAmf0(buf), s);
});

test('nested objects, strict arrays, dates', () => {
  const d = new Date(1700000000123);
  const v = { a: 1, b: { c: 'x', d: [1, 'two', null, { e: false }], f: d }, g: [] };
  const out = roundTrip(v) as Record<string, Amf0Value>;
  assert.deepEqual(out, v);
  assert.ok((out.b as Record<string, Amf0Value>).f instanceof Date);
});

test('ECMA array keeps its kind', () => {
  const meta = ecmaArray({ width: 320, height: 240, encoder: 'Lavf' });
  const buf = encodeAmf0('onMetaData', meta);
  assert.equal(buf[3 + 'onMetaData'.length], AMF0.ECMA_ARRAY);
  const [name, out] = decodeAmf0All(buf);
  assert.equal(name, 'onMetaData');
  assert.ok(isEcmaArray(out));
  assert.deepEqual({ ...(out as object) }, { width: 320, height: 240, encoder: 'Lavf' });
  assert.ok(!isEcmaArray(roundTrip({ a: 1 })));
});

test('ECMA array with a wrong count and a missing end marker is tolerated', () => {
  // marker, count 99, key "a" number 1, no end marker
  const buf = Buffer.concat([Buffer.from([8, 0, 0, 0, 99, 0, 1, 0x61]), encodeAmf0(1)]);
  assert.deepEqual({ ...(decodeAmf0(buf) as object) }, { a: 1 });
});

test('typed object, unsupported and xml markers', () => {
  const typed = Buffer.concat([Buffer.from([0x10, 0, 1, 0x43]), encodeAmf0({ a: 1 }).subarray(1)]);
  assert.deepEqual(decodeAmf0(typed), { a: 1 });
  assert.equal(decodeAmf0(Buffer.from([0x0d])), undefined);
  assert.equal(decodeAmf0(Buffer.from([0x0f, 0, 0, 0, 2, 0x3c, 0x3e])), '<>');
});

test('__proto__ key does not change the prototype', () => {
  const buf = Buffer.concat([Buffer.from([3, 0, 9]), Buffer.from('__proto__'), encodeAmf0({ polluted: true }), Buffer.from([0, 0, 9])]);
  const out = decodeAmf0(buf) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(out), ['__proto__']);
});

test('AMF3 primitives behind the avmplus marker', () => {
  assert.equal(decodeAmf0(Buffer.from([0x11, 0x01])), null);
  assert.equal(decodeAmf0(Buffer.from([0x11, 0x03])), true);
  assert.equal(decodeAmf0(Buffer.from([0x11, 0x04, 0x81, 0x00])), 128);
  assert.equal(decodeAmf0(Buffer.from([0x11, 0x04, 0xff, 0xff, 0xff, 0xff])), -1);
  assert.equal(decodeAmf0(Buffer.from([0x11, 0x06, 0x07, 0x61, 0x62, 0x63])), 'abc');
  assert.throws(() => decodeAmf0(Buffer.from([0x11, 0x0a, 0x0b])), Amf0Error); // AMF3 object
  assert.throws(() => decodeAmf0(Buffer.from([0x11, 0x06, 0x02])), Amf0Error); // string ref 1 missing
});

test('bounded decoding errors', () => {
  const bad: Buffer[] = [
    Buffer.from([]), // empty
    Buffer.from([0x00, 1, 2]), // truncated number
    Buffer.from([0x02, 0, 10, 0x61]), // string longer than the buffer
    Buffer.from([0x0c, 0xff, 0xff, 0xff, 0xff, 0x61]), // long string longer than the buffer
    Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x05]), // strict array count beyond data
    Buffer.from([0x03, 0, 1, 0x61]), // object value missing
    Buffer.from([0x09]), // stray object end
    Buffer.from([0x07, 0, 1]), // reference: unsupported
    Buffer.from([0x04]), // movieclip
    Buffer.from([0x0b, 0, 0, 0]), // truncated date
    Buffer.from([0x99]), // unknown marker
  ];
  for (const b of bad) assert.throws(() => decodeAmf0(b), Amf0Error, b.toString('hex'));
});

test('nesting deeper than the limit is rejected, at the limit accepted', () => {
  const nested = (depth: number) => {
    // `depth` strict arrays of one element each, innermost null
    const head = Buffer.alloc(depth * 5);
    for (let i = 0; i < depth; i++) {
      head[i * 5] = AMF0.STRICT_ARRAY;
      head.writeUInt32BE(1, i * 5 + 1);
    }
    return Buffer.concat([head, Buffer.from([AMF0.NULL])]);
  };
  assert.doesNotThrow(() => decodeAmf0(nested(AMF0_MAX_DEPTH)));
  assert.throws(() => decodeAmf0(nested(AMF0_MAX_DEPTH + 1)), Amf0Error);
  assert.throws(() => decodeAmf0(nested(100000)), Amf0Error);
  let deep: Amf0Value = null;
  for (let i = 0; i <= AMF0_MAX_DEPTH + 1; i++) deep = { x: deep };
  assert.throws(() => encodeAmf0(deep), Amf0Error);
});

test('reader respects its end bound', () => {
  const buf = encodeAmf0('abc', 1);
  const r = new Amf0Reader(buf, 0, 6);
  assert.equal(r.readValue(), 'abc');
  assert.equal(r.remaining, 0);
  assert.throws(() => r.readValue(), Amf0Error);
  assert.throws(() => new Amf0Reader(buf, 0, buf.length + 1), Amf0Error);
});
