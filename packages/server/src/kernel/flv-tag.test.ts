import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { classifyAudio, classifyVideo, isOnMetaData } from './flv-tag.js';
import { FlvDemuxer } from './flv.js';
import { Packet } from './packet.js';

const ex = (b0: number, fourcc: string, ...rest: number[]) => Buffer.concat([Buffer.from([b0]), Buffer.from(fourcc, 'latin1'), Buffer.from(rest)]);

test('video, legacy AVC: packet types, signed composition time, payload view', () => {
  const body = Buffer.from([0x17, 0x01, 0xff, 0xff, 0xd8, 0, 0, 0, 1, 0x65]);
  const t = classifyVideo(body);
  assert.equal(t.frameType, 1);
  assert.equal(t.keyframe, true);
  assert.equal(t.codec, 'h264');
  assert.equal(t.codecId, 7);
  assert.equal(t.packetType, 'coded-frames');
  assert.equal(t.cts, -40);
  assert.deepEqual([...t.data], [0, 0, 0, 1, 0x65]);
  assert.equal(t.data.buffer, body.buffer, 'the payload is a view, not a copy');
  const seq = classifyVideo(Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x64]));
  assert.equal(seq.sequenceStart, true);
  assert.equal(seq.keyframe, false, 'a sequence header is not a picture');
  const eos = classifyVideo(Buffer.from([0x17, 0x02, 0, 0, 0]));
  assert.equal(eos.packetType, 'sequence-end');
  assert.equal(eos.keyframe, false);
  const inter = classifyVideo(Buffer.from([0x27, 0x01, 0x00, 0x00, 0x50]));
  assert.equal(inter.keyframe, false);
  assert.equal(inter.cts, 80);
  assert.equal(inter.data.length, 0);
  assert.equal(classifyVideo(Buffer.from([0x1c, 1, 0, 0, 0])).codec, 'h265');
});

test('video, enhanced RTMP: FourCCs, packet types, composition time only for avc1/hvc1 CodedFrames', () => {
  const seq = classifyVideo(ex(0x90, 'hvc1', 1, 2));
  assert.deepEqual([seq.enhanced, seq.fourcc, seq.codec, seq.codecId, seq.packetType, seq.sequenceStart], [true, 'hvc1', 'h265', 12, 'sequence-start', true]);
  assert.deepEqual([...seq.data], [1, 2]);
  const coded = classifyVideo(ex(0xa1, 'hvc1', 0, 0, 40, 9));
  assert.deepEqual([coded.frameType, coded.packetType, coded.cts, coded.keyframe], [2, 'coded-frames', 40, false]);
  assert.deepEqual([...coded.data], [9]);
  const x = classifyVideo(ex(0x93, 'hvc1', 7));
  assert.deepEqual([x.packetType, x.cts, x.keyframe], ['coded-frames', 0, true]);
  assert.deepEqual([...x.data], [7]);
  assert.equal(classifyVideo(ex(0x92, 'hvc1')).packetType, 'sequence-end');
  assert.equal(classifyVideo(ex(0x94, 'hvc1')).packetType, 'metadata');
  assert.equal(classifyVideo(ex(0x95, 'av01')).sequenceStart, false, 'MPEG2TSSequenceStart is no decoder configuration');
  const av1 = classifyVideo(ex(0x91, 'av01', 0x12, 0));
  assert.deepEqual([av1.codec, av1.codecId, av1.cts, av1.keyframe], ['av1', 13, 0, true]);
  assert.deepEqual([...av1.data], [0x12, 0], 'AV1 CodedFrames carry no composition time');
  assert.equal(classifyVideo(ex(0x90, 'avc1')).codec, 'h264');
  assert.equal(classifyVideo(ex(0x90, 'vp09')).codec, 'vp9');
  const unknown = classifyVideo(ex(0x91, 'xyz1', 1));
  assert.deepEqual([unknown.codec, unknown.fourcc, unknown.error], ['other', 'xyz1', undefined]);
  // a Command frame has no FourCC; multitrack is refused by name
  assert.deepEqual([classifyVideo(Buffer.from([0xd1, 0])).packetType, classifyVideo(Buffer.from([0xd1, 0])).codec], ['command', 'other']);
  assert.equal(classifyVideo(ex(0x96, 'hvc1')).packetType, 'multitrack');
});

test('video, enhanced RTMP v2 ModEx blocks are skipped', () => {
  // packetType 7 (ModEx): size-1 = 2 (3 bytes of data), then [modExType 0 | packetType 1], FourCC, cts
  const body = Buffer.concat([Buffer.from([0x97, 2, 0xaa, 0xbb, 0xcc, 0x01]), Buffer.from('avc1'), Buffer.from([0, 0, 80, 0x65])]);
  const t = classifyVideo(body);
  assert.deepEqual([t.codec, t.packetType, t.keyframe, t.cts, t.error], ['h264', 'coded-frames', true, 80, undefined]);
  assert.deepEqual([...t.data], [0x65]);
  assert.match(classifyVideo(Buffer.from([0x97, 5, 1])).error ?? '', /ModEx/);
});

