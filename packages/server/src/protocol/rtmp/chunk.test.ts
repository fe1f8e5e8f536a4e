import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkDecoder, MAX_CHUNK_SIZE } from './chunk-decoder.js';
import { encodeMessage, unwrapTimestamp, wireTimestamp } from './chunk-encoder.js';
import { MSG, RtmpProtocolError, abortMessage, setChunkSizeMessage, type RtmpMessage } from './messages.js';

function payload(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function drain(d: ChunkDecoder): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  for (let m = d.next(); m; m = d.next()) out.push(m);
  return out;
}

/** Feeds `bytes` in pieces of `step` bytes (0: all at once), collecting messages. */
function decode(bytes: Buffer, chunkSize = 128, step = 0, d = new ChunkDecoder()): RtmpMessage[] {
  if (chunkSize !== 128) d.setChunkSize(chunkSize);
  const out: RtmpMessage[] = [];
  if (step === 0) {
    d.push(bytes);
    out.push(...drain(d));
  } else {
    for (let i = 0; i < bytes.length; i += step) {
      d.push(Buffer.from(bytes.subarray(i, i + step)));
      out.push(...drain(d));
    }
  }
  return out;
}

const strip = (m: RtmpMessage) => ({ ...m, payload: m.payload.toString('hex') });

test('encode/decode round trip across chunk sizes, csids and feed patterns', () => {
  const sizes = [128, 129, 1000, 4096, 60000, 65536];
  const csids = [2, 3, 63, 64, 319, 320, 65599];
  for (const chunkSize of sizes) {
    const msgs: RtmpMessage[] = [];
    let i = 0;
    for (const csid of csids) {
      for (const len of [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize + 7]) {
        msgs.push({ typeId: 9, streamId: 1, timestamp: 1000 + i * 40, csid, payload: payload(len, i) });
        i++;
      }
    }
    const wire = Buffer.concat(msgs.map((m) => encodeMessage(m, chunkSize)));
    for (const step of [0, 1, 7, 1500]) {
      if (step === 1 && chunkSize > 4096) continue; // byte-by-byte is slow for big payloads
      const got = decode(wire, chunkSize, step);
      assert.deepEqual(got.map(strip), msgs.map(strip), `chunkSize=${chunkSize} step=${step}`);
    }
  }
});

test('encoder output layout: fmt 0 then fmt 3 headers, 1/2/3-byte basic headers', () => {
  const m = { typeId: 8, streamId: 1, timestamp: 0x123456, csid: 3, payload: payload(300) };
  const b = encodeMessage(m, 128);
  assert.equal(b.length, 12 + 300 + 2);
  assert.deepEqual([...b.subarray(0, 12)], [0x03, 0x12, 0x34, 0x56, 0, 1, 0x2c, 8, 1, 0, 0, 0]);
  assert.equal(b[12 + 128], 0xc3);
  assert.equal(b[12 + 128 + 1 + 128], 0xc3);
  assert.deepEqual([...encodeMessage({ ...m, csid: 100, payload: Buffer.alloc(0) }, 128).subarray(0, 2)], [0x00, 36]);
  assert.deepEqual([...encodeMessage({ ...m, csid: 1000, payload: Buffer.alloc(0) }, 128).subarray(0, 3)], [0x01, 0xa8, 0x03]);
});

test('extended timestamps, repeated after fmt 3 headers', () => {
  const m = { typeId: 9, streamId: 1, timestamp: 0xffffff + 5, csid: 6, payload: payload(300) };
  const b = encodeMessage(m, 128);
  assert.equal(b.length, 1 + 11 + 4 + 300 + 2 * (1 + 4));
  assert.equal(b.readUIntBE(1, 3), 0xffffff);
  assert.equal(b.readUInt32BE(12), 0xffffff + 5);
  assert.equal(b.readUInt32BE(16 + 128 + 1), 0xffffff + 5);
  const exact = { ...m, timestamp: 0xffffff };
  for (const msg of [m, exact, { ...m, timestamp: 0xffffffff }]) {
    assert.deepEqual(decode(encodeMessage(msg, 128)).map(strip), [strip(msg)]);
  }
});

test('continuation chunks without the repeated extended timestamp are tolerated', () => {
  const ts = 0x01000000;
  const body = payload(200, 9);
  const wire = Buffer.concat([
    Buffer.from([0x06, 0xff, 0xff, 0xff, 0, 0, 200, 9, 1, 0, 0, 0]),
    Buffer.from([ts >>> 24, (ts >> 16) & 0xff, (ts >> 8) & 0xff, ts & 0xff]),
    body.subarray(0, 128),
    Buffer.from([0xc6]), // fmt 3, no extended timestamp repeated
    body.subarray(128),
  ]);
  const [msg] = decode(wire);
  assert.equal(msg.timestamp, ts);
  assert.ok(msg.payload.equals(body));
});

/** Builds chunks by hand: fmt, csid, header fields, body. */
function chunk(fmt: number, csid: number, fields: number[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(fmt << 6) | csid, ...fields]), body]);
}
const u24 = (v: number) => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

