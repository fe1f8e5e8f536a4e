/**
 * The native send path (native/rtc_send.c through native-send.ts and send-batch.ts): its SRTP
 * is byte for byte srtp-protect.ts's (which is tested against werift's), its batches reach a
 * real UDP socket and authenticate there, hostile arguments throw instead of touching memory
 * outside the buffers, and what the kernel does not take goes to the fallback. Under CI
 * (CI=true, as .ci/run) the module must be built and these tests fail when it is not; elsewhere
 * they are skipped with the reason (a machine without a compiler runs the JavaScript path).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, SrtpSession } from 'werift';
import { nativeRtcSend, socketFd, type NativeRtcSend } from './native-send.js';
import { BATCH_SLOTS, ipv4Number, RtcSendBatch, SLOT_BYTES, type BatchAddress, type BatchSession } from './send-batch.js';
import { SrtpCmProtector, SRTP_PREFIX } from './srtp-protect.js';

const loadedNative = nativeRtcSend();
/** skip (with the reason) when the module is not there, except under CI */
const skip = !loadedNative.native && process.env.CI !== 'true' ? `native module: ${loadedNative.reason}` : false;

function native(): NativeRtcSend {
  assert.ok(loadedNative.native, `native module: ${loadedNative.reason}`);
  return loadedNative.native;
}

function rtp(ssrc: number, seq: number, payloadLength: number): Buffer {
  const p = Buffer.concat([Buffer.from([0x90, 96, seq >> 8, seq & 0xff, 0, 0, 0x10, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 0x10, 0x61, 0, 0]), randomBytes(payloadLength)]);
  p.writeUInt32BE(ssrc, 8);
  return p;
}

const keys = () => ({ key: randomBytes(16), salt: randomBytes(14), auth: randomBytes(20) });

test('protect: the same SRTP bytes as srtp-protect.ts, for empty to full-size payloads and rollover counters up to 2^32-1', { skip }, () => {
  const n = native();
  for (let k = 0; k < 5; k++) {
    const { key, salt, auth } = keys();
    const ssrc = randomBytes(4).readUInt32BE(0);
    const id = n.open(key, salt, auth);
    const js = new SrtpCmProtector(key, salt, auth, ssrc);
    for (const [seq, roc, len] of [[0, 0, 0], [1, 0, 1], [65535, 7, 17], [300, 0xffffffff, 1480], [12, 3, 1179]]) {
      const packet = rtp(ssrc, seq, len);
      const area = Buffer.alloc(SRTP_PREFIX + packet.length + 10);
      packet.copy(area, SRTP_PREFIX);
      const expected = js.protect(area, 20, packet.length, seq, roc);
      const here = Buffer.alloc(packet.length + 10);
      packet.copy(here);
      n.protect(id, here, 0, 20, packet.length, seq, roc);
      assert.ok(here.equals(expected), `seq ${seq} roc ${roc} payload ${len}`);
      assert.ok(js.verify(here, roc));
    }
    n.close(id);
    n.close(id);
  }
});

test('AEAD_AES_128_GCM (RFC 7714): werift decrypts and authenticates every packet, across a rollover; a flipped bit fails; the batch sends the 16-byte tag', { skip }, async () => {
  const n = native();
  const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(12), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(12) };
  const swapped = { localMasterKey: keys.remoteMasterKey, localMasterSalt: keys.remoteMasterSalt, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt };
  const sender = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
  const receiver = new SrtpSession({ keys: swapped, profile: ProtectionProfileAeadAes128Gcm });
  const ctx = (sender as unknown as { localContext: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer } }).localContext;
  // RFC 7714 11: the session salt is 96 bits (werift derives 14 bytes, as for AES-CM, and uses the first 12)
  const salt = ctx.srtpSessionSalt.subarray(0, 12);
  const id = n.openGcm(ctx.srtpSessionKey, salt);
  const ssrc = randomBytes(4).readUInt32BE(0);
  // consecutive sequence numbers over the wrap: the receiver follows the rollover counter as a player does
  let roc = 0;
  for (let i = 0; i < 8; i++) {
    const seq = (65532 + i) & 0xffff;
    if (seq === 0) roc++;
    const packet = rtp(ssrc, seq, [0, 1, 17, 1480, 300, 1179, 2, 64][i]);
    const here = Buffer.alloc(packet.length + 16);
    packet.copy(here);
    n.protect(id, here, 0, 20, packet.length, seq, roc);
    assert.ok(receiver.decrypt(here).equals(packet), `seq ${seq} roc ${roc}: werift decrypts what was protected`);
    const bad = Buffer.from(here);
    bad[bad.length - 20] ^= 1;
    assert.throws(() => receiver.decrypt(bad), /./, 'a flipped bit fails authentication');
  }
  assert.throws(() => n.openGcm(ctx.srtpSessionKey, randomBytes(14)), RangeError, 'a 14-byte salt is not GCM\'s');
  // in a batch (protect only): the descriptor's length gets the 16-byte tag
  const batch = new RtcSendBatch(n, n.NO_SOCKET, () => {}, () => true);
  const owner = {};
  const gid = batch.openGcmKeys(owner, ctx.srtpSessionKey, salt);
  const got: Buffer[] = [];
  const fallbackBatch = new RtcSendBatch(n, n.NO_SOCKET, (d) => got.push(d), () => true);
  const fid = fallbackBatch.openGcmKeys(owner, ctx.srtpSessionKey, salt);
  const session: BatchSession = { closed: false, selected: undefined, peer: ['127.0.0.1', 9] };
  const packet = rtp(ssrc, 5, 700);
  const at = fallbackBatch.begin(session);
  packet.copy(fallbackBatch.area, at);
  fallbackBatch.commit(fid, 20, packet.length, 5, roc);
  fallbackBatch.flush();
  assert.equal(got.length, 1);
  assert.equal(got[0].length, packet.length + 16);
  assert.ok(receiver.decrypt(got[0]).equals(packet));
  batch.closeKeys(owner, gid);
  fallbackBatch.closeKeys(owner, fid);
  n.close(id);
});

