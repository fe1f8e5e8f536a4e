/**
 * Fuzz targets of the media side: the FLV demuxer (HTTP-FLV ingest, DVR files), the codec
 * header parsers that read a publisher's bytes (AVC, HEVC, AAC/MP3) and the MPEG-TS muxer
 * fed with whatever a publisher sends (tsrs has no TS demuxer: the muxer is what TS output
 * does with outside bytes). Every one may throw only CodecError.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aacProfileName, buildAdtsHeader, parseAudioSpecificConfig, parseMp3FrameHeader } from '../../src/kernel/aac.js';
import { avcToAnnexB, parseAvcConfig, parseAvcSps, splitNalus } from '../../src/kernel/avc.js';
import { CodecError } from '../../src/kernel/bit-reader.js';
import { encodeFlvHeader, encodeFlvTag, FlvDemuxer, packetFromFlvTag, type FlvTag } from '../../src/kernel/flv.js';
import { classifyAudio, classifyVideo, type FlvAudioTag, type FlvVideoTag } from '../../src/kernel/flv-tag.js';
import { audioTrackFromPacket, videoTrackFromPacket } from '../../src/kernel/fmp4.js';
import { buildHevcConfig, hevcToAnnexB, parseHevcConfig, parseHevcSps } from '../../src/kernel/hevc.js';
import { TsMuxer, TS_PACKET_SIZE } from '../../src/kernel/mpegts.js';
import { Packet } from '../../src/kernel/packet.js';
import { audioInfo, videoInfo } from '../../src/app/codec-info.js';
import { flvToMp4Stream } from '../../src/app/dvr/mp4-export.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FuzzTarget } from './fuzz-helper.js';
import { pieces } from './targets-rtmp.js';

/** Runs fn; a CodecError is what the parser may throw, so it only ends this step. */
export function step<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw err;
  }
}

// --- FLV -----------------------------------------------------------------------

const MAX_TAG = 64 * 1024;

function demux(input: Buffer, d = new FlvDemuxer({ maxTagSize: MAX_TAG })): { d: FlvDemuxer; tags: FlvTag[] } {
  const tags: FlvTag[] = [];
  for (const p of pieces(input)) {
    tags.push(...d.push(p));
    assert.ok(d.pendingBytes <= 11 + MAX_TAG + 4 + 4096, `demuxer holds ${d.pendingBytes} bytes`);
  }
  return { d, tags };
}

export const flvTarget: FuzzTarget = {
  name: 'flv',
  description: 'FlvDemuxer and packetFromFlvTag throw only CodecError, stay failed after one, hold at most one tag',
  errors: [CodecError],
  seeds: () => [
    Buffer.concat([encodeFlvHeader(), encodeFlvTag(18, 0, Buffer.from([2, 0, 10, ...Buffer.from('onMetaData')])), encodeFlvTag(9, 40, Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]))]),
  ],
  maxRandomLength: 2000,
  generators: () => [
    // a valid header then random tags
    fc.uint8Array({ maxLength: 1000 }).map((u) => Buffer.concat([encodeFlvHeader(), u])),
  ],
  run(input) {
    const { d, tags } = demux(input);
    for (const t of tags) {
      assert.ok(t.body.length <= MAX_TAG);
      step(() => packetFromFlvTag(t.type, t.timestamp, t.body));
    }
    d.end();
    return d;
  },
  // The demuxer does not resync (an HTTP-FLV publisher is cut on the first bad tag): the
  // tags before the garbage are all returned, and a failure is a CodecError that sticks.
  afterGarbage(valid, garbage) {
    let want: FlvTag[];
    try {
      want = demux(valid).tags;
    } catch {
      return;
    }
    const d = new FlvDemuxer({ maxTagSize: MAX_TAG });
    const got = d.push(valid);
    assert.equal(got.length, want.length);
    try {
      d.push(garbage);
    } catch (err) {
      assert.ok(err instanceof CodecError, String(err));
      assert.throws(() => d.push(valid), CodecError, 'a failed demuxer must stay failed');
    }
  },
};

/**
 * The classifier's reading of a body, checked: it never throws, its payload is a view inside
 * the body, and its flags agree with each other.
 */
export function videoTag(input: Buffer): FlvVideoTag {
  const t = classifyVideo(input);
  assert.ok(t.data.length === 0 || (t.data.buffer === input.buffer && t.data.byteOffset >= input.byteOffset), 'payload is a view of the body');
  assert.ok(!t.keyframe || t.packetType === 'coded-frames', 'a keyframe is a coded frame');
  assert.equal(t.sequenceStart, t.packetType === 'sequence-start');
  if (t.error) assert.equal(t.codec, 'other');
  return t;
}

