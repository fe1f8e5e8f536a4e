import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TsDemuxer, type TsAccessUnit } from './mpegts-demux.js';
import { TsMuxer, TS_PACKET_SIZE, TS_VIDEO_PID, TS_AUDIO_PID, TS_PMT_PID } from './mpegts.js';
import { Packet } from './packet.js';
import { splitNalus, avcNaluType } from './avc.js';
import { classifyAudio, classifyVideo } from './flv-tag.js';
import { hevcNaluType } from './hevc.js';
import { parseAudioSpecificConfig } from './aac.js';
import { parseOpusHead } from './opus.js';
import { TEST_AVC_HEADER, testAvcFrame } from './test-avc.js';
import { ffmpegInput, ffmpegFlv, ffprobeOutput, hevcPackets, needFfmpeg, packetsOf, readKernelFixture, withTmp } from '../../test/fixtures/kernel-media.js';

const FIXTURE = packetsOf(readKernelFixture('h264-aac-160x120.flv'));

function mux(video: 'h264' | 'h265' | undefined, audio: 'aac' | 'mp3' | undefined, packets: Packet[], audioMergeMs = 0): Buffer {
  const m = new TsMuxer({ video, audio, audioMergeMs });
  const out = [m.writeTables()];
  for (const p of packets) out.push(...m.mux(p));
  out.push(...m.flush());
  return Buffer.concat(out);
}

/** A test frame with composition time 0 (testAvcFrame fills its header with 0x11). */
function frame(size: number, key: boolean): Buffer {
  const b = testAvcFrame(size, key);
  b.fill(0, 2, 5);
  return b;
}

function demux(ts: Buffer, d = new TsDemuxer(), piece = 0): TsAccessUnit[] {
  const out: TsAccessUnit[] = [];
  if (piece <= 0) out.push(...d.push(ts));
  else for (let i = 0; i < ts.length; i += piece) out.push(...d.push(ts.subarray(i, i + piece)));
  out.push(...d.end());
  return out;
}

/** NAL units of a frame without what the muxer adds (AUD, parameter sets), as hex. */
const sliceNalus = (nalus: Buffer[], codec: 'h264' | 'h265') =>
  nalus.filter((n) => (codec === 'h264' ? ![7, 8, 9].includes(avcNaluType(n)) : ![32, 33, 34, 35].includes(hevcNaluType(n)))).map((n) => n.toString('hex'));

function checkVideo(units: TsAccessUnit[], packets: Packet[], codec: 'h264' | 'h265'): void {
  // coded frames (the muxer skips an end of sequence)
  const frames = packets.filter((p) => p.kind === 'video' && classifyVideo(p.body).packetType === 'coded-frames');
  const got = units.filter((u) => u.kind === 'video');
  assert.equal(got.length, frames.length, 'one access unit per frame');
  frames.forEach((p, i) => {
    const tag = classifyVideo(p.body);
    const u = got[i];
    assert.equal(u.codec, codec);
    assert.equal(u.dts, p.dts * 90, `dts of frame ${i}`);
    assert.equal(u.pts, (p.dts + tag.cts) * 90, `pts of frame ${i}`);
    assert.equal(u.keyframe, p.keyframe, `keyframe ${i}`);
    assert.deepEqual(sliceNalus(u.nalus!, codec), sliceNalus(splitNalus(tag.data, 4), codec), `NAL units of frame ${i}`);
  });
}

test('TS muxer -> TS demuxer reproduces H.264 and AAC frames and timestamps, in any piece sizes', () => {
  const ts = mux('h264', 'aac', FIXTURE);
  const asc = classifyAudio(FIXTURE.find((p) => p.kind === 'audio' && p.sequenceHeader)!.body).data;
  const audio = FIXTURE.filter((p) => p.kind === 'audio' && !p.sequenceHeader);
  for (const piece of [0, 1, 100, 1316, 7777]) {
    const d = new TsDemuxer();
    const units = demux(ts, d, piece);
    checkVideo(units, FIXTURE, 'h264');
    const got = units.filter((u) => u.kind === 'audio');
    assert.equal(got.length, audio.length);
    audio.forEach((p, i) => {
      assert.equal(got[i].pts, p.dts * 90);
      assert.ok(got[i].data.equals(classifyAudio(p.body).data), `AAC frame ${i}`);
      // ADTS carries object type, rate index and channels: the 2-byte form of the publisher's config
      const [a, b] = [parseAudioSpecificConfig(got[i].config!), parseAudioSpecificConfig(asc)];
      assert.deepEqual([a.coreObjectType, a.sampleRate, a.channelConfig], [b.coreObjectType, b.sampleRate, b.channelConfig]);
    });
    assert.deepEqual(d.tracks.map((t) => [t.pid, t.codec]), [[TS_VIDEO_PID, 'h264'], [TS_AUDIO_PID, 'aac']]);
    assert.deepEqual([d.stats.ccErrors, d.stats.droppedPes, d.stats.resyncs, d.stats.crcErrors], [0, 0, 0, 0]);
  }
});

