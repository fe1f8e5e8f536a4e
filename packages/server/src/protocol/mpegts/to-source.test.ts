import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packetsOf, readKernelFixture } from '../../../test/fixtures/kernel-media.js';
import { avcNaluType, splitNalus } from '../../kernel/avc.js';
import { classifyAudio, classifyVideo } from '../../kernel/flv-tag.js';
import { TsMuxer } from '../../kernel/mpegts.js';
import { Packet, type PacketKind } from '../../kernel/packet.js';
import { MAX_HELD, MAX_INTERLEAVE_MS, TsToSource } from './to-source.js';

const FIXTURE = packetsOf(readKernelFixture('h264-aac-160x120.flv'));
/** The fixture's 1 s (5 keyframes) four times over, headers once: 4 s of stream. */
const LONGER = [0, 1, 2, 3].flatMap((k) =>
  FIXTURE.filter((p) => k === 0 || !p.sequenceHeader).map((p) => new Packet(p.kind, p.dts + k * 1000, p.body, p.keyframe, p.sequenceHeader, p.cts)),
);

interface Msg {
  kind: PacketKind;
  timestamp: number;
  body: Buffer;
}

/** Packets through the TS muxer, cut into 7-packet datagrams as FFmpeg's udp output sends. */
function datagrams(packets = FIXTURE): Buffer[] {
  const m = new TsMuxer({ video: 'h264', audio: 'aac' });
  // PAT/PMT before every keyframe, as a live TS sender repeats them
  const ts = Buffer.concat([m.writeTables(), ...packets.flatMap((p) => (p.kind === 'video' && p.keyframe ? [m.writeTables(), ...m.mux(p)] : m.mux(p))), ...m.flush()]);
  const out: Buffer[] = [];
  for (let i = 0; i < ts.length; i += 1316) out.push(ts.subarray(i, i + 1316));
  return out;
}

function run(dgrams: Buffer[]): { msgs: Msg[]; glue: TsToSource } {
  const msgs: Msg[] = [];
  const glue = new TsToSource({ write: (kind, timestamp, body) => msgs.push({ kind, timestamp, body }) });
  for (const d of dgrams) glue.push(d);
  glue.end();
  return { msgs, glue };
}

/** Frame NAL units without AUD/SPS/PPS, as hex, from a length-prefixed FLV video body. */
function frameNalus(body: Buffer): string[] {
  return splitNalus(classifyVideo(body).data, 4)
    .filter((n) => ![7, 8, 9].includes(avcNaluType(n)))
    .map((n) => n.toString('hex'));
}

const isVideoFrame = (p: { kind: PacketKind; body: Buffer }) => p.kind === 'video' && classifyVideo(p.body).packetType === 'coded-frames';
const isAudioFrame = (p: { kind: PacketKind; body: Buffer }) => p.kind === 'audio' && classifyAudio(p.body).packetType === 'coded-frames';

test('FLV -> TS -> TsToSource gives back the sequence headers, every frame and its timestamps', () => {
  const { msgs, glue } = run(datagrams());
  const first = msgs[0];
  assert.equal(first.kind, 'video');
  const header = classifyVideo(first.body);
  assert.equal(header.sequenceStart, true, 'an AVC sequence header first');
  const original = FIXTURE.find((p) => p.kind === 'video' && p.sequenceHeader)!;
  // the SPS and PPS of the rebuilt record are the original's
  const spsOf = (record: Buffer) => record.subarray(8, 8 + record.readUInt16BE(6)).toString('hex');
  assert.equal(spsOf(header.data), spsOf(classifyVideo(original.body).data));
  assert.ok(msgs.some((m) => m.kind === 'audio' && classifyAudio(m.body).sequenceStart), 'an AAC sequence header');

  const inVideo = FIXTURE.filter(isVideoFrame);
  const outVideo = msgs.filter(isVideoFrame);
  assert.equal(outVideo.length, inVideo.length);
  const base = Math.min(...FIXTURE.filter((p) => p.kind !== 'script' && !p.sequenceHeader).map((p) => p.dts));
  outVideo.forEach((m, i) => {
    assert.deepEqual(frameNalus(m.body), frameNalus(inVideo[i].body), `frame ${i}`);
    assert.equal(classifyVideo(m.body).keyframe, inVideo[i].keyframe);
    assert.ok(Math.abs(m.timestamp - (inVideo[i].dts - base)) <= 1, `frame ${i}: ${m.timestamp} vs ${inVideo[i].dts - base}`);
    assert.equal(classifyVideo(m.body).cts, classifyVideo(inVideo[i].body).cts);
  });
  const inAudio = FIXTURE.filter(isAudioFrame);
  const outAudio = msgs.filter(isAudioFrame);
  assert.equal(outAudio.length, inAudio.length);
  outAudio.forEach((m, i) => assert.ok(classifyAudio(m.body).data.equals(classifyAudio(inAudio[i].body).data), `audio ${i}`));
  assert.equal(glue.dropped, 0);
  assert.deepEqual([...glue.codecs].sort(), ['aac', 'h264']);
});

