/**
 * Fuzz targets of the two-way kernel's parsers of outside bytes: the FLV tag classifier
 * (every publisher's audio/video body, legacy and enhanced RTMP), the MPEG-TS demuxer
 * (MPEG-TS over UDP, SRT), the Annex B splitter and its conversions, and the Opus
 * header/packet parsers (with the Opus-in-TS framing), and the RTP H.264 depacketizer (every
 * WebRTC publisher's video).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../src/kernel/bit-reader.js';
import { parseAudioSpecificConfig } from '../../src/kernel/aac.js';
import {
  annexBToLengthPrefixed, avcConfigFromNalus, hevcConfigFromNalus, lengthPrefixedToAnnexB, parameterSetsOf, splitAnnexB,
} from '../../src/kernel/annexb.js';
import { TsMuxer, TS_AUDIO_PID, TS_PMT_PID, TS_VIDEO_PID } from '../../src/kernel/mpegts.js';
import { TsDemuxer, type TsAccessUnit } from '../../src/kernel/mpegts-demux.js';
import { accessUnitsOf } from '../../src/kernel/mpegts-es.js';
import { buildOpusHead, parseOpusHead, parseOpusPacket, parseOpusToc } from '../../src/kernel/opus.js';
import { H264Depacketizer, type H264AccessUnit } from '../../src/kernel/rtp-h264-depacketize.js';
import { packetizeH264 } from '../../src/kernel/rtp-h264.js';
import type { FuzzTarget } from './fuzz-helper.js';
import { pieces } from './targets-rtmp.js';
import { classifyAudio, classifyVideo } from '../../src/kernel/flv-tag.js';
import { audioTag, describeAudio, describeVideo, step, videoTag } from './targets-media.js';

// --- FLV tag classifier ------------------------------------------------------------

const VIDEO_FOURCCS = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'xxxx'];
const AUDIO_FOURCCS = ['Opus', 'mp4a', '.mp3', 'fLaC', 'ac-3', 'ec-3', 'xxxx'];
const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** Enhanced RTMP video: IsExHeader, FrameType, PacketType, FourCC, then the payload (CTS first for CodedFrames). */
const exVideo = (frameType: number, packetType: number, fourcc: string, payload: Uint8Array) =>
  Buffer.concat([Buffer.from([0x80 | (frameType << 4) | packetType]), latin1(fourcc), payload]);
/** Enhanced RTMP audio (SoundFormat 9): AudioPacketType, FourCC, payload. */
const exAudio = (packetType: number, fourcc: string, payload: Uint8Array) => Buffer.concat([Buffer.from([0x90 | packetType]), latin1(fourcc), payload]);