test('video: malformed headers give an error, never a throw', () => {
  for (const b of [[], [0x17, 0x01, 0], [0x90, 0x68], [0x91, 0x68, 0x76, 0x63, 0x31, 0], [0x97]]) {
    const t = classifyVideo(Buffer.from(b));
    assert.ok(t.error, `[${b}] has an error`);
    assert.deepEqual([t.codec, t.keyframe, t.sequenceStart, t.data.length], ['other', false, false, 0]);
  }
  // legacy info/command frame and other codecs
  assert.equal(classifyVideo(Buffer.from([0x57, 0x00])).packetType, 'command');
  const h263 = classifyVideo(Buffer.from([0x22, 1, 2, 3]));
  assert.deepEqual([h263.codec, h263.codecId, h263.packetType, h263.keyframe], ['h263', 2, 'coded-frames', false]);
});

test('audio, legacy: AAC sequence header and raw frame, MP3, header rate and channels', () => {
  const seq = classifyAudio(Buffer.from([0xaf, 0x00, 0x12, 0x10]));
  assert.deepEqual([seq.soundFormat, seq.codec, seq.sampleRate, seq.sampleBits, seq.channels], [10, 'aac', 44100, 16, 2]);
  assert.deepEqual([seq.packetType, seq.sequenceStart], ['sequence-start', true]);
  assert.deepEqual([...seq.data], [0x12, 0x10]);
  assert.equal(classifyAudio(Buffer.from([0xae, 0x01, 9])).channels, 1);
  assert.equal(classifyAudio(Buffer.from([0xaf, 0x01, 9])).packetType, 'coded-frames');
  const mp3 = classifyAudio(Buffer.from([0x2e, 0xff, 0xfb]));
  assert.deepEqual([mp3.codec, mp3.packetType, mp3.sequenceStart, mp3.sampleRate], ['mp3', 'coded-frames', false, 44100]);
  assert.deepEqual([...mp3.data], [0xff, 0xfb]);
  assert.equal(classifyAudio(Buffer.from([0xd0, 1])).codec, 'opus');
  assert.equal(classifyAudio(Buffer.from([0x72, 1])).codec, 'g711a');
  assert.ok(classifyAudio(Buffer.from([0xaf])).error);
  assert.ok(classifyAudio(Buffer.alloc(0)).error);
});

test('audio, enhanced RTMP: a SequenceStart is a sequence start whatever the FourCC', () => {
  const opus = classifyAudio(ex(0x90, 'Opus', ...Buffer.from('OpusHead')));
  assert.deepEqual([opus.enhanced, opus.codec, opus.fourcc, opus.packetType, opus.sequenceStart], [true, 'opus', 'Opus', 'sequence-start', true]);
  assert.equal(opus.data.toString('latin1'), 'OpusHead');
  const aac = classifyAudio(ex(0x90, 'mp4a', 0x12, 0x10));
  assert.deepEqual([aac.codec, aac.sequenceStart, [...aac.data]], ['aac', true, [0x12, 0x10]]);
  const frame = classifyAudio(ex(0x91, 'Opus', 0xfc));
  assert.deepEqual([frame.packetType, frame.sequenceStart, [...frame.data]], ['coded-frames', false, [0xfc]]);
  assert.equal(classifyAudio(ex(0x91, '.mp3', 0xff)).codec, 'mp3');
  assert.equal(classifyAudio(ex(0x91, 'fLaC', 0)).codec, 'flac');
  assert.equal(classifyAudio(ex(0x94, 'Opus', 0)).packetType, 'multichannel-config');
  assert.equal(classifyAudio(ex(0x95, 'Opus')).packetType, 'multitrack');
  const mod = classifyAudio(Buffer.concat([Buffer.from([0x97, 0, 0xee, 0x00]), Buffer.from('Opus'), Buffer.from([1, 2])]));
  assert.deepEqual([mod.codec, mod.sequenceStart, [...mod.data]], ['opus', true, [1, 2]]);
  assert.ok(classifyAudio(Buffer.from([0x90, 0x4f])).error);
});

test('Packet.of takes its flags from the classifier: the FFmpeg fixture', () => {
  const tags = new FlvDemuxer().push(readKernelFixture('h264-aac-160x120.flv'));
  const packets = tags.map((t) => Packet.of(t.type === 8 ? 'audio' : t.type === 9 ? 'video' : 'script', t.timestamp, t.body));
  const video = packets.filter((p) => p.kind === 'video');
  assert.equal(video.filter((p) => p.sequenceHeader).length, 1);
  assert.equal(video.filter((p) => p.keyframe).length, 3, 'IDRs every 12 frames; the header and end of sequence are no pictures');
  assert.ok(video.every((p) => p.cts === p.video!.cts && p.keyframe === p.video!.keyframe));
  assert.equal(packets.filter((p) => p.kind === 'audio' && p.sequenceHeader).length, 1);
  assert.equal(packets[0].sequenceHeader, true, 'onMetaData');
  const opusHead = Packet.of('audio', 0, ex(0x90, 'Opus', ...Buffer.from('OpusHead')));
  assert.equal(opusHead.sequenceHeader, true, 'an enhanced-RTMP audio sequence start is a sequence header');
});

test('isOnMetaData: onMetaData and @setDataFrame by their AMF0 name', () => {
  const name = (s: string) => Buffer.concat([Buffer.from([2, 0, s.length]), Buffer.from(s), Buffer.from([8, 0, 0, 0, 0])]);
  assert.equal(isOnMetaData(name('onMetaData')), true);
  assert.equal(isOnMetaData(name('@setDataFrame')), true);
  assert.equal(isOnMetaData(name('onCuePoint')), false);
  assert.equal(isOnMetaData(Buffer.from([2, 0])), false);
});