export function audioTag(input: Buffer): FlvAudioTag {
  const t = classifyAudio(input);
  assert.ok(t.data.length === 0 || (t.data.buffer === input.buffer && t.data.byteOffset >= input.byteOffset), 'payload is a view of the body');
  assert.equal(t.sequenceStart, t.packetType === 'sequence-start');
  if (t.error) assert.equal(t.codec, 'other');
  return t;
}

/** The tracks and the API's view of them from any body, as a publisher's packets: never throws. */
export function describeVideo(input: Buffer): void {
  videoTag(input);
  const t = Packet.of('video', 0, input).videoTrack;
  if (t) videoInfo(t);
}

export function describeAudio(input: Buffer): void {
  audioTag(input);
  const t = Packet.of('audio', 0, input).audioTrack;
  if (t) audioInfo(t);
}

// --- AVC -----------------------------------------------------------------------

export const avcTarget: FuzzTarget = {
  name: 'avc',
  description: 'AVC tag, avcC, SPS and NALU parsers throw only CodecError; describeVideo never throws',
  errors: [CodecError],
  seeds: () => [
    Buffer.from('6742c00dd90141fb011000000300100000030320f142a480', 'hex'),
    Buffer.from('6764001eacd940b424dff8008000788000000300800000190f8a14cb', 'hex'),
    Buffer.from('67f4001e919b281405ff13ff80018002080000030008000003019078b16cb0', 'hex'),
  ],
  run(input) {
    describeVideo(input); // the stats view: never throws
    step(() => parseAvcSps(input));
    step(() => {
      const s = parseAvcSps(Buffer.concat([Buffer.from([0x67]), input]));
      assert.ok(s.width > 0 && s.height > 0, 'an SPS that parses has a size');
    });
    step(() => parseAvcConfig(input));
    for (const n of [1, 2, 4]) step(() => splitNalus(input, n));
    const tag = videoTag(input);
    if (!tag.error) {
      step(() => videoTrackFromPacket(new Packet('video', 0, input, tag.keyframe, true)));
      const cfg = step(() => parseAvcConfig(tag.data));
      if (cfg) for (const s of cfg.sps) step(() => parseAvcSps(s));
      const frame = step(() => avcToAnnexB(tag.data, cfg?.naluLengthSize ?? 4, cfg, true));
      if (frame) assert.ok(frame.chunks.every((c) => c.length <= input.length + 64));
    }
    return tag;
  },
};

// --- HEVC ----------------------------------------------------------------------

export const hevcTarget: FuzzTarget = {
  name: 'hevc',
  description: 'hvcC, HEVC SPS and enhanced-RTMP tag parsers throw only CodecError; describeVideo never throws',
  errors: [CodecError],
  run(input) {
    describeVideo(input);
    step(() => parseHevcConfig(input));
    step(() => parseHevcSps(input));
    step(() => buildHevcConfig([], [input], []));
    const tag = videoTag(input);
    if (!tag.error) {
      step(() => videoTrackFromPacket(new Packet('video', 0, input, tag.keyframe, true)));
      const cfg = step(() => parseHevcConfig(tag.data));
      if (cfg) for (const s of cfg.sps) step(() => parseHevcSps(s));
      step(() => hevcToAnnexB(tag.data, cfg?.naluLengthSize ?? 4, cfg, true));
    }
    return tag;
  },
};

// --- AAC / MP3 -----------------------------------------------------------------

export const aacTarget: FuzzTarget = {
  name: 'aac',
  description: 'audio tag, AudioSpecificConfig and MP3 header parsers throw only CodecError; describeAudio never throws',
  errors: [CodecError],
  seeds: () => [Buffer.from([0xaf, 0, 0x12, 0x10]), Buffer.from([0xaf, 0, 0x2b, 0x92, 0x08, 0x00]), Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64])],
  maxRandomLength: 64,
  run(input) {
    describeAudio(input);
    step(() => parseMp3FrameHeader(input));
    const asc = step(() => parseAudioSpecificConfig(input));
    if (asc) {
      aacProfileName(asc.objectType);
      step(() => buildAdtsHeader(asc, 100));
    }
    const tag = audioTag(input);
    if (!tag.error) {
      step(() => audioTrackFromPacket(new Packet('audio', 0, input, false, true)));
      step(() => parseAudioSpecificConfig(tag.data));
      step(() => parseMp3FrameHeader(tag.data));
    }
    return tag;
  },
};

