import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { H264RtpPayload, OpusRtpPayload, RtpHeader, RtpPacket } from 'werift';
import { CodecError } from './bit-reader.js';
import { packetizeH264 } from './rtp-h264.js';
import { opusTicksFrom90k, packetizeOpus } from './rtp-opus.js';
import type { RtpPayloadOut } from './rtp-payload.js';
import { nalusToAnnexB } from './annexb.js';
import { parseAvcConfig, splitNalus } from './avc.js';
import { classifyVideo } from './flv-tag.js';
import { TsDemuxer } from './mpegts-demux.js';
import { opusPacketSamples } from './opus.js';
import { ffmpegInput, ffmpegFlv, needFfmpeg, packetsOf, readKernelFixture, withTmp } from '../../test/fixtures/kernel-media.js';

interface AccessUnit { nalus: Buffer[]; pts90k: number }

/** Access units as an RTP sender has them: parameter sets before each keyframe. */
function accessUnits(flv: Buffer): AccessUnit[] {
  const out: AccessUnit[] = [];
  let ps: Buffer[] = [];
  for (const p of packetsOf(flv)) {
    if (p.kind !== 'video') continue;
    const tag = classifyVideo(p.body);
    if (tag.sequenceStart) {
      const cfg = parseAvcConfig(tag.data);
      ps = [...cfg.sps, ...cfg.pps];
    } else if (tag.packetType === 'coded-frames') {
      out.push({ nalus: [...(p.keyframe ? ps : []), ...splitNalus(tag.data, 4)], pts90k: (p.dts + tag.cts) * 90 });
    }
  }
  return out;
}

/** Through real RTP packets (werift serializes and parses the header), then werift's H.264 depacketizer. */
function viaWerift(packets: RtpPayloadOut[], seq0: number): { aus: { annexB: Buffer; timestamp: number }[]; types: Set<number> } {
  const aus: { annexB: Buffer; timestamp: number }[] = [];
  const types = new Set<number>();
  let parts: Buffer[] = [];
  let fragment: Buffer | undefined;
  packets.forEach((p, i) => {
    const wire = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: (seq0 + i) & 0xffff, timestamp: p.timestamp, marker: p.marker, ssrc: 1234 }), p.payload).serialize();
    const rtp = RtpPacket.deSerialize(wire);
    types.add(rtp.payload[0] & 0x1f);
    const h = H264RtpPayload.deSerialize(rtp.payload, fragment);
    fragment = h.fragment;
    if (h.payload) parts.push(h.payload);
    if (rtp.header.marker) {
      aus.push({ annexB: Buffer.concat(parts), timestamp: rtp.header.timestamp });
      parts = [];
    }
  });
  return { aus, types };
}

test('H.264: packetize -> werift depacketize reproduces every access unit and its timestamp', needFfmpeg, () => withTmp((dir) => {
  // B-frames (PTS out of decode order) and big keyframes
  const flv = ffmpegFlv(dir, 'v.flv', ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-frames:v', '50', '-c:v', 'libx264', '-bf', '2', '-g', '25']);
  const aus = [...accessUnits(flv), ...accessUnits(readKernelFixture('h264-aac-160x120.flv'))];
  assert.ok(aus.length > 60);
  for (const maxPayload of [1200, 100]) {
    const offset = 2 ** 32 - 5000; // the RTP timestamp wraps during the stream
    const packets = aus.flatMap((au) => packetizeH264(au.nalus, au.pts90k, { maxPayload, timestampOffset: offset }));
    for (const p of packets) assert.ok(p.payload.length <= maxPayload, `payload of ${p.payload.length} bytes`);
    assert.equal(packets.filter((p) => p.marker).length, aus.length, 'one marker per access unit');
    const { aus: back, types } = viaWerift(packets, 65000);
    assert.equal(back.length, aus.length);
    aus.forEach((au, i) => {
      assert.ok(back[i].annexB.equals(nalusToAnnexB(au.nalus)), `access unit ${i} at max payload ${maxPayload}`);
      assert.equal(back[i].timestamp, (au.pts90k + offset) % 2 ** 32);
    });
    assert.ok(types.has(24), 'SPS + PPS went in a STAP-A');
    assert.ok(types.has(28), 'big slices went as FU-A');
    assert.ok(types.has(1) || types.has(5), 'single NAL unit packets');
  }
}));

test('H.264 packetization details: single NAL units are subarrays, STAP-A and FU-A headers', () => {
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1e]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const idr = Buffer.alloc(250, 7);
  idr[0] = 0x65;
  const [stap, ...fus] = packetizeH264([sps, pps, idr], 1000, { maxPayload: 100 });
  assert.equal(stap.payload.toString('hex'), '78' + '0004' + sps.toString('hex') + '0004' + pps.toString('hex'));
  assert.deepEqual(fus.map((p) => [p.payload[0], p.payload[1], p.payload.length, p.marker]), [
    [0x7c, 0x85, 100, false], [0x7c, 0x05, 100, false], [0x7c, 0x45, 2 + 249 - 196, true],
  ]);
  const slice = Buffer.alloc(50, 1);
  slice[0] = 0x41;
  const [single] = packetizeH264([slice], 0);
  assert.equal(single.payload.buffer, slice.buffer, 'no copy');
  assert.equal(single.marker, true);
  // without aggregation every small NAL unit goes alone
  assert.equal(packetizeH264([sps, pps, slice], 0, { aggregate: false }).length, 3);
  assert.throws(() => packetizeH264([], 0), CodecError);
  assert.throws(() => packetizeH264([slice], 0, { maxPayload: 2 }), CodecError);
});

test('Opus: packetize -> werift depacketize reproduces packets with 48 kHz timestamps', needFfmpeg, () => withTmp((dir) => {
  const file = join(dir, 'a.ts');
  const d = new TsDemuxer();
  const ts = ffmpegInput(file, ['-f', 'lavfi', '-i', 'sine=sample_rate=48000:duration=1', '-c:a', 'libopus', '-f', 'mpegts']);
  const units = [...d.push(ts), ...d.end()];
  assert.ok(units.length >= 45 && units.every((u) => u.codec === 'opus'));
  const t0 = opusTicksFrom90k(units[0].pts);
  let expected = t0;
  units.forEach((u, i) => {
    const p = packetizeOpus(u.data, opusTicksFrom90k(u.pts), { talkspurtStart: i === 0 });
    assert.equal(p.payload.buffer, u.data.buffer, 'no copy');
    const wire = new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: i, timestamp: p.timestamp, marker: p.marker, ssrc: 5 }), p.payload).serialize();
    const rtp = RtpPacket.deSerialize(wire);
    assert.ok(OpusRtpPayload.deSerialize(rtp.payload).payload.equals(u.data));
    assert.equal(rtp.header.marker, i === 0);
    // each timestamp is the previous plus the previous packet's duration (48 kHz)
    assert.equal(rtp.header.timestamp, expected, `packet ${i}`);
    expected += opusPacketSamples(u.data);
  });
  assert.throws(() => packetizeOpus(Buffer.alloc(0), 0), CodecError);
}));
