import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from './bit-reader.js';
import {
  aacFrameBody, aacSequenceHeaderBody, avcEndOfSequenceBody, avcFrameBody, avcSequenceHeaderBody, hevcFrameBody,
  hevcSequenceEndBody, hevcSequenceStartBody, mp3FrameBody, opusFrameBody, opusSequenceStartBody,
} from './flv-build.js';
import { splitNalus } from './avc.js';
import { classifyAudio, classifyVideo } from './flv-tag.js';
import { buildOpusHead } from './opus.js';
import type { Packet } from './packet.js';
import { ffmpegFlv, hevcPackets, needFfmpeg, packetsOf, readKernelFixture, withTmp } from '../../test/fixtures/kernel-media.js';

/** Frames of a packet as a demuxer of another container would hand them over, rebuilt into an FLV body. */
function rebuild(p: Packet): Buffer {
  if (p.kind === 'video') {
    const tag = classifyVideo(p.body);
    if (tag.codec === 'h264') {
      if (tag.sequenceStart) return avcSequenceHeaderBody(tag.data);
      if (tag.packetType === 'sequence-end') return avcEndOfSequenceBody();
      return avcFrameBody(splitNalus(tag.data, 4), tag.keyframe, tag.cts);
    }
    if (tag.sequenceStart) return hevcSequenceStartBody(tag.data);
    return hevcFrameBody(splitNalus(tag.data, 4), tag.keyframe, tag.cts);
  }
  const tag = classifyAudio(p.body);
  if (tag.codec === 'aac') return tag.sequenceStart ? aacSequenceHeaderBody(tag.data) : aacFrameBody(tag.data);
  if (tag.codec === 'mp3') return mp3FrameBody(tag.data);
  throw new Error(`no builder for ${tag.codec}`);
}

test('FLV file -> frames -> FLV bodies reproduces the bytes (H.264 + AAC from FFmpeg)', () => {
  const packets = packetsOf(readKernelFixture('h264-aac-160x120.flv')).filter((p) => p.kind !== 'script');
  const kinds = new Set<string>();
  for (const p of packets) {
    assert.equal(rebuild(p).toString('hex'), p.body.toString('hex'), `${p.kind} at ${p.dts} ms`);
    kinds.add(`${p.kind}${p.sequenceHeader ? '-header' : ''}`);
  }
  assert.deepEqual([...kinds].sort(), ['audio', 'audio-header', 'video', 'video-header']);
});

test('H.264 with B-frames: negative and positive composition times survive', needFfmpeg, () => withTmp((dir) => {
  const flv = ffmpegFlv(dir, 'b.flv', ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-frames:v', '30', '-c:v', 'libx264', '-bf', '2', '-g', '12']);
  const video = packetsOf(flv).filter((p) => p.kind === 'video');
  assert.ok(video.some((p) => p.cts > 0), 'B-frames give composition offsets');
  for (const p of video) assert.equal(rebuild(p).toString('hex'), p.body.toString('hex'));
  const neg = avcFrameBody([Buffer.from([0x41, 1])], false, -40);
  assert.equal(classifyVideo(neg).cts, -40);
  assert.throws(() => avcFrameBody([], false, 0x800000), CodecError);
}));

test('MP3 from FFmpeg: bodies rebuilt from the frames alone (44.1 and 22.05 kHz, mono and stereo)', needFfmpeg, () => withTmp((dir) => {
  for (const [rate, ch] of [['44100', '1'], ['22050', '2']]) {
    const flv = ffmpegFlv(dir, `a${rate}.flv`, ['-f', 'lavfi', '-i', `sine=sample_rate=${rate}:duration=0.5`, '-ac', ch, '-c:a', 'libmp3lame']);
    const audio = packetsOf(flv).filter((p) => p.kind === 'audio');
    assert.ok(audio.length > 5);
    for (const p of audio) assert.equal(rebuild(p).toString('hex'), p.body.toString('hex'), `${rate} Hz ${ch} ch`);
  }
}));

test('HEVC as enhanced RTMP: SequenceStart, CodedFramesX at cts 0, CodedFrames otherwise, read back by the classifiers', needFfmpeg, () => withTmp((dir) => {
  const packets = hevcPackets(dir, 12);
  const seq = hevcSequenceStartBody(classifyVideo(packets[0].body).data);
  assert.ok(seq.equals(packets[0].body), 'the sequence start is byte-identical');
  for (const p of packets.slice(1)) {
    const tag = classifyVideo(p.body);
    for (const cts of [0, 80, -40]) {
      const body = hevcFrameBody(splitNalus(tag.data, 4), tag.keyframe, cts);
      assert.equal(body[0] & 0x0f, cts === 0 ? 3 : 1, 'packet type');
      const back = classifyVideo(body);
      assert.deepEqual([back.codec, back.fourcc, back.keyframe, back.cts, back.packetType], ['h265', 'hvc1', p.keyframe, cts, 'coded-frames']);
      assert.ok(back.data.equals(tag.data));
    }
  }
  assert.equal(hevcSequenceEndBody().toString('hex'), '92' + Buffer.from('hvc1').toString('hex'));
}));

test('Opus as enhanced RTMP audio: ExHeader 9, FourCC Opus, OpusHead as the sequence start', () => {
  const head = buildOpusHead({ channels: 2, preSkip: 312 });
  const seq = opusSequenceStartBody(head);
  assert.equal(seq.subarray(0, 5).toString('hex'), '90' + Buffer.from('Opus').toString('hex'));
  const s = classifyAudio(seq);
  assert.deepEqual([s.codec, s.fourcc, s.sequenceStart], ['opus', 'Opus', true]);
  assert.ok(s.data.equals(head));
  const packet = Buffer.from([0xfc, 1, 2, 3]);
  const f = classifyAudio(opusFrameBody(packet));
  assert.deepEqual([f.codec, f.packetType], ['opus', 'coded-frames']);
  assert.ok(f.data.equals(packet));
  assert.throws(() => aacSequenceHeaderBody(Buffer.from([0x12])), CodecError);
  assert.throws(() => mp3FrameBody(Buffer.from([1, 2, 3, 4])), CodecError);
});