test('lost datagrams (every 50th, and the first ones) never throw: frames go on, the damage is counted', () => {
  const all = datagrams(LONGER);
  const { msgs, glue } = run(all.filter((_d, i) => i > 3 && i % 50 !== 7));
  const video = msgs.filter(isVideoFrame);
  const total = LONGER.filter(isVideoFrame).length;
  assert.ok(video.length > total / 2 && video.length < total, `${video.length} of ${total} frames`);
  assert.ok(classifyVideo(video[0].body).keyframe, 'video starts at a keyframe');
  assert.ok(glue.demuxer.stats.ccErrors > 0);
  const times = msgs.map((m) => m.timestamp);
  assert.ok(times.every((t) => t >= 0));
  // garbage between datagrams is skipped too
  glue.push(Buffer.alloc(1000, 0x47));
  glue.push(Buffer.from('not a transport stream'));
});

test('a sender that carries audio 600 ms ahead of the video: messages come out as one non-decreasing DTS line, nothing lost', () => {
  // the muxer is fed audio up to 600 ms early, as FFmpeg's x265 with B-frames sends it
  const early = (p: Packet) => (p.kind === 'audio' ? p.dts - Math.min(600, p.dts) : p.dts);
  const skewed = LONGER.filter((p) => p.kind !== 'script').sort((a, b) => early(a) - early(b));
  const { msgs, glue } = run(datagrams(skewed));
  const frames = msgs.filter((m) => isVideoFrame(m) || isAudioFrame(m));
  assert.equal(frames.filter(isVideoFrame).length, LONGER.filter(isVideoFrame).length);
  assert.equal(frames.filter(isAudioFrame).length, LONGER.filter(isAudioFrame).length);
  for (let i = 1; i < frames.length; i++) {
    assert.ok(frames[i].timestamp >= frames[i - 1].timestamp, `message ${i}: ${frames[i - 1].kind} ${frames[i - 1].timestamp} then ${frames[i].kind} ${frames[i].timestamp}`);
  }
  assert.equal(glue.heldMessages, 0, 'end() writes what was held');
});

test('a track that stops is not waited for beyond MAX_INTERLEAVE_MS: the other one goes on, a bounded number held', () => {
  const audioOnly = LONGER.filter((p) => p.kind === 'audio' || (p.kind === 'video' && p.dts < 500));
  const msgs: Msg[] = [];
  const glue = new TsToSource({ write: (kind, timestamp, body) => msgs.push({ kind, timestamp, body }) });
  for (const d of datagrams(audioOnly)) glue.push(d);
  // before end(): audio written up to about MAX_INTERLEAVE_MS behind the last audio pushed
  const audio = msgs.filter(isAudioFrame);
  const last = audio.at(-1)!.timestamp;
  assert.ok(last >= 4000 - MAX_INTERLEAVE_MS - 200, `audio written up to ${last} ms`);
  assert.ok(glue.heldMessages > 0 && glue.heldMessages <= MAX_HELD);
});

