import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packet } from './packet.js';
import {
  readKernelFixture, needFfmpeg, packetsOf, ffprobe, decodeErrors, withTmp, ffmpegFlv, hevcPackets,
} from '../../test/fixtures/kernel-media.js';
import { TsMuxer, crc32Mpeg2, TS_VIDEO_PID, TS_AUDIO_PID, TS_PMT_PID, TsStreamType } from './mpegts.js';

const FIXTURE = readKernelFixture('h264-aac-160x120.flv');

function muxAll(m: TsMuxer, packets: Packet[]): Buffer {
  const out = [m.writeTables()];
  for (const p of packets) out.push(...m.mux(p));
  out.push(...m.flush());
  return Buffer.concat(out);
}

// --- a small TS demuxer/validator for the tests ---------------------------

interface Pes { pts: number; dts: number; data: Buffer; randomAccess: boolean; pcr: number | undefined }
interface Demuxed { streams: Map<number, number>; pcrPid: number; pes: Map<number, Pes[]> }

function demuxTs(ts: Buffer): Demuxed {
  assert.equal(ts.length % 188, 0, 'whole TS packets');
  const cc = new Map<number, number>();
  const streams = new Map<number, number>();
  let pcrPid = -1;
  const pes = new Map<number, Pes[]>();
  const open = new Map<number, { parts: Buffer[]; randomAccess: boolean; pcr: number | undefined }>();
  const finish = (pid: number) => {
    const o = open.get(pid);
    if (!o) return;
    const b = Buffer.concat(o.parts);
    assert.deepEqual([...b.subarray(0, 3)], [0, 0, 1], 'PES start code');
    const flags = b[7] >> 6;
    const readTs = (off: number) =>
      ((b[off] >> 1) & 7) * 2 ** 30 + ((b.readUInt16BE(off + 1) >> 1) << 15) + (b.readUInt16BE(off + 3) >> 1);
    const pts = readTs(9);
    const dts = flags === 3 ? readTs(14) : pts;
    const data = b.subarray(9 + b[8]);
    const declared = b.readUInt16BE(4);
    if (declared) assert.equal(declared, b.length - 6, 'PES_packet_length');
    if (!pes.has(pid)) pes.set(pid, []);
    pes.get(pid)!.push({ pts, dts, data, randomAccess: o.randomAccess, pcr: o.pcr });
    open.delete(pid);
  };
  for (let off = 0; off < ts.length; off += 188) {
    const p = ts.subarray(off, off + 188);
    assert.equal(p[0], 0x47, 'sync byte');
    const pusi = (p[1] & 0x40) !== 0;
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    const afc = (p[3] >> 4) & 3;
    const c = p[3] & 0xf;
    if (afc & 1) {
      if (cc.has(pid)) assert.equal(c, (cc.get(pid)! + 1) & 0xf, `continuity counter on PID ${pid}`);
      cc.set(pid, c);
    }
    let i = 4;
    let randomAccess = false;
    let pcr: number | undefined;
    if (afc & 2) {
      const len = p[4];
      if (len > 0) {
        randomAccess = (p[5] & 0x40) !== 0;
        if (p[5] & 0x10) pcr = p.readUInt32BE(6) * 2 + (p[10] >> 7);
        for (let k = 6 + (pcr !== undefined ? 6 : 0); k < 5 + len; k++) assert.equal(p[k], 0xff, 'stuffing');
      }
      i = 5 + len;
    }
    assert.ok(afc & 1 || i === 188);
    const payload = p.subarray(i);
    if (pid === 0 || pid === TS_PMT_PID) {
      assert.ok(pusi);
      const sec = payload.subarray(1 + payload[0]);
      const len = ((sec[1] & 0xf) << 8) | sec[2];
      assert.equal(crc32Mpeg2(sec, 0, 3 + len), 0, 'section CRC');
      if (pid === 0) assert.equal(((sec[10] & 0x1f) << 8) | sec[11], TS_PMT_PID);
      else {
        pcrPid = ((sec[8] & 0x1f) << 8) | sec[9];
        for (let k = 12; k < 3 + len - 4; k += 5) streams.set(((sec[k + 1] & 0x1f) << 8) | sec[k + 2], sec[k]);
      }
      continue;
    }
    if (pusi) {
      finish(pid);
      open.set(pid, { parts: [], randomAccess, pcr });
    }
    open.get(pid)?.parts.push(payload);
  }
  for (const pid of [...open.keys()]) finish(pid);
  return { streams, pcrPid, pes };
}

// --- tests ------------------------------------------------------------------