// --- MPEG-TS muxer ---------------------------------------------------------------

/** The tags of an FLV file as a publisher's packets (tolerant: the demuxer keeps what it got). */
function packetsOfInput(input: Buffer): Packet[] {
  const d = new FlvDemuxer({ maxTagSize: MAX_TAG, checkPreviousTagSize: false, header: input.subarray(0, 3).toString('latin1') === 'FLV' });
  let tags: FlvTag[] = [];
  try {
    tags = d.push(input);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
  const out: Packet[] = [];
  for (const t of tags) {
    const p = step(() => packetFromFlvTag(t.type, t.timestamp, t.body));
    if (p) out.push(p);
  }
  return out;
}

function muxAll(m: TsMuxer, packets: readonly Packet[]): number {
  let bytes = 0;
  for (const p of packets) {
    const out = step(() => m.mux(p)) ?? [];
    for (const b of out) {
      assert.equal(b.length % TS_PACKET_SIZE, 0, 'whole TS packets');
      for (let i = 0; i < b.length; i += TS_PACKET_SIZE) assert.equal(b[i], 0x47, 'sync byte');
      bytes += b.length;
    }
  }
  for (const b of m.flush()) bytes += b.length;
  return bytes;
}

export const mpegtsTarget: FuzzTarget = {
  name: 'mpegts',
  description: 'TsMuxer fed with a publisher\'s (FLV) packets throws only CodecError and writes whole 0x47 packets',
  errors: [CodecError],
  maxRandomLength: 2000,
  generators: () => [fc.uint8Array({ maxLength: 1500 }).map((u) => Buffer.concat([encodeFlvHeader(), u]))],
  run(input) {
    const packets = packetsOfInput(input);
    for (const [video, audio] of [['h264', 'aac'], ['h265', 'mp3']] as const) {
      const m = new TsMuxer({ video, audio, audioMergeMs: 50 });
      m.writeTables();
      const bytes = muxAll(m, packets);
      // parameter sets are repeated before each keyframe: bounded per packet, not per byte
      assert.ok(bytes <= (packets.length + 2) * 2 * (MAX_TAG + 4096), `${bytes} TS bytes from ${packets.length} packets`);
    }
    return packets;
  },
  // The muxer resyncs: after garbage packets, a valid stream still muxes.
  afterGarbage(valid, garbage) {
    const good = packetsOfInput(valid);
    if (!good.some((p) => p.kind === 'video' && p.keyframe && !p.sequenceHeader)) return;
    const m = new TsMuxer({ video: 'h264', audio: 'aac', audioMergeMs: 0 });
    const bad = [new Packet('video', 0, garbage, true, false), new Packet('video', 0, garbage, true, true), new Packet('audio', 0, garbage, false, true), new Packet('audio', 1, garbage)];
    muxAll(m, bad);
    let after = 0;
    for (const p of good) after += (step(() => m.mux(p)) ?? []).reduce((n, b) => n + b.length, 0);
    assert.ok(after > 0, 'a valid stream after garbage packets wrote nothing');
  },
};

// --- FLV recording -> fragmented MP4 -----------------------------------------------

let exportDir: string | undefined;

/** A recording on disk (damaged, truncated, anything) exported as MP4 through the API's path. */
export const mp4ExportTarget: FuzzTarget = {
  name: 'mp4-export',
  description: 'flvToMp4Stream on any FLV file: exports or refuses ("cannot export as MP4"), throws nothing else',
  errors: [CodecError],
  maxRandomLength: 2000,
  maxMs: 2000, // a file write and read per input
  generators: () => [fc.uint8Array({ maxLength: 1500 }).map((u) => Buffer.concat([encodeFlvHeader(), u]))],
  async run(input) {
    exportDir ??= mkdtempSync(join(tmpdir(), 'tsrs-fuzz-mp4-'));
    const file = join(exportDir, 'rec.flv');
    writeFileSync(file, input);
    let bytes = 0;
    try {
      for await (const chunk of flvToMp4Stream(file)) bytes += (chunk as Buffer).length;
    } catch (err) {
      if (err instanceof Error && /^cannot export as MP4/.test(err.message)) return undefined;
      throw err;
    }
    assert.ok(bytes <= 64 * 1024 + 8 * input.length, `${bytes} MP4 bytes from ${input.length} FLV bytes`);
    return undefined;
  },
};

export const MEDIA_TARGETS = [flvTarget, avcTarget, hevcTarget, aacTarget, mpegtsTarget, mp4ExportTarget];
