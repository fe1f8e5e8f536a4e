import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { CodecError } from './bit-reader.js';
import { Packet } from './packet.js';
import {
  FlvDemuxer, encodeFlvHeader, parseFlvHeader, encodeFlvTag, flvTagOf, packetFromFlvTag, FlvTagType, type FlvTag,
} from './flv.js';

const FIXTURE = readKernelFixture('h264-aac-160x120.flv');

test('FLV header encode/parse', () => {
  const h = encodeFlvHeader(true, false);
  assert.equal(h.length, 13);
  assert.deepEqual(parseFlvHeader(h), { version: 1, hasAudio: true, hasVideo: false, headerSize: 9 });
  assert.deepEqual(parseFlvHeader(encodeFlvHeader()), { version: 1, hasAudio: true, hasVideo: true, headerSize: 9 });
  assert.throws(() => parseFlvHeader(Buffer.from('FLX\x01\x05\0\0\0\x09')), /signature/);
  assert.throws(() => parseFlvHeader(Buffer.from('FLV\x01\x05\0\0\0\x03')), /DataOffset/);
});

test('encodeFlvTag: header, extended timestamp, previous tag size, one buffer', () => {
  const t = encodeFlvTag(9, 0x12345678, Buffer.from([1, 2, 3]));
  assert.deepEqual([...t], [9, 0, 0, 3, 0x34, 0x56, 0x78, 0x12, 0, 0, 0, 1, 2, 3, 0, 0, 0, 14]);
  // wraps at 2^32 like RTMP timestamps
  assert.deepEqual([...encodeFlvTag(8, 2 ** 32 + 5, Buffer.alloc(0)).subarray(4, 8)], [0, 0, 5, 0]);
});

test('flvTagOf caches the tag on the packet', () => {
  const p = new Packet('audio', 1000, Buffer.from([0xaf, 1, 7]));
  const t = flvTagOf(p);
  assert.equal(flvTagOf(p), t);
  assert.deepEqual(t, encodeFlvTag(8, 1000, p.body));
});

test('demuxes the FFmpeg fixture and re-encodes it byte for byte', () => {
  const d = new FlvDemuxer();
  const tags = d.push(FIXTURE);
  d.end();
  assert.deepEqual(d.header, { version: 1, hasAudio: true, hasVideo: true, headerSize: 9 });
  assert.equal(tags[0].type, FlvTagType.Script);
  const video = tags.filter((t) => t.type === 9);
  const audio = tags.filter((t) => t.type === 8);
  assert.equal(video.length, 1 + 25 + 1); // sequence header + 25 frames + end of sequence
  assert.equal(video[26].body[1], 2, 'FFmpeg ends with an AVC end-of-sequence tag');
  assert.ok(audio.length >= 43);
  const again = Buffer.concat([encodeFlvHeader(true, true), ...tags.map((t) => encodeFlvTag(t.type, t.timestamp, t.body))]);
  assert.deepEqual(again, FIXTURE);
});

test('packetFromFlvTag: flags, composition time, metadata', () => {
  const packets = new FlvDemuxer().push(FIXTURE).map((t) => packetFromFlvTag(t.type, t.timestamp, t.body));
  assert.equal(packets[0].kind, 'script');
  assert.equal(packets[0].sequenceHeader, true, 'onMetaData');
  const video = packets.filter((p) => p.kind === 'video');
  assert.equal(video[0].sequenceHeader, true);
  assert.equal(video[1].keyframe, true);
  assert.equal(video.filter((p) => p.keyframe).length, 3); // IDRs every 12 frames (the header and EOS are no pictures)
  assert.ok(video.some((p) => p.cts > 0), 'B-frames give composition offsets');
  const audio = packets.filter((p) => p.kind === 'audio');
  assert.equal(audio[0].sequenceHeader, true);
  assert.equal(audio.filter((p) => p.sequenceHeader).length, 1);
  assert.throws(() => packetFromFlvTag(7, 0, Buffer.alloc(1)), CodecError);
});

function feed(d: FlvDemuxer, data: Buffer, sizes: () => number): FlvTag[] {
  const out: FlvTag[] = [];
  for (let off = 0; off < data.length;) {
    const n = Math.min(data.length - off, sizes());
    out.push(...d.push(data.subarray(off, off + n)));
    off += n;
  }
  return out;
}

test('any chunking gives the same tags', () => {
  const whole = new FlvDemuxer().push(FIXTURE);
  const bytewise = feed(new FlvDemuxer(), FIXTURE, () => 1);
  assert.deepEqual(bytewise, whole);
  let s = 3;
  const random = feed(new FlvDemuxer(), FIXTURE, () => 1 + ((s = (s * 48271) % 2147483647) % 3000));
  assert.deepEqual(random, whole);
});

test('headerless streams, limits and clear errors', () => {
  const tagsOnly = Buffer.concat([encodeFlvTag(8, 1, Buffer.from([0xaf, 1])), encodeFlvTag(9, 2, Buffer.from([0x27, 1, 0, 0, 0]))]);
  const d = new FlvDemuxer({ header: false });
  assert.deepEqual(d.push(tagsOnly).map((t) => [t.type, t.timestamp]), [[8, 1], [9, 2]]);
  d.end();

  assert.throws(() => new FlvDemuxer().push(Buffer.from('GIF89a..........')), /signature/);
  const big = new FlvDemuxer({ header: false, maxTagSize: 100 });
  assert.throws(() => big.push(encodeFlvTag(9, 0, Buffer.alloc(101))), /exceeds the 100 byte limit/);
  assert.throws(() => big.push(Buffer.alloc(1)), /failed earlier/);

  const badType = encodeFlvTag(9, 0, Buffer.alloc(2));
  badType[0] = 10;
  assert.throws(() => new FlvDemuxer({ header: false }).push(badType), /unknown tag type 10 at byte 0/);

  const badPrev = encodeFlvTag(9, 0, Buffer.alloc(2));
  badPrev.writeUInt32BE(99, badPrev.length - 4);
  assert.throws(() => new FlvDemuxer({ header: false }).push(badPrev), /PreviousTagSize 99 != 13/);
  assert.equal(new FlvDemuxer({ header: false, checkPreviousTagSize: false }).push(badPrev).length, 1);

  const truncated = new FlvDemuxer();
  truncated.push(FIXTURE.subarray(0, FIXTURE.length - 10));
  assert.ok(truncated.pendingBytes > 0);
  assert.throws(() => truncated.end(), /ended inside a tag/);
  assert.throws(() => new FlvDemuxer().end(), /before the FLV header/);
});

test('strict: PreviousTagSize0 and StreamID must be 0', () => {
  const tag = encodeFlvTag(9, 0, Buffer.from([0x17, 1, 0, 0, 0]));
  const good = Buffer.concat([encodeFlvHeader(), tag]);
  assert.equal(new FlvDemuxer({ strict: true }).push(good).length, 1);

  const badPrev0 = Buffer.from(good);
  badPrev0.writeUInt32BE(7, 9);
  assert.throws(() => new FlvDemuxer({ strict: true }).push(badPrev0), /PreviousTagSize0 is 7/);
  assert.equal(new FlvDemuxer().push(badPrev0).length, 1, 'tolerated unless strict');

  const badStream = Buffer.from(good);
  badStream[13 + 10] = 1;
  assert.throws(() => new FlvDemuxer({ strict: true }).push(badStream), /StreamID not 0 at byte 13/);
  assert.equal(new FlvDemuxer().push(badStream).length, 1, 'tolerated unless strict');
});
