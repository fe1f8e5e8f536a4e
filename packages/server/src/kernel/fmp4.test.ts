import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Packet } from './packet.js';
import { CodecError } from './bit-reader.js';
import { classifyAudio, classifyVideo } from './flv-tag.js';
import { Fmp4Writer, videoTrackFromPacket, audioTrackFromPacket } from './fmp4.js';
import {
  readKernelFixture, needFfmpeg, packetsOf, ffprobe, decodeErrors, withTmp, ffmpegFlv, hevcPackets,
} from '../../test/fixtures/kernel-media.js';

const FIXTURE = readKernelFixture('h264-aac-160x120.flv');

interface Box { type: string; start: number; size: number; body: Buffer; children?: Box[] }
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'dinf']);

function parseBoxes(b: Buffer, base = 0): Box[] {
  const out: Box[] = [];
  for (let off = 0; off < b.length;) {
    const size = b.readUInt32BE(off);
    assert.ok(size >= 8 && off + size <= b.length, `box size ${size} at ${base + off}`);
    const type = b.toString('latin1', off + 4, off + 8);
    const body = b.subarray(off + 8, off + size);
    out.push({ type, start: base + off, size, body, children: CONTAINERS.has(type) ? parseBoxes(body, base + off + 8) : undefined });
    off += size;
  }
  return out;
}

function find(boxes: Box[], path: string): Box[] {
  const [head, ...rest] = path.split('/');
  const hits = boxes.filter((b) => b.type === head);
  return rest.length ? hits.flatMap((h) => find(h.children ?? [], rest.join('/'))) : hits;
}

/** Groups packets into GOPs: a fragment per keyframe, like DVR/HLS fMP4. */
function gops(packets: Packet[]): Packet[][] {
  const out: Packet[][] = [];
  for (const p of packets) {
    if (p.sequenceHeader || p.kind === 'script') continue;
    if (p.kind === 'video' && p.keyframe && classifyVideo(p.body).packetType === 'coded-frames') out.push([]);
    out[out.length - 1]?.push(p);
  }
  return out;
}

function seqHeaders(packets: Packet[]): [Packet, Packet] {
  return [packets.find((p) => p.kind === 'video' && p.sequenceHeader)!, packets.find((p) => p.kind === 'audio' && p.sequenceHeader)!];
}

test('init segment: ftyp, moov with avc1/avcC and mp4a/esds, mvex/trex', () => {
  const packets = packetsOf(FIXTURE);
  const [v, a] = seqHeaders(packets);
  const init = new Fmp4Writer().init(v, a);
  const boxes = parseBoxes(init);
  assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov']);
  assert.deepEqual(find(boxes, 'moov')[0].children!.map((b) => b.type), ['mvhd', 'trak', 'trak', 'mvex']);
  const stsd = find(boxes, 'moov/trak/mdia/minf/stbl/stsd');
  assert.equal(stsd.length, 2);
  const avc1 = stsd[0].body.subarray(8);
  assert.equal(avc1.toString('latin1', 4, 8), 'avc1');
  assert.equal(avc1.readUInt16BE(8 + 24), 160);
  assert.equal(avc1.readUInt16BE(8 + 26), 120);
  const avcC = avc1.subarray(8 + 78);
  assert.equal(avcC.toString('latin1', 4, 8), 'avcC');
  assert.deepEqual(avcC.subarray(8), classifyVideo(v.body).data);
  const mp4a = stsd[1].body.subarray(8);
  assert.equal(mp4a.toString('latin1', 4, 8), 'mp4a');
  assert.equal(mp4a.readUInt16BE(8 + 16), 1, 'channels');
  assert.equal(mp4a.readUInt32BE(8 + 24) / 65536, 44100);
  assert.ok(mp4a.includes(classifyAudio(a.body).data), 'esds carries the AudioSpecificConfig');
  assert.deepEqual(find(boxes, 'moov/mvex/trex').map((t) => t.body.readUInt32BE(4)), [1, 2]);
  assert.deepEqual(find(boxes, 'moov/trak/mdia/mdhd').map((m) => m.body.readUInt32BE(12)), [90000, 44100]);
});