test('merged audio PES: every ADTS frame comes out, timestamps advanced by 1024 samples', () => {
  const audio = FIXTURE.filter((p) => p.kind === 'audio' && !p.sequenceHeader);
  const got = demux(mux('h264', 'aac', FIXTURE, 200)).filter((u) => u.kind === 'audio');
  assert.equal(got.length, audio.length);
  // FLV timestamps are whole milliseconds: within 2 ms of them
  audio.forEach((p, i) => assert.ok(Math.abs(got[i].pts - p.dts * 90) <= 180, `frame ${i}: ${got[i].pts} vs ${p.dts * 90}`));
  assert.equal(got[0].sampleRate, 44100);
});

test('TS muxer -> TS demuxer: H.265 and MP3', needFfmpeg, () => withTmp((dir) => {
  const hevc = hevcPackets(dir, 40);
  checkVideo(demux(mux('h265', undefined, hevc)), hevc, 'h265');
  const mp3 = packetsOf(ffmpegFlv(dir, 'a.flv', ['-f', 'lavfi', '-i', 'sine=sample_rate=44100:duration=1', '-c:a', 'libmp3lame']));
  const frames = mp3.filter((p) => p.kind === 'audio');
  const got = demux(mux(undefined, 'mp3', mp3));
  assert.equal(got.length, frames.length);
  frames.forEach((p, i) => {
    assert.ok(got[i].data.equals(classifyAudio(p.body).data));
    assert.equal(got[i].pts, p.dts * 90);
  });
}));

test('PTS/DTS wrap at 2^33: timestamps continue on one line', () => {
  const start = Math.floor(2 ** 33 / 90) - 200; // ms, 200 ms before the 33-bit wrap
  const packets = [new Packet('video', start, TEST_AVC_HEADER, true, true)];
  for (let i = 0; i < 20; i++) packets.push(new Packet('video', start + i * 40, frame(500, i === 0), i === 0));
  const got = demux(mux('h264', undefined, packets));
  assert.deepEqual(got.map((u) => u.dts), packets.slice(1).map((p) => p.dts * 90));
  assert.ok(got[got.length - 1].dts > 2 ** 33);
  // a PTS past the wrap while its DTS is not yet: placed next to the DTS
  const body = frame(500, true);
  body.writeIntBE(160, 2, 3); // composition time
  const late = [packets[0], new Packet('video', start + 100, body, true, false, 160)];
  const [u] = demux(mux('h264', undefined, late));
  assert.deepEqual([u.dts, u.pts], [(start + 100) * 90, (start + 260) * 90]);
});

/** The TS packets of a stream, and which of them start a PES on `pid`. */
function tsPackets(ts: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < ts.length; i += TS_PACKET_SIZE) out.push(ts.subarray(i, i + TS_PACKET_SIZE));
  return out;
}
const pidOf = (p: Buffer) => ((p[1] & 0x1f) << 8) | p[2];
const pusi = (p: Buffer) => (p[1] & 0x40) !== 0;