test('fmt 1/2/3 headers: deltas, inherited length/type/stream, interleaving', () => {
  const a = payload(10, 1);
  const b = payload(10, 2);
  const c = payload(20, 3);
  const big = payload(200, 4); // two chunks at 128
  const wire = Buffer.concat([
    // csid 4: fmt 0 at ts 1000, audio, stream 1
    chunk(0, 4, [...u24(1000), ...u24(10), 8, 1, 0, 0, 0], a),
    // csid 4: fmt 2 delta 20 (same length/type)
    chunk(2, 4, [...u24(20)], b),
    // csid 4: fmt 3 new message: repeats delta 20 -> 1040
    chunk(3, 4, [], a),
    // csid 5: fmt 0 video, 200 bytes, first chunk only
    chunk(0, 5, [...u24(500), ...u24(200), 9, 1, 0, 0, 0], big.subarray(0, 128)),
    // csid 4 interleaved: fmt 1 delta 33, new length 20, type 8
    chunk(1, 4, [...u24(33), ...u24(20), 8], c),
    // csid 5 continuation
    chunk(3, 5, [], big.subarray(128)),
    // csid 5: fmt 3 new message, delta = fmt 0's timestamp field (FFmpeg/SRS semantics)
    chunk(3, 5, [], big.subarray(0, 128)),
    chunk(3, 5, [], big.subarray(128)),
  ]);
  for (const step of [0, 1, 5]) {
    const got = decode(wire, 128, step).map((m) => [m.csid, m.typeId, m.streamId, m.timestamp, m.payload.length]);
    assert.deepEqual(got, [
      [4, 8, 1, 1000, 10],
      [4, 8, 1, 1020, 10],
      [4, 8, 1, 1040, 10],
      [4, 8, 1, 1073, 20],
      [5, 9, 1, 500, 200],
      [5, 9, 1, 1000, 200],
    ]);
  }
});

test('fmt 1 on a fresh chunk stream is accepted (librtmp pings), fmt 2/3 are not', () => {
  const got = decode(chunk(1, 2, [...u24(0), ...u24(6), 4], Buffer.from([0, 6, 0, 0, 0, 1])));
  assert.equal(got[0].typeId, 4);
  assert.throws(() => decode(chunk(2, 9, [...u24(0)], Buffer.alloc(0))), RtmpProtocolError);
  assert.throws(() => decode(chunk(3, 9, [], Buffer.alloc(0))), RtmpProtocolError);
});

test('fmt 0 inside a partially received message is an error', () => {
  const wire = Buffer.concat([
    chunk(0, 4, [...u24(0), ...u24(200), 8, 1, 0, 0, 0], payload(128)),
    chunk(0, 4, [...u24(0), ...u24(10), 8, 1, 0, 0, 0], payload(10)),
  ]);
  assert.throws(() => decode(wire), /partially received/);
});

test('timestamps wrap at 32 bits', () => {
  const wire = Buffer.concat([
    chunk(0, 4, [0xff, 0xff, 0xff, ...u24(1), 8, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0], Buffer.from([1])),
    chunk(2, 4, [...u24(0x20)], Buffer.from([2])),
  ]);
  assert.deepEqual(decode(wire).map((m) => m.timestamp), [0xfffffff0, 0x10]);
  assert.equal(wireTimestamp(2 ** 32 + 5), 5);
  assert.equal(wireTimestamp(-1), 0xffffffff);
  assert.equal(unwrapTimestamp(0xfffffff0, 0x10), 2 ** 32 + 0x10);
  assert.equal(unwrapTimestamp(2 ** 32 + 0x10, 0xfffffff0), 0xfffffff0);
  assert.equal(unwrapTimestamp(1000, 1040), 1040);
});

test('set chunk size applies mid-stream, in the same input buffer', () => {
  const before = { typeId: 9, streamId: 1, timestamp: 1, csid: 6, payload: payload(300, 1) };
  const after = { typeId: 9, streamId: 1, timestamp: 2, csid: 6, payload: payload(9000, 2) };
  const scs = setChunkSizeMessage(4096);
  const wire = Buffer.concat([encodeMessage(before, 128), encodeMessage(scs, 128), encodeMessage(after, 4096)]);
  for (const step of [0, 3, 1000]) {
    const d = new ChunkDecoder();
    const got = decode(wire, 128, step, d);
    assert.deepEqual(got.map((m) => m.typeId), [9, MSG.SET_CHUNK_SIZE, 9]);
    assert.ok(got[2].payload.equals(after.payload));
    assert.equal(d.chunkSize, 4096);
  }
});

test('abort drops the partial message of a chunk stream', () => {
  const partial = chunk(0, 6, [...u24(0), ...u24(300), 9, 1, 0, 0, 0], payload(128));
  const next = { typeId: 9, streamId: 1, timestamp: 5, csid: 6, payload: payload(50) };
  const wire = Buffer.concat([partial, encodeMessage(abortMessage(6), 128), encodeMessage(next, 128)]);
  const got = decode(wire);
  assert.deepEqual(got.map((m) => m.typeId), [MSG.ABORT, 9]);
  assert.ok(got[1].payload.equals(next.payload));
});