test('fragments: mfhd sequence, tfdt, trun sizes/durations/flags/cts and data offsets into mdat', () => {
  const packets = packetsOf(FIXTURE);
  const [v, a] = seqHeaders(packets);
  const w = new Fmp4Writer();
  w.init(v, a);
  const groups = gops(packets);
  assert.equal(groups.length, 3);
  groups.forEach((g, n) => {
    const frag = w.fragment(g);
    const boxes = parseBoxes(frag);
    assert.deepEqual(boxes.map((b) => b.type), ['moof', 'mdat']);
    assert.equal(find(boxes, 'moof/mfhd')[0].body.readUInt32BE(4), n + 1);
    const trafs = find(boxes, 'moof/traf');
    assert.equal(trafs.length, 2);
    const video = g.filter((p) => p.kind === 'video' && classifyVideo(p.body).packetType === 'coded-frames');
    const audio = g.filter((p) => p.kind === 'audio');
    trafs.forEach((traf, t) => {
      const src = t === 0 ? video : audio;
      const tfdt = traf.children!.find((c) => c.type === 'tfdt')!.body;
      assert.equal(tfdt[0], 1, 'tfdt version 1');
      const base = tfdt.readUInt32BE(8);
      assert.equal(base, t === 0 ? src[0].dts * 90 : Math.round((src[0].dts * 44100) / 1000));
      const trun = traf.children!.find((c) => c.type === 'trun')!.body;
      const flags = trun.readUInt32BE(0) & 0xffffff;
      const count = trun.readUInt32BE(4);
      assert.equal(count, src.length);
      let dataOff = trun.readInt32BE(8);
      const per = flags & 0x800 ? 16 : 8;
      for (let i = 0; i < count; i++) {
        const e = 12 + i * per;
        const dur = trun.readUInt32BE(e);
        const size = trun.readUInt32BE(e + 4);
        const data = t === 0 ? classifyVideo(src[i].body).data : classifyAudio(src[i].body).data;
        assert.equal(size, data.length);
        assert.deepEqual(frag.subarray(dataOff, dataOff + size), data, 'sample bytes at the trun data offset');
        dataOff += size;
        if (t === 0) {
          assert.equal(dur, 3600, '25 fps at 90 kHz');
          assert.equal(trun.readUInt32BE(e + 8), src[i].keyframe ? 0x02000000 : 0x01010000);
          assert.equal(trun.readInt32BE(e + 12), classifyVideo(src[i].body).cts * 90);
        } else if (i + 1 < count) {
          const at = (ms: number) => Math.round((ms * 44100) / 1000);
          assert.equal(dur, at(src[i + 1].dts) - at(src[i].dts), 'audio duration from the next dts');
        } else {
          assert.equal(dur, trun.readUInt32BE(e - per), 'the last sample repeats the previous duration');
        }
      }
    });
  });
  assert.throws(() => w.fragment([]), CodecError);
  assert.throws(() => new Fmp4Writer().fragment(groups[0]), /init/);
});

test('a timestamp jump past 2^32 ticks clamps the sample duration instead of throwing (fuzz crash mp4-export/crash-bdfd31c80034)', () => {
  const packets = packetsOf(FIXTURE);
  const [v, a] = seqHeaders(packets);
  const w = new Fmp4Writer();
  w.init(v, a);
  const audio = packets.filter((p) => p.kind === 'audio' && !p.sequenceHeader).slice(0, 3);
  // the middle frame claims 0xff0000ff ms: 44.1 ticks per ms is far past 32 bits
  const jumped = audio.map((p, i) => Object.assign(Object.create(Object.getPrototypeOf(p)), p, { dts: i === 1 ? 0xff0000ff : p.dts }) as Packet);
  const frag = w.fragment(jumped);
  const trun = find(parseBoxes(frag), 'moof/traf')[0].children!.find((c) => c.type === 'trun')!.body;
  assert.equal(trun.readUInt32BE(4), 3);
  assert.equal(trun.readUInt32BE(12), 0xffffffff, 'the jump is clamped');
  assert.equal(trun.readUInt32BE(20), 0, 'a step back is 0');
});

test('track descriptions from packets', () => {
  const [v, a] = seqHeaders(packetsOf(FIXTURE));
  assert.deepEqual({ ...videoTrackFromPacket(v), record: undefined }, { codec: 'h264', record: undefined, width: 160, height: 120 });
  assert.deepEqual({ ...audioTrackFromPacket(a), asc: undefined }, { codec: 'aac', asc: undefined, sampleRate: 44100, channels: 1 });
  assert.throws(() => videoTrackFromPacket(a), CodecError);
});