test('a lost packet (continuity gap) drops that PES only, and is counted', () => {
  const packets = tsPackets(mux('h264', 'aac', FIXTURE));
  // the second packet of the third video PES that spans more than one packet
  let starts = 0;
  let victim = -1;
  for (let i = 0; i + 1 < packets.length && victim < 0; i++) {
    if (pidOf(packets[i]) === TS_VIDEO_PID && pusi(packets[i]) && pidOf(packets[i + 1]) === TS_VIDEO_PID && !pusi(packets[i + 1]) && ++starts === 3) victim = i + 1;
  }
  const lossy = Buffer.concat(packets.filter((_, i) => i !== victim));
  const d = new TsDemuxer();
  const units = demux(lossy, d);
  const full = demux(Buffer.concat(packets));
  const video = (us: TsAccessUnit[]) => us.filter((u) => u.kind === 'video').map((u) => u.dts);
  const lost = video(full).filter((t) => !video(units).includes(t));
  assert.equal(lost.length, 1, 'exactly one frame lost');
  assert.deepEqual([d.stats.ccErrors, d.stats.droppedPes], [1, 1]);
  assert.match(d.lastError ?? '', /continuity_counter gap on PID 256/);
  assert.equal(units.filter((u) => u.kind === 'audio').length, full.filter((u) => u.kind === 'audio').length, 'audio untouched');
  // a duplicated packet is skipped, not a gap
  const dup = Buffer.concat(packets.flatMap((p, i) => (i === victim ? [p, p] : [p])));
  const d2 = new TsDemuxer();
  assert.equal(demux(dup, d2).length, full.length);
  assert.equal(d2.stats.ccErrors, 0);
});

test('lost sync: garbage between packets and a cut packet are skipped, the rest demuxes', () => {
  const packets = tsPackets(mux('h264', 'aac', FIXTURE));
  const full = demux(Buffer.concat(packets));
  // 77 bytes of garbage after the tables, and a run of 0x47 bytes
  const garbage = Buffer.concat([packets[0], packets[1], Buffer.alloc(77, 0x47), Buffer.alloc(10, 0x12), ...packets.slice(2)]);
  for (const piece of [0, 188, 500, 1316]) {
    const d = new TsDemuxer();
    const units = demux(garbage, d, piece);
    // fed a packet at a time, a 0x47 at a piece's start cannot be checked against the next
    // packet: the garbage may take the packet it overlaps with it
    if (piece === 188) assert.ok(units.length >= full.length - 1, `piece ${piece}: ${units.length}`);
    else assert.equal(units.length, full.length, `piece ${piece}`);
    assert.ok(d.stats.resyncs >= 1 && d.stats.skippedBytes >= 87, JSON.stringify(d.stats));
  }
  // half a packet missing: its PES is dropped, sync comes back
  const cut = Buffer.concat([...packets.slice(0, 40), packets[40].subarray(0, 90), ...packets.slice(41)]);
  const d = new TsDemuxer();
  const units = demux(cut, d);
  assert.ok(units.length >= full.length - 2 && units.length < full.length, `${units.length} of ${full.length}`);
  assert.ok(d.stats.resyncs >= 1);
});

test('PSI: a PMT with a bad CRC is ignored and counted; nothing is demuxed without one', () => {
  const packets = tsPackets(mux('h264', 'aac', FIXTURE)).map((p) => Buffer.from(p));
  for (const p of packets) if (pidOf(p) === TS_PMT_PID) p[20] ^= 0xff; // inside the section
  const d = new TsDemuxer();
  assert.equal(demux(Buffer.concat(packets), d).length, 0);
  assert.ok(d.stats.crcErrors >= 1);
  assert.deepEqual(d.tracks, []);
});

test('bounds: a PES over maxPesBytes is dropped with a clear error; pending data stays under the bound', () => {
  const packets = [new Packet('video', 0, TEST_AVC_HEADER, true, true)];
  for (let i = 0; i < 10; i++) packets.push(new Packet('video', i * 40, frame(i % 2 ? 500 : 50_000, i % 2 === 0), i % 2 === 0));
  const ts = mux('h264', undefined, packets);
  const d = new TsDemuxer({ maxPesBytes: 10_000, maxPendingBytes: 20_000 });
  const units: TsAccessUnit[] = [];
  for (let i = 0; i < ts.length; i += 1316) {
    units.push(...d.push(ts.subarray(i, i + 1316)));
    assert.ok(d.pendingBytes <= 20_000 + 188, `${d.pendingBytes} bytes pending`);
  }
  units.push(...d.end());
  assert.equal(units.length, 5, 'the small frames');
  assert.equal(d.stats.oversizedPes, 5);
  assert.match(d.lastError ?? '', /PES over 10000 bytes on PID 256/);
});

// --- FFmpeg-made files, counted against ffprobe ------------------------------------------

function ffprobePackets(file: string): Map<number, { codec: string; pts: number[] }> {
  const j = JSON.parse(ffprobeOutput(file, ['-v', 'error', '-show_entries', 'stream=index,codec_name:packet=stream_index,pts', '-of', 'json'])) as { streams: { index: number; codec_name: string }[]; packets: { stream_index: number; pts: number }[] };
  const m = new Map<number, { codec: string; pts: number[] }>();
  for (const s of j.streams) m.set(s.index, { codec: s.codec_name, pts: [] });
  for (const p of j.packets) m.get(p.stream_index)!.pts.push(p.pts);
  return m;
}

