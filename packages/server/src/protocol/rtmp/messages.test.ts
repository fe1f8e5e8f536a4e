import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Amf0Error, encodeAmf0 } from '../../kernel/amf0.js';
import {
  connectResult,
  decodeCommand,
  decodeData,
  publishStart,
  sampleAccess,
  unwrapDataMessage,
} from './commands.js';
import {
  CSID,
  MSG,
  RtmpProtocolError,
  parseUserControl,
  pingRequest,
  setBufferLength,
  setPeerBandwidthMessage,
  splitAggregate,
  streamBegin,
  type RtmpMessage,
} from './messages.js';

test('user control events build and parse', () => {
  assert.deepEqual(parseUserControl(streamBegin(1).payload), { event: 0, streamId: 1 });
  assert.deepEqual(parseUserControl(setBufferLength(1, 3000).payload), { event: 3, streamId: 1, bufferLength: 3000 });
  assert.deepEqual(parseUserControl(pingRequest(0xffffffff).payload), { event: 6, timestamp: 0xffffffff });
  assert.deepEqual(parseUserControl(Buffer.from([0, 31, 9])), { event: 31, data: Buffer.from([9]) });
  assert.throws(() => parseUserControl(Buffer.from([0, 3, 0, 0, 0, 1])), RtmpProtocolError);
  assert.throws(() => parseUserControl(Buffer.from([0])), RtmpProtocolError);
  const bw = setPeerBandwidthMessage(2500000);
  assert.deepEqual([bw.typeId, bw.csid, bw.streamId, bw.payload.length, bw.payload[4]], [6, 2, 0, 5, 2]);
});

test('aggregate splitting: rebased timestamps, bounds checked', () => {
  const tag = (type: number, ts: number, body: Buffer, backPointer = true) => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    return Buffer.concat([h, body, backPointer ? Buffer.alloc(4) : Buffer.alloc(0)]);
  };
  const agg: RtmpMessage = {
    typeId: MSG.AGGREGATE,
    streamId: 1,
    timestamp: 500,
    csid: 6,
    payload: Buffer.concat([tag(9, 0x01000000, Buffer.from([1, 2])), tag(8, 0x01000020, Buffer.from([3]), false)]),
  };
  const subs = splitAggregate(agg);
  assert.deepEqual(subs.map((s) => [s.typeId, s.timestamp, [...s.payload]]), [[9, 500, [1, 2]], [8, 532, [3]]]);
  assert.throws(() => splitAggregate({ ...agg, payload: agg.payload.subarray(0, 12) }), RtmpProtocolError);
  assert.throws(() => splitAggregate({ ...agg, payload: Buffer.alloc(5) }), RtmpProtocolError);
});

test('commands: decode, AMF3 envelope, errors', () => {
  const r = decodeCommand(connectResult(1, 3));
  assert.equal(r.name, '_result');
  assert.equal((r.args[0] as Record<string, unknown>).objectEncoding, 3);
  const amf3: RtmpMessage = { typeId: MSG.AMF3_COMMAND, streamId: 0, timestamp: 0, csid: 3, payload: Buffer.concat([Buffer.from([0]), encodeAmf0('connect', 1, { app: 'a' })]) };
  assert.deepEqual(decodeCommand(amf3), { name: 'connect', transactionId: 1, commandObject: { app: 'a' }, args: [] });
  const bad = { ...amf3, typeId: MSG.AMF0_COMMAND, payload: encodeAmf0(1, 2) };
  assert.throws(() => decodeCommand(bad), RtmpProtocolError);
  assert.throws(() => decodeCommand({ ...bad, payload: Buffer.from([2, 0, 9]) }), Amf0Error);
  const ps = decodeCommand(publishStart(1, 's'));
  assert.equal(ps.name, 'onStatus');
  assert.equal((ps.args[0] as Record<string, unknown>).code, 'NetStream.Publish.Start');
  assert.equal(publishStart(1).csid, CSID.OVER_STREAM);
  assert.deepEqual(decodeData(sampleAccess(1)), { name: '|RtmpSampleAccess', values: [true, true] });
});

test('data unwrap: @setDataFrame removed without copying, AMF3 data normalized', () => {
  const body = encodeAmf0('@setDataFrame', 'onMetaData', { a: 1 });
  const msg: RtmpMessage = { typeId: MSG.AMF0_DATA, streamId: 1, timestamp: 0, csid: 4, payload: body };
  const out = unwrapDataMessage(msg);
  assert.equal(out.payload.buffer, body.buffer);
  assert.deepEqual(decodeData(out), { name: 'onMetaData', values: [{ a: 1 }] });
  const plain = { ...msg, payload: encodeAmf0('onMetaData', {}) };
  assert.equal(unwrapDataMessage(plain), plain);
  const amf3 = { ...msg, typeId: MSG.AMF3_DATA, payload: Buffer.concat([Buffer.from([0]), body]) };
  const o3 = unwrapDataMessage(amf3);
  assert.equal(o3.typeId, MSG.AMF0_DATA);
  assert.equal(decodeData(o3).name, 'onMetaData');
});