test('fixture: structure of the TS (tables, CCs, PES timestamps, PCR, random access, ADTS)', () => {
  const packets = packetsOf(FIXTURE);
  const ts = muxAll(new TsMuxer({ video: 'h264', audio: 'aac' }), packets);
  const d = demuxTs(ts);
  assert.deepEqual([...d.streams], [[TS_VIDEO_PID, TsStreamType.H264], [TS_AUDIO_PID, TsStreamType.AacAdts]]);
  assert.equal(d.pcrPid, TS_VIDEO_PID);
  const frames = packets.filter((p) => p.kind === 'video' && !p.sequenceHeader && p.body[1] === 1);
  const v = d.pes.get(TS_VIDEO_PID)!;
  assert.equal(v.length, frames.length);
  v.forEach((pes, i) => {
    assert.equal(pes.dts, frames[i].dts * 90);
    assert.equal(pes.pts, frames[i].pts * 90);
    assert.equal(pes.pcr, frames[i].dts * 90);
    assert.equal(pes.randomAccess, frames[i].keyframe);
    assert.deepEqual([...pes.data.subarray(0, 6)], [0, 0, 0, 1, 9, 0xf0], 'AUD first');
    if (frames[i].keyframe) assert.equal(pes.data[9] & 0x1f, 7, 'SPS after the AUD of an IDR');
  });
  const audioFrames = packets.filter((p) => p.kind === 'audio' && !p.sequenceHeader);
  const a = d.pes.get(TS_AUDIO_PID)!;
  assert.equal(a.length, audioFrames.length);
  a.forEach((pes, i) => {
    assert.equal(pes.pts, audioFrames[i].dts * 90);
    assert.equal(pes.data[0], 0xff);
    const len = ((pes.data[3] & 3) << 11) | (pes.data[4] << 3) | (pes.data[5] >> 5);
    assert.equal(len, pes.data.length, 'ADTS frame length');
    assert.deepEqual(pes.data.subarray(7), audioFrames[i].body.subarray(2));
  });
});

test('33-bit timestamps wrap and large ones are encoded exactly', () => {
  const packets = packetsOf(FIXTURE);
  const shift = 2 ** 33 / 90 - 500; // ms: crosses the 33-bit 90 kHz wrap half a second in
  const moved = packets.map((p) => new Packet(p.kind, p.dts + shift, p.body, p.keyframe, p.sequenceHeader, p.cts));
  const d = demuxTs(muxAll(new TsMuxer({ video: 'h264', audio: 'aac' }), moved));
  const v = d.pes.get(TS_VIDEO_PID)!;
  const frames = moved.filter((p) => p.kind === 'video' && !p.sequenceHeader && p.body[1] === 1);
  v.forEach((pes, i) => assert.equal(pes.dts, (frames[i].dts * 90) % 2 ** 33));
  assert.ok(v.some((p) => p.dts < 90 * 500) && v.some((p) => p.dts > 2 ** 33 - 90 * 500));
});

test('audio merging puts several AAC frames in one PES', () => {
  const packets = packetsOf(FIXTURE);
  const d = demuxTs(muxAll(new TsMuxer({ video: 'h264', audio: 'aac', audioMergeMs: 100 }), packets));
  const a = d.pes.get(TS_AUDIO_PID)!;
  const frames = packets.filter((p) => p.kind === 'audio' && !p.sequenceHeader).length;
  assert.ok(a.length < frames / 3, `${a.length} PES for ${frames} frames`);
  let adts = 0;
  for (const pes of a) {
    for (let o = 0; o < pes.data.length;) {
      assert.equal(pes.data[o], 0xff);
      o += ((pes.data[o + 3] & 3) << 11) | (pes.data[o + 4] << 3) | (pes.data[o + 5] >> 5);
      adts++;
    }
  }
  assert.equal(adts, frames);
});

test('video packets before the sequence header are dropped; wrong codecs are errors', () => {
  const packets = packetsOf(FIXTURE);
  const m = new TsMuxer({ video: 'h264' });
  const frame = packets.find((p) => p.kind === 'video' && p.keyframe && !p.sequenceHeader)!;
  assert.deepEqual(m.mux(frame), []);
  assert.equal(m.dropped, 1);
  assert.deepEqual(m.mux(packets.find((p) => p.kind === 'audio')!), [], 'no audio stream: ignored');
  assert.throws(() => new TsMuxer({ video: 'h265' }).mux(frame), /h264 in a h265/);
  assert.throws(() => new TsMuxer({}), /audio or video/);
});

