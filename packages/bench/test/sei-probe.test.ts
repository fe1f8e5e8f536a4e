/**
 * The SEI delay probe (bench-time.ts) through what carries it: an FLV AVC tag (the RTMP
 * publisher), tsrs's RFC 6184 packetizer (single NAL unit packet or STAP-A) and the WebRTC
 * player's reading of RTP payloads; plus the bench's URL rules for WebRTC.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitNalus } from '@tsrs/server/dist/src/kernel/avc.js';
import { packetizeH264 } from '@tsrs/server/dist/src/kernel/rtp-h264.js';
import { encodeSeiTime, readRtpSeiTime, readSeiTime, SEI_UUID } from '../src/bench-time.js';
import { insertNalBeforeSlice } from '../src/media.js';
import { playProto } from '../src/play.js';
import { nthUrl } from '../src/publish.js';

const T = 1764480000123.456;

test('an SEI probe reads back the time it carries, and nothing else reads as one', () => {
  const sei = encodeSeiTime(T);
  assert.equal(sei[0] & 0x1f, 6);
  assert.ok(!sei.includes(0), 'no zero byte: no emulation prevention needed');
  assert.equal(readSeiTime(sei, 0, sei.length), T);
  assert.equal(readSeiTime(Buffer.concat([Buffer.from([1, 2]), sei]), 2, sei.length), T);
  // an x264 version SEI, another UUID, a truncated probe, a slice
  const other = Buffer.from(sei);
  other[3 + 2] ^= 0x20;
  assert.equal(readSeiTime(other, 0, other.length), -1);
  assert.equal(readSeiTime(sei, 0, sei.length - 2), -1);
  assert.equal(readSeiTime(Buffer.from([0x65, 5, 40, ...SEI_UUID]), 0, 19), -1);
  const digitsBad = Buffer.from(sei);
  digitsBad[3 + SEI_UUID.length] = 0x41;
  assert.equal(readSeiTime(digitsBad, 0, digitsBad.length), -1);
});

test('RTMP publisher: the probe goes before the first slice of the AVC tag, the rest is unchanged', () => {
  const nal = (type: number, n: number) => Buffer.concat([Buffer.from([type]), Buffer.alloc(n - 1, 0xab)]);
  const prefixed = (ns: Buffer[]) =>
    Buffer.concat(
      ns.flatMap((x) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(x.length);
        return [len, x];
      }),
    );
  const aud = nal(0x09, 2);
  const idr = nal(0x65, 3000);
  const body = Buffer.concat([Buffer.from([0x17, 1, 0, 0, 40]), prefixed([aud, idr])]);
  const sei = encodeSeiTime(T);
  const out = insertNalBeforeSlice(body, sei, 4);
  assert.deepEqual(out.subarray(0, 5), body.subarray(0, 5));
  assert.deepEqual(splitNalus(out.subarray(5), 4), [aud, sei, idr]);
  assert.equal(body.length, 5 + 4 + 2 + 4 + 3000, 'the original is not modified');
});

test('WebRTC player: the probe is read from a single NAL unit packet and from a STAP-A, never from FU-A', () => {
  const sei = encodeSeiTime(T);
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xd9]);
  const pps = Buffer.from([0x68, 0xcb, 0x83, 0xcb]);
  // SPS + PPS + SEI aggregate into one STAP-A before a fragmented IDR
  const key = packetizeH264([sps, pps, sei, Buffer.alloc(5000, 0x65)], 0);
  assert.equal(key[0].payload[0] & 0x1f, 24);
  assert.deepEqual(key.map((p) => readRtpSeiTime(p.payload)), [T, ...key.slice(1).map(() => -1)]);
  // a large slice: the SEI travels alone
  const single = packetizeH264([sei, Buffer.alloc(1500, 0x41)], 0);
  assert.equal(single[0].payload[0] & 0x1f, 6);
  assert.equal(readRtpSeiTime(single[0].payload), T);
  // no probe in the access unit: nothing read
  assert.ok(packetizeH264([sps, pps, Buffer.alloc(900, 0x65)], 0).every((p) => readRtpSeiTime(p.payload) === -1));
});

test('WebRTC URLs: the WHEP endpoint picks the webrtc players, WHIP streams get numbered', () => {
  assert.equal(playProto('http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=s'), 'webrtc');
  assert.equal(playProto('http://127.0.0.1:8080/live/s.flv'), 'flv');
  assert.equal(playProto('rtmp://127.0.0.1/live/s'), 'rtmp');
  assert.throws(() => playProto('rtmp://127.0.0.1/live/s', 'webrtc'), /WHEP endpoint/);
  assert.throws(() => playProto('http://x/live/s.flv', 'srt'), /--proto/);
  assert.equal(nthUrl('http://127.0.0.1:1985/rtc/v1/whip/?app=live&stream=s', 2, 3), 'http://127.0.0.1:1985/rtc/v1/whip/?app=live&stream=s_2');
  assert.equal(nthUrl('rtmp://h/live/s?k=v', 1, 2), 'rtmp://h/live/s_1?k=v');
});