export const flvTagTarget: FuzzTarget = {
  name: 'flv-tag',
  description: 'classifyVideo/classifyAudio never throw, give views of the body with flags that agree, read the same twice; the tracks of any body never throw',
  errors: [],
  maxRandomLength: 600,
  seeds: () => [
    Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x0c, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x0c, 1, 0, 2, 0x68, 0xeb]), // AVC sequence header
    Buffer.from([0x27, 1, 0xff, 0xff, 0xd8, 0, 0, 0, 2, 0x41, 0x9a]), // AVC inter frame, CTS -40
    exVideo(1, 0, 'hvc1', Buffer.from([1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0])),
    exVideo(1, 1, 'hvc1', Buffer.from([0, 0, 0x50, 0, 0, 0, 3, 0x26, 1, 0xaf])), // CodedFrames with CTS 80
    exVideo(2, 3, 'hvc1', Buffer.from([0, 0, 0, 3, 2, 1, 0xd0])), // CodedFramesX
    exVideo(1, 0, 'av01', Buffer.from([0x81, 0, 0x0c, 0])),
    exVideo(5, 0, 'avc1', Buffer.alloc(0)), // a command frame: no FourCC, these bytes are its payload
    exAudio(0, 'Opus', Buffer.concat([latin1('OpusHead'), Buffer.from([1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])])),
    exAudio(1, 'Opus', Buffer.from([0xfc, 0xff, 0xfe])),
    exAudio(0, 'mp4a', Buffer.from([0x12, 0x10])),
    Buffer.from([0xaf, 0, 0x12, 0x10]), // legacy AAC sequence header
    Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64]), // legacy MP3
  ],
  generators: () => [
    fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 15 }), fc.constantFrom(...VIDEO_FOURCCS), fc.uint8Array({ maxLength: 64 }))
      .map(([frameType, packetType, fourcc, payload]) => exVideo(frameType, packetType, fourcc, payload)),
    fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom(...AUDIO_FOURCCS), fc.uint8Array({ maxLength: 64 }))
      .map(([packetType, fourcc, payload]) => exAudio(packetType, fourcc, payload)),
    // legacy: any first byte, an AVC/HEVC packet type and a CTS
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 3, maxLength: 3 }), fc.uint8Array({ maxLength: 64 }))
      .map(([b0, t, cts, payload]) => Buffer.concat([Buffer.from([b0, t]), cts, payload])),
  ],
  run(input) {
    const v = videoTag(input);
    const a = audioTag(input);
    assert.deepEqual(classifyVideo(input), v, 'the same reading twice');
    assert.deepEqual(classifyAudio(input), a, 'the same reading twice');
    // a command frame carries no FourCC (E-RTMP: a VideoCommand byte instead)
    if (v.enhanced && !v.error && v.packetType !== 'command') assert.equal(v.fourcc?.length, 4, 'an enhanced tag has its FourCC');
    if (a.enhanced && !a.error && a.packetType !== 'multitrack') assert.equal(a.fourcc?.length, 4, 'enhanced audio has its FourCC');
    assert.ok(v.cts >= -(2 ** 23) && v.cts < 2 ** 23, `CTS ${v.cts} is a signed 24-bit value`);
    describeVideo(input);
    describeAudio(input);
    return [v, a];
  },
};

// --- MPEG-TS demuxer ---------------------------------------------------------------

const MAX_PES = 64 * 1024;
const MAX_PENDING = 96 * 1024;

function demuxAll(input: Buffer): { d: TsDemuxer; units: TsAccessUnit[] } {
  const d = new TsDemuxer({ maxPesBytes: MAX_PES, maxPendingBytes: MAX_PENDING });
  const units: TsAccessUnit[] = [];
  for (const p of pieces(input)) {
    units.push(...d.push(p));
    assert.ok(d.pendingBytes <= MAX_PENDING + 3 * 188, `demuxer holds ${d.pendingBytes} bytes`);
  }
  units.push(...d.end());
  for (const u of units) {
    assert.ok(u.data.length <= MAX_PES, `access unit of ${u.data.length} bytes`);
    assert.ok(Number.isSafeInteger(u.pts) && Number.isSafeInteger(u.dts), `timestamps ${u.pts}/${u.dts}`);
    if (u.kind === 'video') assert.ok(u.nalus!.length > 0 && u.nalus!.every((n) => n.length > 0 && n.buffer === u.data.buffer));
    if (u.codec === 'aac') parseAudioSpecificConfig(u.config!); // a derived config always parses
    if (u.codec === 'opus' && u.config) parseOpusHead(u.config);
  }
  return { d, units };
}

/** One 188-byte packet on one of the muxer's PIDs with the given header flags and payload. */
const tsPacketArb = fc
  .tuple(fc.constantFrom(0, TS_PMT_PID, TS_VIDEO_PID, TS_AUDIO_PID, 0x1fff), fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.uint8Array({ maxLength: 184 }))
  .map(([pid, flags, start, payload]) => {
    const p = Buffer.alloc(188, 0xff);
    p[0] = 0x47;
    p[1] = (start ? 0x40 : 0) | (pid >> 8);
    p[2] = pid & 0xff;
    p[3] = flags;
    p.set(payload, 4);
    return p;
  });

function tables(): Buffer {
  return new TsMuxer({ video: 'h264', audio: 'aac' }).writeTables();
}