test('audio that starts before the video: held for the first keyframe, the stream starts with the video sequence header and that keyframe', () => {
  // video frames before 500 ms lost (the sequence header stays): audio runs alone for half a second
  const late = LONGER.filter((p) => p.kind !== 'video' || p.sequenceHeader || p.dts >= 500);
  const { msgs, glue } = run(datagrams(late));
  const firstKey = msgs.findIndex(isVideoFrame);
  const key = msgs[firstKey];
  assert.ok(classifyVideo(key.body).keyframe && key.timestamp >= 500 - 600, 'the first video frame is a keyframe');
  const before = msgs.slice(0, firstKey);
  assert.ok(before.some((m) => m.kind === 'video' && classifyVideo(m.body).sequenceStart), 'the video sequence header comes before it');
  assert.ok(before.some((m) => m.kind === 'audio' && classifyAudio(m.body).sequenceStart), 'so does the audio sequence header');
  assert.ok(!before.some(isAudioFrame), 'no audio frame before the first keyframe');
  assert.ok(msgs.filter(isAudioFrame).every((m) => m.timestamp >= key.timestamp), 'no audio frame older than it');
  assert.ok(glue.dropped > 10, `the audio before it is dropped and counted (${glue.dropped})`);
});

test('held messages are bounded in bytes: big same-timestamp keyframes while the PMT lists audio that never comes are written past maxPendingBytes', () => {
  const header = FIXTURE.find((p) => p.kind === 'video' && p.sequenceHeader)!;
  const key = FIXTURE.find((p) => p.kind === 'video' && p.keyframe && !p.sequenceHeader)!;
  // the keyframe plus a 256 KiB filler NAL unit (type 12): a big frame, one timestamp for all
  const filler = Buffer.alloc(4 + 256 * 1024, 0xff);
  filler.writeUInt32BE(filler.length - 4, 0);
  filler[4] = 0x0c;
  const big = Buffer.concat([key.body, filler]);
  const frames = Array.from({ length: 100 }, () => new Packet('video', 1000, big, true, false, 0));
  const msgs: Msg[] = [];
  const maxPendingBytes = 4 * 1024 * 1024;
  const glue = new TsToSource({ write: (kind, timestamp, body) => msgs.push({ kind, timestamp, body }) }, { maxPendingBytes });
  let most = 0;
  // the muxer's PMT has an AAC track: the video waits for audio that never comes
  for (const d of datagrams([header, ...frames])) {
    glue.push(d);
    most = Math.max(most, glue.heldBodyBytes);
  }
  assert.ok(most <= maxPendingBytes + big.length + 64, `held at most ${most} bytes`);
  // all but the last frames (the last PES completes at end(); those still under the bound wait)
  const written = msgs.filter(isVideoFrame).length;
  assert.ok(written >= 100 - Math.ceil(maxPendingBytes / big.length) - 2, `${written} frames written before the input ended`);
  glue.end();
  assert.equal(msgs.filter(isVideoFrame).length, 100, 'and every frame at the end');
  assert.equal(glue.heldBodyBytes, 0);
});

test('both sequence headers go before the first frame, whichever track comes first in the TS (outputs read the tracks at the first frame)', () => {
  // the audio starts a frame later than the video, as an encoder's first TS often does
  const late = FIXTURE.map((p) => (p.kind === 'audio' ? new Packet(p.kind, p.dts + 23, p.body, p.keyframe, p.sequenceHeader, p.cts) : p));
  for (const packets of [FIXTURE, late]) {
    const { msgs } = run(datagrams(packets));
    const firstFrame = msgs.findIndex((m) => isVideoFrame(m) || isAudioFrame(m));
    const headers = msgs.slice(0, firstFrame).map((m) => (m.kind === 'video' ? classifyVideo(m.body).sequenceStart : classifyAudio(m.body).sequenceStart));
    assert.deepEqual(headers, [true, true], 'an AVC and an AAC sequence header, then frames');
  }
});