test('hostile arguments throw: wrong key lengths, unknown ids, packets outside the buffer or past 1500 bytes, batches past the descriptors', { skip }, () => {
  const n = native();
  const { key, salt, auth } = keys();
  assert.throws(() => n.open(key.subarray(1), salt, auth), RangeError);
  assert.throws(() => n.open(key, 'salt' as unknown as Buffer, auth), TypeError);
  const id = n.open(key, salt, auth);
  const b = Buffer.alloc(100);
  assert.throws(() => n.protect(id + 1000, b, 0, 12, 50, 1, 0), RangeError);
  assert.throws(() => n.protect(id, b, 60, 12, 50, 1, 0), RangeError, 'tag past the end');
  assert.throws(() => n.protect(id, b, 0, 60, 50, 1, 0), RangeError, 'header longer than the packet');
  assert.throws(() => n.protect(id, Buffer.alloc(1600), 0, 12, 1501, 1, 0), RangeError);
  const desc = new Uint32Array(n.DESC_WORDS);
  desc.set([id, 90, 12, 50, 1, 0, 0x7f000001, 9]);
  assert.throws(() => n.sendBatch(0, b, desc, 1), RangeError, 'datagram past the area');
  assert.throws(() => n.sendBatch(0, b, desc, 2), RangeError, 'more datagrams than descriptors');
  assert.throws(() => n.sendBatch(0, b, new Int32Array(8) as unknown as Uint32Array, 1), TypeError);
  n.close(id);
});

test('a batch to three sessions arrives over a real UDP socket, each datagram authentic under its own keys and decrypting to what was written', { skip }, async (t) => {
  const n = native();
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  t.after(() => {
    rx.close();
    tx.close();
  });
  const fd = socketFd(tx);
  assert.ok(fd >= 0);
  const fallback: Buffer[] = [];
  const batch = new RtcSendBatch(n, fd, (d) => fallback.push(d));
  const addr: BatchAddress = ['127.0.0.1', rx.address().port];
  const sessions = [0, 1, 2].map((i) => {
    const k = keys();
    const ssrc = 0x1000 + i;
    const owner = {};
    return { ...k, ssrc, owner, id: batch.openKeys(owner, k.key, k.salt, k.auth), js: new SrtpCmProtector(k.key, k.salt, k.auth, ssrc), session: { closed: false, selected: undefined, peer: addr } as BatchSession };
  });
  const sent = new Map<string, Buffer>();
  const got: Buffer[] = [];
  rx.on('message', (m) => got.push(m));
  const total = BATCH_SLOTS + 30; // one full batch sent at the 65th packet, the rest at the microtask
  for (let i = 0; i < total; i++) {
    const s = sessions[i % 3];
    const packet = rtp(s.ssrc, i, 100 + i * 7);
    const at = batch.begin(s.session);
    assert.ok(at >= 0 && at % SLOT_BYTES === 0);
    packet.copy(batch.area, at);
    batch.commit(s.id, 20, packet.length, i, 0);
    sent.set(`${s.ssrc}:${i}`, packet);
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got.length + fallback.length, total);
  assert.equal(batch.counters.batches, 2);
  for (const m of got) {
    const s = sessions.find((x) => x.ssrc === m.readUInt32BE(8))!;
    assert.ok(s.js.verify(m, 0), 'authentic');
    const seq = m.readUInt16BE(2);
    const plain = Buffer.from(m.subarray(0, m.length - 10));
    s.js.crypt(plain, 20, plain.length - 20, seq, 0);
    assert.ok(plain.equals(sent.get(`${s.ssrc}:${seq}`)!), `packet ${seq}`);
  }
  // a closed session or one without an address gets no slot
  assert.equal(batch.begin({ closed: true, selected: undefined, peer: addr }), -1);
  assert.equal(batch.begin({ closed: false, selected: undefined, peer: undefined }), -1);
  for (const s of sessions) batch.closeKeys(s.owner, s.id);
});

