import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodecError } from './bit-reader.js';
import { FlvFrameMuxer, type FlvMessage } from './flv-frames.js';
import { TsDemuxer } from './mpegts-demux.js';
import { encodeFlvHeader, encodeFlvTag } from './flv.js';
import { classifyAudio, classifyVideo } from './flv-tag.js';
import { parseHevcConfig } from './hevc.js';
import { ffmpegInput, decodeErrors, ffprobe, needFfmpeg, withTmp } from '../../test/fixtures/kernel-media.js';

function tsFile(dir: string, args: string[]): Buffer {
  const file = join(dir, 'in.ts');
  return ffmpegInput(file, ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
    '-t', '2', '-pix_fmt', 'yuv420p', ...args, '-f', 'mpegts']);
}

/** MPEG-TS -> access units -> FLV messages, as the MPEG-TS caster publishes them. */
function tsToFlv(ts: Buffer): { messages: FlvMessage[]; video: number; audio: number; m: FlvFrameMuxer } {
  const d = new TsDemuxer();
  const m = new FlvFrameMuxer();
  const messages: FlvMessage[] = [];
  let video = 0;
  let audio = 0;
  for (const u of [...d.push(ts), ...d.end()]) {
    if (u.kind === 'video') {
      video++;
      messages.push(...m.video(u.codec as 'h264' | 'h265', u.nalus!, u.dts, u.pts));
    } else {
      audio++;
      messages.push(...m.audio(u.codec as 'aac' | 'mp3' | 'opus', u.data, u.pts, u.config));
    }
  }
  return { messages, video, audio, m };
}

function writeFlv(file: string, messages: FlvMessage[]): void {
  const t0 = messages[0].dts;
  writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...messages.map((x) => encodeFlvTag(x.kind === 'video' ? 9 : 8, x.dts - t0, x.body))]));
}

for (const [name, args, audioCodec] of [
  ['H.264 (B-frames) + AAC', ['-c:v', 'libx264', '-bf', '2', '-g', '25', '-c:a', 'aac'], 'aac'],
  ['H.264 + MP3', ['-c:v', 'libx264', '-bf', '0', '-g', '10', '-c:a', 'libmp3lame'], 'mp3'],
] as const) {
  test(`FFmpeg TS (${name}) -> TS demuxer -> FLV bodies: ffprobe reads and decodes every frame`, needFfmpeg, () => withTmp((dir) => {
    const { messages, video, audio } = tsToFlv(tsFile(dir, [...args]));
    const headers = messages.filter((x) => x.sequenceHeader);
    assert.equal(headers.filter((x) => x.kind === 'video').length, 1, 'repeated parameter sets give one sequence header');
    assert.equal(headers.filter((x) => x.kind === 'audio').length, audioCodec === 'aac' ? 1 : 0);
    assert.ok(messages.some((x) => x.kind === 'video' && x.cts > 0) === (name.includes('B-frames')), 'composition times');
    const file = join(dir, 'out.flv');
    writeFlv(file, messages);
    const probe = ffprobe(file);
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    const a = probe.streams.find((s) => s.codec_type === 'audio')!;
    assert.deepEqual([v.codec_name, a.codec_name, v.width, v.height], ['h264', audioCodec, 160, 120]);
    assert.equal(Number(v.nb_read_frames), video, 'every video frame decodes');
    assert.equal(Number(a.nb_read_frames), audio, 'every audio frame decodes');
    assert.equal(decodeErrors(file), '');
  }));
}

test('H.265 + Opus TS -> enhanced-RTMP FLV bodies (hvc1 and Opus sequence starts, keyframes)', needFfmpeg, () => withTmp((dir) => {
  const { messages, video, m } = tsToFlv(tsFile(dir, ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25', '-c:a', 'libopus', '-ar', '48000']));
  const v = messages.filter((x) => x.kind === 'video');
  const seq = classifyVideo(v[0].body);
  assert.deepEqual([seq.fourcc, seq.sequenceStart, v[0].sequenceHeader], ['hvc1', true, true]);
  assert.equal(parseHevcConfig(seq.data).sps.length, 1);
  assert.equal(v.filter((x) => !x.sequenceHeader).length, video);
  assert.equal(v.filter((x) => x.keyframe && !x.sequenceHeader).length, 2, 'an IRAP picture every 25 frames');
  assert.equal(m.droppedVideo, 0);
  const a = messages.filter((x) => x.kind === 'audio');
  const head = classifyAudio(a[0].body);
  assert.deepEqual([head.fourcc, head.sequenceStart, head.data.subarray(0, 8).toString()], ['Opus', true, 'OpusHead']);
  assert.ok(a.slice(1).every((x) => classifyAudio(x.body).packetType === 'coded-frames'));
}));

test('frames before the parameter sets are dropped and counted; AAC needs its config', () => {
  const m = new FlvFrameMuxer();
  assert.deepEqual(m.video('h264', [Buffer.from([0x41, 1, 2])], 0, 0), []);
  assert.equal(m.droppedVideo, 1);
  assert.throws(() => m.audio('aac', Buffer.from([1, 2]), 0), CodecError);
});