export const tsDemuxTarget: FuzzTarget = {
  name: 'mpegts-demux',
  description: 'TsDemuxer never throws, holds at most its bounds, and returns well-formed access units',
  errors: [],
  maxRandomLength: 4000,
  generators: () => [
    // the real tables, then packets with random headers and payloads
    fc.array(tsPacketArb, { maxLength: 12 }).map((ps) => Buffer.concat([tables(), ...ps])),
    // a PES start with a plausible header on the video/audio PID
    fc.tuple(fc.constantFrom(TS_VIDEO_PID, TS_AUDIO_PID), fc.uint8Array({ maxLength: 170 })).map(([pid, body]) => {
      const p = Buffer.alloc(188, 0xff);
      p.set([0x47, 0x40 | (pid >> 8), pid & 0xff, 0x10, 0, 0, 1, pid === TS_VIDEO_PID ? 0xe0 : 0xc0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]);
      p.set(body.subarray(0, 170), 18);
      return Buffer.concat([tables(), p, p]);
    }),
  ],
  run(input) {
    return demuxAll(input).d;
  },
  // The demuxer resyncs: a valid stream after garbage still demuxes in full.
  afterGarbage(valid, garbage) {
    const want = demuxAll(valid).units.length;
    const got = demuxAll(Buffer.concat([valid, garbage, valid])).units.length;
    assert.ok(got >= want, `${got} access units from valid + garbage + valid, ${want} from valid alone`);
  },
};

// --- Annex B -----------------------------------------------------------------------

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export const annexBTarget: FuzzTarget = {
  name: 'annexb',
  description: 'splitAnnexB returns start-code-free subarrays; Annex B -> AVCC -> Annex B keeps the NAL units; config builders throw only CodecError',
  errors: [CodecError],
  maxRandomLength: 2000,
  generators: () => [
    // NAL-unit-like chunks joined by 3- and 4-byte start codes, zeros included
    fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 40 }).map((u) => u.map((b) => (b < 64 ? 0 : b)))), { maxLength: 12 })
      .map((ns) => Buffer.concat(ns.flatMap(([four, n]) => [Buffer.from(four ? [0, 0, 0, 1] : [0, 0, 1]), n]))),
  ],
  run(input) {
    const nalus = splitAnnexB(input);
    for (const n of nalus) {
      assert.ok(n.length > 0 && n[n.length - 1] !== 0, 'a NAL unit is not empty and does not end in 00');
      assert.equal(n.buffer, input.buffer, 'a subarray of the input');
      assert.equal(n.indexOf(Buffer.from([0, 0, 1])), -1, 'no start code inside a NAL unit');
    }
    const avcc = annexBToLengthPrefixed(input);
    assert.deepEqual(splitAnnexB(lengthPrefixedToAnnexB(avcc)).map(hex), nalus.map(hex), 'round trip');
    parameterSetsOf(nalus, 'h264');
    parameterSetsOf(nalus, 'h265');
    step(() => avcConfigFromNalus(nalus));
    step(() => hevcConfigFromNalus(nalus));
    step(() => lengthPrefixedToAnnexB(input));
    return nalus;
  },
};

// --- Opus --------------------------------------------------------------------------

export const opusTarget: FuzzTarget = {
  name: 'opus',
  description: 'OpusHead and Opus packet parsers throw only CodecError; parsed headers rebuild; TS Opus framing never throws',
  errors: [CodecError],
  maxRandomLength: 1500,
  seeds: () => [
    buildOpusHead({ channels: 2, preSkip: 312 }),
    buildOpusHead({ channels: 6, mappingFamily: 1, streamCount: 4, coupledCount: 2, channelMapping: [0, 4, 1, 2, 3, 5] }),
    Buffer.from([0xfc, 0xff, 0xfe]),
    Buffer.from([0x7f, 0xe0, 3, 0xfc, 1, 2]),
  ],
  run(input) {
    if (input.length > 0) parseOpusToc(input[0]);
    const p = step(() => parseOpusPacket(input));
    if (p) {
      assert.ok(p.frameCount >= 1 && p.frameCount <= 48 && p.samples <= 5760, `${p.frameCount} frames, ${p.samples} samples`);
      assert.ok(p.frameSizes.reduce((a, b) => a + b, 0) < input.length, 'frames inside the packet');
    }
    const head = step(() => parseOpusHead(input));
    if (head) {
      const again = parseOpusHead(buildOpusHead(head));
      assert.deepEqual({ ...again, version: head.version }, head, 'a parsed header rebuilds to itself');
    }
    // the same bytes as a PES payload of an Opus stream in MPEG-TS
    const units = accessUnitsOf({ pid: 0x101, codec: 'opus', opusChannelConfig: input.length ? input[0] % 10 : undefined, droppedBytes: 0 }, input, 0, 0);
    for (const u of units) assert.ok(u.data.length > 0 && u.data.buffer === input.buffer);
    return head;
  },
};