const NAMES: Record<string, string> = { h264: 'h264', h265: 'hevc', aac: 'aac', mp3: 'mp3', opus: 'opus' };

for (const [name, args] of [
  ['H.264 + AAC', ['-c:v', 'libx264', '-bf', '2', '-g', '25', '-c:a', 'aac']],
  ['H.265 + AAC', ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25', '-c:a', 'aac']],
  ['H.264 + MP3', ['-c:v', 'libx264', '-c:a', 'libmp3lame']],
  ['H.264 + Opus', ['-c:v', 'libx264', '-c:a', 'libopus', '-ac', '2']],
] as const) {
  test(`FFmpeg-made TS (${name}) demuxes to ffprobe's packet count and timestamps`, needFfmpeg, () => withTmp((dir) => {
    const file = join(dir, 'in.ts');
    const ts = ffmpegInput(file, ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
      '-t', '2', '-pix_fmt', 'yuv420p', ...args, '-f', 'mpegts']);
    const d = new TsDemuxer();
    const units = demux(ts, d, 1316);
    const probe = ffprobePackets(file);
    assert.equal(d.tracks.length, 2);
    d.tracks.forEach((t, i) => {
      const mine = units.filter((u) => u.pid === t.pid);
      const want = probe.get(i)!;
      assert.equal(NAMES[t.codec], want.codec);
      assert.equal(mine.length, want.pts.length, `${t.codec}: access units vs ffprobe packets`);
      assert.deepEqual(mine.map((u) => u.pts).sort((a, b) => a - b), [...want.pts].sort((a, b) => a - b), `${t.codec} timestamps`);
      if (t.codec === 'opus') {
        const head = parseOpusHead(mine[0].config!);
        assert.equal(head.channels, 2);
      }
    });
    assert.ok(units.some((u) => u.kind === 'video' && u.keyframe));
    assert.deepEqual([d.stats.ccErrors, d.stats.droppedPes, d.stats.crcErrors], [0, 0, 0]);
  }));
}

test('2% of UDP datagrams lost: the demuxer goes on, loses only the frames hit, counts the gaps', needFfmpeg, () => withTmp((dir) => {
  const file = join(dir, 'in.ts');
  const ts = ffmpegInput(file, ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
    '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-qp', '4', '-g', '25', '-c:a', 'aac', '-f', 'mpegts']);
  const full = demux(ts);
  // 7 packets a datagram, as FFmpeg sends MPEG-TS over UDP; a fixed pseudo-random 2% lost. A lost
  // datagram costs the PES it cuts on each PID, and the next one on a PID whose start it held.
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const datagrams: Buffer[] = [];
  let lost = 0;
  for (let i = 0; i < ts.length; i += 1316) {
    if (i > 2 * 1316 && random() < 0.02) lost++;
    else datagrams.push(ts.subarray(i, i + 1316));
  }
  assert.ok(lost >= 2, `${lost} of ${datagrams.length + lost} datagrams lost`);
  const d = new TsDemuxer();
  const units: TsAccessUnit[] = [];
  for (const g of datagrams) units.push(...d.push(g));
  units.push(...d.end());
  // a lost datagram is one gap on each of the two PIDs at most, and breaks at most one PES on each
  assert.ok(d.stats.ccErrors >= 1 && d.stats.ccErrors <= 2 * lost && d.stats.droppedPes >= 1 && d.stats.droppedPes <= 2 * lost, JSON.stringify(d.stats));
  // FFmpeg puts several AAC frames in one PES: a hit PES may cost a few audio frames
  assert.ok(units.length >= 0.8 * full.length && units.length < full.length, `${units.length} of ${full.length} access units, ${lost} datagrams lost`);
  // what comes out is what was sent: every access unit is one of the lossless run's, in order
  const key = (u: TsAccessUnit) => `${u.pid}/${u.dts}/${u.data.toString('base64')}`;
  const sent = full.map(key);
  let at = 0;
  for (const u of units) {
    const i = sent.indexOf(key(u), at);
    assert.ok(i >= 0, `access unit at ${u.dts} (PID ${u.pid}) is not one that was sent`);
    at = i + 1;
  }
}));
