/**
 * SRTP protection of player RTP (srtp-protect.ts, and rtp-out.ts's use of it) against werift's
 * SRTP implementation, an independent one (a new AES-CTR cipher and HMAC per packet): the same
 * keys and packet give the same bytes, and werift's receiving side decrypts and authenticates
 * what RtpOut sends, across a sequence number wrap (the rollover counter).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { compactNtp, RtcpRrPacket, RtcpSourceDescriptionPacket, RtcpSrPacket, RtpHeader, type RtcpPacket, type RtpPacket } from 'werift';
import { asSender, senderStub, srtpSessions } from '../../../test/rtc-sender-stub.js';
import { FIRST_SENDER_REPORT_MS, ntpTimestamp, RTP_HISTORY_SIZE, RtpOut, SENDER_REPORT_MS, URI_ABS_SEND_TIME, URI_SDES_MID, URI_TRANSPORT_CC } from './rtp-out.js';
import { SrtpCmProtector, SRTP_AUTH_TAG_LENGTH, SRTP_PREFIX } from './srtp-protect.js';

interface Ctx {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
}

test('SrtpCmProtector gives werift\'s bytes for every payload length, alignment and rollover counter', () => {
  const { sender } = srtpSessions();
  const ctx = (sender as unknown as { localContext: Ctx & { encryptRtp(p: Buffer, h: RtpHeader): Buffer; srtpSSRCStates: Record<number, unknown> } }).localContext;
  const ssrc = 0x89abcdef;
  const protector = new SrtpCmProtector(ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag, ssrc);
  const cases: [number, number][] = [];
  for (const len of [0, 1, 3, 4, 15, 16, 17, 100, 1187, 1200, 1400]) for (const roc of [0, 1, 0x12345]) cases.push([len, roc]);
  let seq = 4000;
  for (const [len, roc] of cases) {
    for (const misalign of [0, 1, 2]) {
      seq = (seq + 7919) & 0xffff;
      const header = new RtpHeader({ sequenceNumber: seq, timestamp: 123456 + len, marker: len % 2 === 1, payloadType: 96, ssrc, extensions: [{ id: 3, payload: Buffer.from([1, 2, 3]) }] });
      const payload = randomBytes(len);
      // werift's rollover counter for this packet: set its state so it keeps `roc`
      ctx.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: roc, lastSequenceNumber: seq, rolloverHasProcessed: true };
      const expected = ctx.encryptRtp(payload, header);
      const hdr = header.serialize(header.serializeSize);
      const area = Buffer.alloc(misalign + SRTP_PREFIX + hdr.length + len + SRTP_AUTH_TAG_LENGTH).subarray(misalign);
      hdr.copy(area, SRTP_PREFIX);
      payload.copy(area, SRTP_PREFIX + hdr.length);
      const packet = protector.protect(area, hdr.length, hdr.length + len, seq, roc);
      assert.deepEqual(packet, expected, `payload ${len} bytes, ROC ${roc}, offset ${misalign}`);
    }
  }
});

test('SrtpCmProtector: packets in sequence share keystream batches, across a rollover and payloads longer than the batch\'s share', () => {
  const { sender } = srtpSessions();
  const ctx = (sender as unknown as { localContext: Ctx & { encryptRtp(p: Buffer, h: RtpHeader): Buffer; srtpSSRCStates: Record<number, unknown> } }).localContext;
  const ssrc = 7;
  const protector = new SrtpCmProtector(ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag, ssrc);
  let roc = 3;
  // a batch is made at the first packet (300 bytes); the 1100-byte one needs a new, wider one
  const sizes = [300, 120, 299, 17, 1100, 40, 1000, 999, 1100, 0, 5, 1100, 64, 300, 1400, 2, 700, 1100, 33, 1000];
  for (let i = 0; i < sizes.length * 2; i++) {
    const seq = (65530 + i) & 0xffff;
    if (seq === 0) roc++;
    const len = sizes[i % sizes.length];
    const header = new RtpHeader({ sequenceNumber: seq, timestamp: i * 3000, payloadType: 111, ssrc });
    const payload = randomBytes(len);
    ctx.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: roc, lastSequenceNumber: seq, rolloverHasProcessed: true };
    const expected = ctx.encryptRtp(payload, header);
    const hdr = header.serialize(header.serializeSize);
    const area = Buffer.alloc(SRTP_PREFIX + hdr.length + len + SRTP_AUTH_TAG_LENGTH);
    hdr.copy(area, SRTP_PREFIX);
    payload.copy(area, SRTP_PREFIX + hdr.length);
    assert.deepEqual(protector.protect(area, hdr.length, hdr.length + len, seq, roc), expected, `packet ${i}: SEQ ${seq}, ROC ${roc}, ${len} bytes`);
  }
});

test('SrtpCmProtector refuses wrong key lengths and a packet without room for the tag', () => {
  assert.throws(() => new SrtpCmProtector(Buffer.alloc(15), Buffer.alloc(14), Buffer.alloc(20), 1), RangeError);
  assert.throws(() => new SrtpCmProtector(Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(20), 1), RangeError);
  assert.throws(() => new SrtpCmProtector(Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(10), 1), RangeError);
  const p = new SrtpCmProtector(Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(20), 1);
  assert.throws(() => p.protect(Buffer.alloc(SRTP_PREFIX + 30), 12, 25, 0, 0), RangeError);
});

test('RtpOut: werift\'s receiver decrypts every packet across a sequence number wrap; headers, extensions and the NACK history as sent', () => {
  const { sender: srtp, receiver } = srtpSessions();
  const datagrams: Buffer[] = [];
  const fake = senderStub(srtp, 0x01020304, 102, {
    mid: '0',
    headerExtensions: [
      { id: 1, uri: URI_SDES_MID },
      { id: 2, uri: URI_ABS_SEND_TIME },
      { id: 3, uri: URI_TRANSPORT_CC },
    ],
    transportSequenceNumber: 65530,
  });
  const out = RtpOut.of(asSender(fake), (d) => (datagrams.push(d), 'queued'))!;
  assert.ok(out.protectsHere, 'CM-80 keys: protected by srtp-protect.ts');
  const payloads: Buffer[] = [];
  const firstSeq = 65530;
  for (let i = 0; i < 12; i++) {
    const payload = randomBytes(50 + i * 111);
    payloads.push(payload);
    assert.equal(out.send(payload, (firstSeq + i) & 0xffff, 1000 + i * 3000, i % 3 === 2, 1_700_000_000_000 + i * 20), true);
  }
  assert.equal(datagrams.length, 12);
  for (let i = 0; i < 12; i++) {
    const plain = receiver.decrypt(datagrams[i]);
    const header = RtpHeader.deSerialize(plain);
    assert.equal(header.sequenceNumber, (firstSeq + i) & 0xffff);
    assert.equal(header.timestamp, 1000 + i * 3000);
    assert.equal(header.marker, i % 3 === 2);
    assert.equal(header.payloadType, 102);
    assert.equal(header.ssrc, 0x01020304);
    const ext = new Map(header.extensions.map((e) => [e.id, e.payload]));
    assert.equal(ext.get(1)?.toString(), '0');
    const abs = ext.get(2)!;
    assert.equal((abs[0] << 16) | (abs[1] << 8) | abs[2], Math.floor((((1_700_000_000_000 + i * 20) / 1000) * 2 ** 18) % 2 ** 24));
    assert.equal(ext.get(3)!.readUInt16BE(0), (65531 + i) & 0xffff, 'transport-wide sequence numbers count on, wrapping');
    assert.deepEqual(plain.subarray(header.payloadOffset), payloads[i]);
    // the NACK history entry answers with the same header and the shared payload
    const entry = fake.rtpCache[header.sequenceNumber % RTP_HISTORY_SIZE] as RtpPacket;
    assert.equal(entry.payload, payloads[i]);
    assert.deepEqual(entry.header.serialize(entry.header.serializeSize), plain.subarray(0, header.payloadOffset));
  }
  assert.equal(fake.packetCount, 12);
  assert.equal(fake.octetCount, payloads.reduce((n, p) => n + p.length, 0));
  assert.equal(fake.rtpTimestamp, 1000 + 11 * 3000, 'the sender report\'s RTP time is the newest packet\'s');
  // werift's own state for NACK answers after the wrap, brought up to date when werift handles
  // RTCP (the NACK asking for the packet): ROC 1, so a resend decrypts too
  fake.handleRtcpPacket(new RtcpRrPacket({ ssrc: 1, reports: [] }));
  const resent = srtp.encrypt(payloads[11], (fake.rtpCache[(firstSeq + 11) % 65536 % RTP_HISTORY_SIZE] as RtpPacket).header);
  assert.deepEqual(resent, datagrams[11]);
  fake.dtlsTransport.state = 'closed';
  assert.equal(out.send(payloads[0], 6, 0, false), false, 'nothing once the transport is gone');
});

test('RtpOut: a NACK answered by werift from the history has the rollover counter the packet was first sent with, whatever werift would guess (seq 0 asked for 110 packets after the wrap); packets past 1500 bytes are dropped', () => {
  const { sender: srtp } = srtpSessions();
  const datagrams: Buffer[] = [];
  const fake = senderStub(srtp, 0x0a0b0c0d, 96);
  const out = RtpOut.of(asSender(fake), (d) => (datagrams.push(Buffer.from(d)), 'sent'))!;
  const payloads = new Map<number, Buffer>();
  const sent = new Map<number, Buffer>();
  // 65520 ... 65535, 0 ... 110: 127 packets, all still in the 128-packet history
  for (let i = 0; i < 127; i++) {
    const seq = (65520 + i) & 0xffff;
    const payload = randomBytes(40 + i);
    payloads.set(seq, payload);
    assert.equal(out.send(payload, seq, i * 3000, false, 1_700_000_000_000), true);
    sent.set(seq, datagrams[datagrams.length - 1]);
  }
  // the NACK arrives (werift's state is brought up to date), then werift reads each entry and protects it at once
  fake.handleRtcpPacket(new RtcpRrPacket({ ssrc: 1, reports: [] }));
  for (const seq of [0, 1, 65535, 65520, 110]) {
    const entry = fake.rtpCache[seq % RTP_HISTORY_SIZE] as RtpPacket;
    assert.equal(entry.header.sequenceNumber, seq);
    assert.deepEqual(srtp.encrypt(entry.payload, entry.header), sent.get(seq), `seq ${seq}: the resent bytes are the first ones`);
  }
  assert.equal(out.send(randomBytes(1500), 111, 0, false), false, 'an RTP packet past 1500 bytes is not sent');
  assert.equal(datagrams.length, 127);
});

test('RtpOut: a datagram the sink sent leaves the one area for the next packet; one it queued is never written again', () => {
  const { sender: srtp, receiver } = srtpSessions();
  const fake = senderStub(srtp, 0x0badcafe, 111);
  // even packets: 'sent' (the sink copies, as the kernel does); odd ones: 'queued' (held as given)
  const got: Buffer[] = [];
  const held: { datagram: Buffer; bytes: Buffer }[] = [];
  let areas = new Set<ArrayBufferLike>();
  const out = RtpOut.of(asSender(fake), (d) => {
    areas.add(d.buffer);
    if (got.length % 2 === 0) {
      got.push(Buffer.from(d));
      return 'sent';
    }
    got.push(d);
    held.push({ datagram: d, bytes: Buffer.from(d) });
    return 'queued';
  })!;
  const payloads = Array.from({ length: 20 }, (_, i) => randomBytes(100 + i * 60));
  payloads.forEach((p, i) => out.send(p, 100 + i, i * 960, false));
  for (const h of held) assert.deepEqual(h.datagram, h.bytes, 'a queued datagram is left as it was sent');
  got.forEach((d, i) => assert.deepEqual(receiver.decrypt(d).subarray(12), payloads[i], `packet ${i}`));
  // each sent datagram's area was used again by the next packet, each queued one's never: an area per queued one
  assert.equal(areas.size, held.length);
  // the NTP timestamp of the sender report is the last packet's time, made when werift reads it
  areas = new Set();
  out.send(payloads[0], 120, 20 * 960, true, 1_700_000_000_500);
  assert.equal((fake.ntpTimestamp >> 32n) - 2_208_988_800n, 1_700_000_000n);
  assert.equal(fake.rtpTimestamp, 20 * 960);
});

test('RtpOut: sender reports 0.5-1.5 s after the first packet, then every 2.5-7.5 s, with the counts and NTP/RTP pair of the newest packet', () => {
  const { sender: srtp } = srtpSessions();
  const reports: RtcpPacket[][] = [];
  const fake = senderStub(srtp, 0x51, 102, { cname: 'tsrs-test', lastSRtimestamp: 0, onReport: (p) => reports.push(p) });
  const out = RtpOut.of(asSender(fake), () => 'sent')!;
  const t0 = 1_700_000_000_000;
  let seq = 0;
  const at = (ms: number) => out.send(Buffer.alloc(100), seq++, ms * 90, false, t0 + ms);
  for (let ms = 0; ms < FIRST_SENDER_REPORT_MS[0]; ms += 20) at(ms);
  assert.equal(reports.length, 0, 'none before 0.5 s');
  at(FIRST_SENDER_REPORT_MS[1]);
  assert.equal(reports.length, 1, 'the first by 1.5 s');
  const [sr, sdes] = reports[0] as [RtcpSrPacket, RtcpSourceDescriptionPacket];
  assert.ok(sr instanceof RtcpSrPacket && sdes instanceof RtcpSourceDescriptionPacket);
  assert.equal(sr.ssrc, 0x51);
  assert.equal(sr.senderInfo.packetCount, seq);
  assert.equal(sr.senderInfo.octetCount, seq * 100);
  assert.equal(sr.senderInfo.rtpTimestamp, FIRST_SENDER_REPORT_MS[1] * 90);
  assert.equal(sr.senderInfo.ntpTimestamp, ntpTimestamp(t0 + FIRST_SENDER_REPORT_MS[1]));
  assert.equal(sdes.chunks[0].items[0].text, 'tsrs-test');
  assert.equal(fake.lastSRtimestamp, compactNtp(ntpTimestamp(t0 + FIRST_SENDER_REPORT_MS[1])), 'what a receiver report\'s LSR is matched against');
  const base = FIRST_SENDER_REPORT_MS[1];
  for (let ms = base + 20; ms < base + SENDER_REPORT_MS / 2; ms += 20) at(ms);
  assert.equal(reports.length, 1, 'none within 2.5 s of the last');
  at(base + SENDER_REPORT_MS * 1.5);
  assert.equal(reports.length, 2, 'the next within 7.5 s');
});

test('SrtpCmProtector.verify accepts werift\'s SRTP packets of its keys and ROC, nothing altered, and crypt decrypts them', () => {
  const { sender } = srtpSessions();
  const ctx = (sender as unknown as { localContext: Ctx & { encryptRtp(p: Buffer, h: RtpHeader): Buffer; srtpSSRCStates: Record<number, unknown> } }).localContext;
  const ssrc = 0x7001;
  const check = new SrtpCmProtector(ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag, ssrc);
  const other = new SrtpCmProtector(randomBytes(16), randomBytes(14), randomBytes(20), ssrc);
  for (const [len, roc] of [[0, 0], [100, 0], [1187, 2], [1400, 0x10000]]) {
    const seq = 777 + len;
    ctx.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: roc, lastSequenceNumber: seq, rolloverHasProcessed: true };
    const payload = randomBytes(len);
    const srtp = ctx.encryptRtp(payload, new RtpHeader({ sequenceNumber: seq, timestamp: 9, payloadType: 96, ssrc }));
    assert.equal(check.verify(srtp, roc), true, `${len} bytes, ROC ${roc}`);
    assert.equal(check.verify(srtp, roc + 1), false, 'another ROC');
    assert.equal(other.verify(srtp, roc), false, 'another key');
    for (const at of [0, 5, 12, srtp.length - 11, srtp.length - 1]) {
      const bent = Buffer.from(srtp);
      bent[at] ^= 0x40;
      assert.equal(check.verify(bent, roc), false, `byte ${at} altered`);
    }
    const plain = Buffer.from(srtp.subarray(0, srtp.length - SRTP_AUTH_TAG_LENGTH));
    check.crypt(plain, 12, len, seq, roc);
    assert.deepEqual(plain.subarray(12), payload);
  }
  assert.equal(check.verify(Buffer.alloc(21), 0), false, 'shorter than a header and a tag');
});