// --- RTP H.264 depacketizer (WebRTC publishers) -------------------------------------

const RTP_LIMITS = { maxAccessUnitBytes: 1024, maxNalus: 8 };

/**
 * The input as RTP packets: each record is a flags byte (bit 0 marker, bit 1 next timestamp,
 * bit 2 skip a sequence number, bit 3 go back one), a length byte, then that many payload bytes.
 */
function rtpRecords(input: Buffer): { payload: Buffer; seq: number; timestamp: number; marker: boolean }[] {
  const out: { payload: Buffer; seq: number; timestamp: number; marker: boolean }[] = [];
  let seq = 65500;
  let timestamp = 0xfffff000;
  for (let at = 0; at + 2 <= input.length; ) {
    const flags = input[at];
    const len = input[at + 1];
    const payload = input.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    if (flags & 2) timestamp = (timestamp + 3000) >>> 0;
    if (flags & 4) seq = (seq + 1) & 0xffff;
    if (flags & 8) seq = (seq - 2) & 0xffff;
    out.push({ payload, seq, timestamp, marker: (flags & 1) !== 0 });
    seq = (seq + 1) & 0xffff;
  }
  return out;
}

/** Records of packetizeH264's own packets (the valid shape), one access unit per timestamp. */
function rtpSeed(units: Buffer[][]): Buffer {
  const parts: Buffer[] = [];
  for (const au of units) {
    const pkts = packetizeH264(au, 0, { maxPayload: 200 });
    pkts.forEach((p, i) => parts.push(Buffer.from([(i === 0 ? 2 : 0) | (i === pkts.length - 1 ? 1 : 0), p.payload.length]), p.payload));
  }
  return Buffer.concat(parts);
}

export const rtpH264Target: FuzzTarget = {
  name: 'rtp-h264',
  description: 'H264Depacketizer never throws, holds at most maxAccessUnitBytes and returns access units within its bounds',
  errors: [],
  maxRandomLength: 2048,
  seeds: () => {
    const nal = (type: number, size: number) => Buffer.concat([Buffer.from([0x60 | type]), Buffer.alloc(size - 1, type)]);
    return [
      rtpSeed([[nal(7, 8), nal(8, 4), nal(5, 900)], [nal(1, 300)], [nal(1, 150), nal(1, 20)]]),
      rtpSeed([[nal(5, 3000)], [nal(1, 5000)]]),
    ];
  },
  run(input) {
    const d = new H264Depacketizer(RTP_LIMITS);
    const units: H264AccessUnit[] = [];
    for (const p of rtpRecords(input)) {
      for (const au of d.push(p.payload, p.seq, p.timestamp, p.marker)) {
        const bytes = au.nalus.reduce((n, x) => n + x.length, 0);
        assert.ok(au.nalus.length >= 1 && au.nalus.length <= RTP_LIMITS.maxNalus, `${au.nalus.length} NAL units`);
        assert.ok(bytes <= RTP_LIMITS.maxAccessUnitBytes, `an access unit of ${bytes} bytes`);
        assert.ok(au.nalus.every((n) => n.length > 0), 'an empty NAL unit');
        assert.equal(au.keyframe, au.nalus.some((n) => (n[0] & 0x1f) === 5));
        units.push(au);
      }
      assert.ok(d.pendingBytes <= RTP_LIMITS.maxAccessUnitBytes, `holds ${d.pendingBytes} bytes`);
    }
    return units;
  },
};

export const KERNEL_TARGETS = [flvTagTarget, tsDemuxTarget, annexBTarget, opusTarget, rtpH264Target];
