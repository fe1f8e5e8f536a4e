import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packetsOf, readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { Packet } from './packet.js';

const isViewOf = (part: Buffer, whole: Buffer) =>
  part.buffer === whole.buffer && part.byteOffset >= whole.byteOffset && part.byteOffset + part.length <= whole.byteOffset + whole.length;

test('MediaFrame of a video packet: NAL units are views of the body, pts from the composition time, made once', () => {
  // legacy AVC keyframe, cts 80 ms: two NAL units (IDR slice of 3 bytes, SEI of 2 bytes), 4-byte lengths
  const body = Buffer.from([0x17, 1, 0, 0, 80, 0, 0, 0, 3, 0x65, 0xaa, 0xbb, 0, 0, 0, 2, 0x06, 0x01]);
  const p = Packet.of('video', 1000, body);
  const f = p.frame!;
  assert.deepEqual([f.kind, f.codec, f.dts, f.pts, f.keyframe, f.error], ['video', 'h264', 1000, 1080, true, undefined]);
  assert.deepEqual(f.nalUnits.map((n) => [...n]), [[0x65, 0xaa, 0xbb], [0x06, 0x01]]);
  assert.ok(f.nalUnits.every((n) => isViewOf(n, body)), 'zero-copy');
  assert.ok(isViewOf(f.data, body));
  assert.equal(p.frame, f, 'parsed once: every output reads the same frame');
});

test('MediaFrame: NAL unit length size of the stream, corrupt lengths, packets without a frame', () => {
  const body = Buffer.from([0x27, 1, 0, 0, 0, 0, 2, 0x41, 0x9a, 0, 1, 0x06]);
  const p = Packet.of('video', 0, body);
  p.nalLengthSize = 2;
  assert.deepEqual(p.frame!.nalUnits.map((n) => [...n]), [[0x41, 0x9a], [0x06]]);
  const bad = Packet.of('video', 0, Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 9, 0x41]));
  assert.match(bad.frame!.error ?? '', /exceeds/);
  assert.equal(bad.frame!.nalUnits.length, 0);
  assert.equal(Packet.of('video', 0, Buffer.from([0x17, 0, 0, 0, 0, 1])).frame, undefined, 'a sequence header is no frame');
  assert.equal(Packet.of('video', 0, Buffer.from([0x17, 2, 0, 0, 0])).frame, undefined, 'nor an end of sequence');
  assert.equal(Packet.of('audio', 0, Buffer.from([0xaf, 0, 0x12, 0x10])).frame, undefined);
  assert.equal(Packet.of('script', 0, Buffer.from([2, 0, 1, 0x78])).frame, undefined);
  // AV1 (enhanced RTMP): the OBUs as they are, no NAL units
  const av1 = Packet.of('video', 40, Buffer.from([0x91, 0x61, 0x76, 0x30, 0x31, 0x12, 0x00]));
  assert.deepEqual([av1.frame!.codec, av1.frame!.nalUnits.length, [...av1.frame!.data]], ['av1', 0, [0x12, 0x00]]);
});

test('MediaFrame of audio: the raw frame, a view of the body (legacy AAC, enhanced Opus, MP3)', () => {
  const aac = Buffer.from([0xaf, 1, 0x21, 0x10, 0x04]);
  const f = Packet.of('audio', 23, aac).frame!;
  assert.deepEqual([f.kind, f.codec, f.dts, f.pts, f.keyframe, [...f.data]], ['audio', 'aac', 23, 23, true, [0x21, 0x10, 0x04]]);
  assert.ok(isViewOf(f.data, aac));
  const opus = Packet.of('audio', 20, Buffer.concat([Buffer.from([0x91]), Buffer.from('Opus'), Buffer.from([0xfc, 0xff])])).frame!;
  assert.deepEqual([opus.codec, [...opus.data]], ['opus', [0xfc, 0xff]]);
  assert.equal(Packet.of('audio', 0, Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64])).frame!.codec, 'mp3');
});

test('every frame of the FFmpeg fixture: NAL unit lengths add up to the payload', () => {
  const packets = packetsOf(readKernelFixture('h264-aac-160x120.flv'));
  const frames = packets.map((p) => p.frame).filter((f) => f !== undefined);
  const video = frames.filter((f) => f.kind === 'video');
  assert.equal(video.length, 25);
  for (const f of video) assert.equal(f.nalUnits.reduce((n, u) => n + 4 + u.length, 0), f.data.length);
  assert.equal(video.filter((f) => f.keyframe).length, 3);
  assert.ok(video.some((f) => f.pts > f.dts), 'B-frames');
  assert.ok(frames.filter((f) => f.kind === 'audio').length >= 43);
});