test('RtcSendBatch: datagrams the kernel did not take go to the fallback protected, in order; closed keys are freed only after the batch that names them', { skip }, async (t) => {
  const real = native();
  const closed: number[] = [];
  const handled = 2;
  // the real module protects every datagram and (to a port nobody reads) sends; this one reports that only `handled` went
  const stub: NativeRtcSend = {
    ...real,
    DESC_WORDS: real.DESC_WORDS,
    NO_PROTECT: real.NO_PROTECT,
    BATCH_MAX: real.BATCH_MAX,
    open: (a, b, c) => real.open(a, b, c),
    protect: (...a) => real.protect(...a),
    close: (id) => {
      closed.push(id);
      real.close(id);
    },
    sendBatch: (fd, area, desc, count) => (real.sendBatch(fd, area, desc, count), Math.min(count, handled)),
    NO_SOCKET: real.NO_SOCKET,
  };
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  t.after(() => tx.close());
  const fallback: { d: Buffer; a: BatchAddress }[] = [];
  const batch = new RtcSendBatch(stub, socketFd(tx), (d, a) => fallback.push({ d, a }));
  const k = keys();
  const owner = {};
  const id = batch.openKeys(owner, k.key, k.salt, k.auth);
  const js = new SrtpCmProtector(k.key, k.salt, k.auth, 7);
  const peer: BatchAddress = ['127.0.0.1', 9];
  const session: BatchSession = { closed: false, selected: undefined, peer };
  const packets = [0, 1, 2, 3, 4].map((i) => rtp(7, i, 50 + i));
  for (const [i, p] of packets.entries()) {
    const at = batch.begin(session);
    p.copy(batch.area, at);
    batch.commit(id, 20, p.length, i, 0);
  }
  batch.closeKeys(owner, id);
  assert.deepEqual(closed, [], 'not freed while the batch names the keys');
  batch.flush();
  assert.deepEqual(closed, [id]);
  assert.deepEqual(fallback.map((f) => f.d.readUInt16BE(2)), [2, 3, 4]);
  for (const f of fallback) {
    assert.equal(f.a, peer);
    assert.ok(js.verify(f.d, 0), 'the fallback gets the protected datagram');
    assert.equal(f.d.length, packets[f.d.readUInt16BE(2)].length + 10);
  }
});

test('ipv4Number: dotted quads only', () => {
  assert.equal(ipv4Number('127.0.0.1'), 0x7f000001);
  assert.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  for (const bad of ['::1', '1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '01234.1.1.1', '']) assert.equal(ipv4Number(bad), -1, bad);
});

test('while dgram\'s queue holds datagrams, a batch is protected and queued whole behind them; a closed socket loses the batch without a throw; a closed batch takes nothing', { skip }, async () => {
  const n = native();
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  const fallback: Buffer[] = [];
  const errors: Error[] = [];
  let queued = true;
  const batch = new RtcSendBatch(n, socketFd(tx), (d) => fallback.push(d), () => queued, (e) => errors.push(e));
  const k = keys();
  const owner = {};
  const id = batch.openKeys(owner, k.key, k.salt, k.auth);
  const js = new SrtpCmProtector(k.key, k.salt, k.auth, 9);
  const session: BatchSession = { closed: false, selected: undefined, peer: ['127.0.0.1', 9] };
  const put = (seq: number) => {
    const p = rtp(9, seq, 30);
    p.copy(batch.area, batch.begin(session));
    batch.commit(id, 20, p.length, seq, 0);
  };
  put(1);
  put(2);
  batch.flush();
  assert.deepEqual(fallback.map((d) => d.readUInt16BE(2)), [1, 2]);
  assert.ok(fallback.every((d) => js.verify(d, 0)));
  assert.equal(batch.counters.sent, 0);
  // the socket closed under a pending batch: counted lost, reported, no exception
  queued = false;
  put(3);
  tx.close();
  await new Promise((r) => setTimeout(r, 20));
  batch.flush();
  assert.equal(batch.counters.lost, 1);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ERR_RTC_SEND_SOCKET');
  batch.close();
  assert.equal(batch.begin(session), -1);
  batch.closeKeys(owner, id);
});