test('ffprobe: fixture as fragmented MP4 (a fragment per GOP) decodes cleanly', needFfmpeg, () => withTmp((dir) => {
  const packets = packetsOf(FIXTURE);
  const w = new Fmp4Writer();
  const parts = [w.init(...seqHeaders(packets)), ...gops(packets).map((g) => w.fragment(g))];
  const file = join(dir, 'out.mp4');
  writeFileSync(file, Buffer.concat(parts));
  const info = ffprobe(file);
  const v = info.streams.find((s) => s.codec_type === 'video')!;
  const a = info.streams.find((s) => s.codec_type === 'audio')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.codec_tag_string, 'avc1');
  assert.equal(v.width, 160);
  assert.equal(v.height, 120);
  assert.equal(Number(v.nb_read_frames), 25);
  assert.equal(v.r_frame_rate, '25/1');
  assert.equal(a.codec_name, 'aac');
  assert.equal(a.sample_rate, '44100');
  assert.equal(Number(a.nb_read_frames), packets.filter((p) => p.kind === 'audio' && !p.sequenceHeader).length);
  // FFmpeg wrote the last AAC frame at 1078 ms, so the audio ends at ~1.101 s
  assert.ok(Math.abs(Number(info.format.duration) - 1.1) < 0.01, `duration ${info.format.duration}`);
  assert.equal(decodeErrors(file), '');
}));

test('ffprobe: a DVR file cut mid-fragment still plays its complete fragments', needFfmpeg, () => withTmp((dir) => {
  const flv = ffmpegFlv(dir, 'in.flv', [
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
    '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '25', '-bf', '2', '-c:a', 'aac', '-ac', '2',
  ]);
  const packets = packetsOf(flv);
  const w = new Fmp4Writer();
  const frags = gops(packets).map((g, i) => (i === 0 ? Buffer.concat([w.init(...seqHeaders(packets)), w.fragment(g)]) : w.fragment(g)));
  assert.equal(frags.length, 4);
  const whole = join(dir, 'whole.mp4');
  writeFileSync(whole, Buffer.concat(frags));
  const info = ffprobe(whole);
  assert.equal(Number(info.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), 100);
  assert.equal(info.streams.find((s) => s.codec_type === 'audio')!.channels, 2);
  assert.ok(Math.abs(Number(info.format.duration) - 4.0) < 0.1, `duration ${info.format.duration}`);
  assert.equal(decodeErrors(whole), '');
  // "crash" in the middle of the fourth fragment: the first three still decode
  const cut = join(dir, 'cut.mp4');
  const partial = Buffer.concat([...frags.slice(0, 3), frags[3].subarray(0, frags[3].length >> 1)]);
  writeFileSync(cut, partial);
  const three = join(dir, 'three.mp4');
  writeFileSync(three, Buffer.concat(frags.slice(0, 3)));
  assert.equal(Number(ffprobe(three).streams.find((s) => s.codec_type === 'video')!.nb_read_frames), 75);
  const r = ffprobeLenient(cut);
  assert.ok(r.videoFrames >= 75, `${r.videoFrames} frames readable from the cut file`);
}));

/** frames ffprobe can read from a damaged file (errors about the damage are expected) */
function ffprobeLenient(file: string): { videoFrames: number } {
  const r = spawnSync('ffprobe', ['-v', 'quiet', '-count_frames', '-select_streams', 'v', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return { videoFrames: Number(r.stdout.toString().trim()) };
}

test('ffprobe: H.265 as fragmented MP4 (hvc1/hvcC)', needFfmpeg, () => withTmp((dir) => {
  const packets = hevcPackets(dir, 50);
  const w = new Fmp4Writer();
  const parts = [w.init(packets[0]), ...gops(packets).map((g) => w.fragment(g))];
  const file = join(dir, 'h.mp4');
  writeFileSync(file, Buffer.concat(parts));
  const info = ffprobe(file);
  assert.equal(info.streams.length, 1);
  assert.equal(info.streams[0].codec_name, 'hevc');
  assert.equal(info.streams[0].codec_tag_string, 'hvc1');
  assert.equal(info.streams[0].width, 320);
  assert.equal(Number(info.streams[0].nb_read_frames), 50);
  assert.equal(decodeErrors(file), '');
}));

test('ffprobe: MP3 audio-only fragmented MP4', needFfmpeg, () => withTmp((dir) => {
  const flv = ffmpegFlv(dir, 'a.flv', ['-f', 'lavfi', '-i', 'sine=sample_rate=44100', '-t', '2', '-c:a', 'libmp3lame', '-ac', '1']);
  const packets = packetsOf(flv).filter((p) => p.kind === 'audio');
  const w = new Fmp4Writer();
  const file = join(dir, 'a.mp4');
  writeFileSync(file, Buffer.concat([w.init(undefined, packets[0]), w.fragment(packets.slice(0, 40)), w.fragment(packets.slice(40))]));
  const info = ffprobe(file);
  assert.equal(info.streams[0].codec_name, 'mp3');
  assert.equal(Number(info.streams[0].nb_read_frames), packets.length);
  assert.equal(decodeErrors(file), '');
}));