test('limits: chunk size 0 and 2^31, oversized messages, buffered bytes', () => {
  for (const size of [0, 2 ** 31, MAX_CHUNK_SIZE + 1]) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(size >>> 0);
    const wire = encodeMessage({ typeId: 1, streamId: 0, timestamp: 0, csid: 2, payload: b }, 128);
    assert.throws(() => decode(wire), RtmpProtocolError, `chunk size ${size}`);
  }
  assert.doesNotThrow(() => new ChunkDecoder().setChunkSize(MAX_CHUNK_SIZE));
  // a 50 MB message length (the 3-byte field allows up to 16 MiB: use 0xffffff), and one above a custom max
  const huge = chunk(0, 4, [...u24(0), ...u24(0xffffff), 9, 1, 0, 0, 0], Buffer.alloc(0));
  assert.throws(() => decode(huge), /exceeds the maximum/);
  const d = new ChunkDecoder({ maxMessageSize: 1000 });
  d.push(chunk(0, 4, [...u24(0), ...u24(1001), 9, 1, 0, 0, 0], Buffer.alloc(0)));
  assert.throws(() => d.next(), RtmpProtocolError);
  const q = new ChunkDecoder({ maxMessageSize: 1000, maxBufferedBytes: 4000 });
  q.push(Buffer.alloc(3000));
  assert.throws(() => q.push(Buffer.alloc(1001)), /buffered/);
});

test('zero copy: a single-chunk message is a view of the input', () => {
  const m = { typeId: 8, streamId: 1, timestamp: 7, csid: 7, payload: payload(100) };
  const wire = encodeMessage(m, 128);
  const d = new ChunkDecoder();
  d.push(wire);
  const got = d.next()!;
  assert.equal(got.payload.buffer, wire.buffer);
  assert.equal(d.queuedBytes, 0);
});

test('limits by type: commands and data are refused at their header, media may be larger', { timeout: 30_000 }, () => {
  const d = () => new ChunkDecoder({ maxMessageSize: 8 * 1024 * 1024, maxCommandSize: 64 * 1024, maxDataSize: 1024 * 1024 });
  const header = (typeId: number, length: number) => chunk(0, 3, [...u24(0), ...u24(length), typeId, 0, 0, 0, 0], Buffer.alloc(0));
  // Only the 12-byte header is pushed: the refusal comes before any body byte is buffered.
  for (const typeId of [MSG.AMF0_COMMAND, MSG.AMF3_COMMAND, MSG.USER_CONTROL, MSG.AMF0_SHARED_OBJECT, 7]) {
    const x = d();
    x.push(header(typeId, 64 * 1024 + 1));
    assert.throws(() => x.next(), /message type \d+ of 65537 bytes exceeds the maximum 65536/, `type ${typeId}`);
  }
  for (const typeId of [MSG.AMF0_DATA, MSG.AMF3_DATA]) {
    const x = d();
    x.push(header(typeId, 1024 * 1024 + 1));
    assert.throws(() => x.next(), /exceeds the maximum 1048576/);
    const ok = d();
    ok.push(header(typeId, 1024 * 1024));
    assert.equal(ok.next(), undefined, 'a 1 MiB data message is accepted (waits for its body)');
  }
  for (const typeId of [MSG.AUDIO, MSG.VIDEO, MSG.AGGREGATE]) {
    const x = d();
    x.push(header(typeId, 4 * 1024 * 1024));
    assert.equal(x.next(), undefined);
  }
  // A command of exactly the bound goes through.
  const wire = encodeMessage({ typeId: MSG.AMF0_COMMAND, streamId: 0, timestamp: 0, csid: 3, payload: payload(64 * 1024) }, 128);
  assert.equal(decode(wire, 128, 0, d()).length, 1);
  // Without the options the bound is maxMessageSize for every type (clients).
  assert.equal(new ChunkDecoder().maxSizeOf(MSG.AMF0_COMMAND), 8 * 1024 * 1024);
});

test('limits: many chunk streams each with a partly sent large message are bounded together', { timeout: 30_000 }, () => {
  const d = new ChunkDecoder({ maxMessageSize: 8 * 1024 * 1024 }); // maxBufferedBytes 32 MiB
  d.setChunkSize(65536);
  let err: unknown;
  let opened = 0;
  try {
    for (let csid = 3; csid < 60; csid++) {
      // an 8 MiB video message on its own chunk stream: header and first chunk only
      d.push(chunk(0, csid, [...u24(0), ...u24(8 * 1024 * 1024), MSG.VIDEO, 1, 0, 0, 0], Buffer.alloc(65536)));
      assert.equal(d.next(), undefined);
      opened++;
    }
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RtmpProtocolError, 'the sum of partial messages is capped');
  assert.match(String(err), /buffered bytes/);
  assert.ok(opened <= 4, `${opened} partial 8 MiB messages were accepted`);
});
