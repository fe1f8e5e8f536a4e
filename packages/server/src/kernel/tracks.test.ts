import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packetsOf, readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { buildOpusHead } from './opus.js';
import { Packet } from './packet.js';

const opusHead = (channels: number) => {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'latin1');
  h[8] = 1;
  h[9] = channels;
  h.writeUInt32LE(44100, 12); // input rate: informative only
  return h;
};
const enhancedAudio = (packetType: number, fourcc: string, payload: Buffer) =>
  Buffer.concat([Buffer.from([0x90 | packetType]), Buffer.from(fourcc, 'latin1'), payload]);

test('tracks of the FFmpeg fixture: H.264 High 160x120, AAC LC mono 44.1 kHz, parsed once per header', () => {
  const packets = packetsOf(readKernelFixture('h264-aac-160x120.flv'));
  const vh = packets.find((p) => p.kind === 'video' && p.sequenceHeader)!;
  const v = vh.videoTrack!;
  assert.deepEqual([v.codec, v.width, v.height, v.profile, v.nalLengthSize, v.error], ['h264', 160, 120, 'High', 4, undefined]);
  assert.equal(v.avc!.sps.length, 1);
  assert.equal(v.header, vh);
  assert.ok(v.record.buffer === vh.body.buffer, 'the record is a view of the header');
  assert.equal(vh.videoTrack, v, 'cached on the packet');
  const ah = packets.find((p) => p.kind === 'audio' && p.sequenceHeader)!;
  const a = ah.audioTrack!;
  assert.deepEqual([a.codec, a.sampleRate, a.channels, a.profile, a.samplesPerFrame, a.sequenceStart], ['aac', 44100, 1, 'LC', 1024, true]);
  assert.deepEqual([...a.config!], [...ah.audio!.data]);
  assert.equal(packets.find((p) => p.kind === 'audio' && !p.sequenceHeader)!.audioTrack, undefined, 'an AAC frame describes no track');
  assert.equal(packets.find((p) => p.kind === 'video' && p.keyframe)!.videoTrack, undefined);
});

test('enhanced RTMP audio: Opus and AAC SequenceStarts describe the track', () => {
  const opus = Packet.of('audio', 0, enhancedAudio(0, 'Opus', opusHead(2))).audioTrack!;
  assert.deepEqual([opus.codec, opus.sampleRate, opus.channels, opus.sequenceStart, opus.error], ['opus', 48000, 2, true, undefined]);
  assert.equal(opus.config!.subarray(0, 8).toString('latin1'), 'OpusHead');
  assert.equal(Packet.of('audio', 0, enhancedAudio(1, 'Opus', Buffer.from([0xfc]))).audioTrack, undefined, 'an Opus frame describes no track');
  assert.match(Packet.of('audio', 0, enhancedAudio(0, 'Opus', Buffer.from('junk'))).audioTrack!.error ?? '', /opus-head: ID header too short/);
  // the OpusHead is parsed by kernel/opus.ts, once, with the header: pre-skip, mapping family 1
  const head = buildOpusHead({ channels: 6, preSkip: 312, mappingFamily: 1, streamCount: 4, coupledCount: 2, channelMapping: [0, 4, 1, 2, 3, 5] });
  const six = Packet.of('audio', 0, enhancedAudio(0, 'Opus', head)).audioTrack!;
  assert.deepEqual([six.channels, six.opus?.preSkip, six.opus?.streamCount, six.opus?.channelMapping, six.error], [6, 312, 4, [0, 4, 1, 2, 3, 5], undefined]);
  assert.equal(opus.opus?.channels, 2);
  // a header the shared parser refuses (family 0 with 3 channels) is an error, not a 3-channel track
  const bad = opusHead(3);
  assert.match(Packet.of('audio', 0, enhancedAudio(0, 'Opus', bad)).audioTrack!.error ?? '', /mapping family 0 with 3 channels/);
  const aac = Packet.of('audio', 0, enhancedAudio(0, 'mp4a', Buffer.from([0x12, 0x10]))).audioTrack!;
  assert.deepEqual([aac.codec, aac.sampleRate, aac.channels, aac.profile], ['aac', 44100, 2, 'LC']);
});

test('MP3 has no sequence header: its first frame describes the track; broken records keep what was learnt', () => {
  const mp3 = Packet.of('audio', 0, Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64])).audioTrack!;
  assert.deepEqual([mp3.codec, mp3.sampleRate, mp3.channels, mp3.samplesPerFrame, mp3.sequenceStart], ['mp3', 44100, 2, 1152, false]);
  const broken = Packet.of('video', 0, Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64])).videoTrack!;
  assert.deepEqual([broken.codec, broken.width, broken.profile], ['h264', 0, 'Other']);
  assert.ok(broken.error);
  assert.equal(Packet.of('video', 0, Buffer.from([0x90, 0x61, 0x76, 0x30, 0x31, 0x81])).videoTrack!.codec, 'av1');
});