test('ffprobe: the fixture as H.264 + AAC TS decodes cleanly', needFfmpeg, () => withTmp((dir) => {
  const packets = packetsOf(FIXTURE);
  const file = join(dir, 'out.ts');
  writeFileSync(file, muxAll(new TsMuxer({ video: 'h264', audio: 'aac' }), packets));
  const info = ffprobe(file);
  const v = info.streams.find((s) => s.codec_type === 'video')!;
  const a = info.streams.find((s) => s.codec_type === 'audio')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.profile, 'High');
  assert.equal(v.width, 160);
  assert.equal(v.height, 120);
  assert.equal(Number(v.nb_read_frames), 25);
  assert.equal(a.codec_name, 'aac');
  assert.equal(a.sample_rate, '44100');
  assert.equal(a.channels, 1);
  assert.equal(Number(a.nb_read_frames), packets.filter((p) => p.kind === 'audio' && !p.sequenceHeader).length);
  assert.equal(info.format.format_name, 'mpegts');
  assert.ok(Math.abs(Number(info.format.duration) - 1.0) < 0.1, `duration ${info.format.duration}`);
  assert.equal(decodeErrors(file), '');
}));

test('ffprobe: HLS-like segments cut at keyframes, each playable alone (B-frames, MP3 audio)', needFfmpeg, () => withTmp((dir) => {
  const flv = ffmpegFlv(dir, 'in.flv', [
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100',
    '-t', '3', '-c:v', 'libx264', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', '30', '-bf', '3',
    '-c:a', 'libmp3lame', '-b:a', '64k', '-ac', '2',
  ]);
  const packets = packetsOf(flv);
  const m = new TsMuxer({ video: 'h264', audio: 'mp3', audioMergeMs: 60 });
  const segments: Buffer[][] = [];
  for (const p of packets) {
    if (p.kind === 'video' && p.keyframe && p.body[1] === 1) { // an IDR (not the sequence header or EOS)
      if (segments.length) segments[segments.length - 1].push(...m.flush());
      segments.push([m.writeTables()]);
    }
    if (segments.length) segments[segments.length - 1].push(...m.mux(p));
    else m.mux(p); // sequence headers before the first keyframe
  }
  segments[segments.length - 1].push(...m.flush());
  assert.equal(segments.length, 3);
  let videoFrames = 0;
  let audioFrames = 0;
  segments.forEach((seg, i) => {
    const file = join(dir, `seg-${i}.ts`);
    writeFileSync(file, Buffer.concat(seg));
    demuxTs(Buffer.concat(seg));
    const info = ffprobe(file);
    const v = info.streams.find((s) => s.codec_type === 'video')!;
    const a = info.streams.find((s) => s.codec_type === 'audio')!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.equal(a.codec_name, 'mp3');
    assert.equal(a.channels, 2);
    videoFrames += Number(v.nb_read_frames);
    audioFrames += Number(a.nb_read_frames);
    assert.ok(Math.abs(Number(info.format.duration) - 1.0) < 0.15, `segment ${i} duration ${info.format.duration}`);
    assert.equal(decodeErrors(file), '', `segment ${i} decodes`);
  });
  assert.equal(videoFrames, 90);
  const mp3Frames = packets.filter((p) => p.kind === 'audio').length;
  assert.ok(Math.abs(audioFrames - mp3Frames) <= 1, `${audioFrames} decoded of ${mp3Frames} MP3 frames`);
}));

test('ffprobe: audio-only AAC TS carries PCR on the audio PID', needFfmpeg, () => withTmp((dir) => {
  const packets = packetsOf(FIXTURE).filter((p) => p.kind !== 'video');
  const ts = muxAll(new TsMuxer({ audio: 'aac', audioMergeMs: 200 }), packets);
  const d = demuxTs(ts);
  assert.equal(d.pcrPid, TS_AUDIO_PID);
  assert.ok(d.pes.get(TS_AUDIO_PID)!.every((p) => p.pcr === p.pts));
  const file = join(dir, 'a.ts');
  writeFileSync(file, ts);
  const info = ffprobe(file);
  assert.equal(info.streams.length, 1);
  assert.equal(info.streams[0].codec_name, 'aac');
  assert.equal(decodeErrors(file), '');
}));

test('ffprobe: H.265 from enhanced RTMP packets', needFfmpeg, () => withTmp((dir) => {
  const packets = hevcPackets(dir, 50);
  const ts = muxAll(new TsMuxer({ video: 'h265' }), packets);
  const d = demuxTs(ts);
  assert.deepEqual([...d.streams], [[TS_VIDEO_PID, TsStreamType.H265]]);
  const file = join(dir, 'h.ts');
  writeFileSync(file, ts);
  const info = ffprobe(file);
  assert.equal(info.streams[0].codec_name, 'hevc');
  assert.equal(info.streams[0].width, 320);
  assert.equal(info.streams[0].height, 240);
  assert.equal(Number(info.streams[0].nb_read_frames), 50);
  assert.ok(Math.abs(Number(info.format.duration) - 2.0) < 0.1, `duration ${info.format.duration}`);
  assert.equal(decodeErrors(file), '');
}));
