/**
 * The players' native datagram reads (rtp-recv.ts, native/rtp_recv.c) on real loopback sockets:
 * RTP counted from its header as the JavaScript player counts it (RtpCount), STUN and RTCP handed
 * back with their source, and the video packets the player must see (its first, access unit
 * starts that may hold the probe) handed back with the rollover counter.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { rtpReceiver, Stat } from '../src/rtp-recv.js';

const VIDEO = 96;
const AUDIO = 111;
const TAG = 10;

/** an SRTP-shaped packet: header (with `csrcs` CSRCs and an `extWords`-word extension), payload, tag */
function rtp(pt: number, seq: number, marker: boolean, payload: number, ssrc = 0x11223344, csrcs = 0, extWords = -1): Buffer {
  const header = 12 + csrcs * 4 + (extWords >= 0 ? 4 + extWords * 4 : 0);
  const b = Buffer.alloc(header + payload + TAG);
  b[0] = 0x80 | (extWords >= 0 ? 0x10 : 0) | csrcs;
  if (extWords >= 0) b.writeUInt16BE(extWords, 12 + csrcs * 4 + 2);
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

test('rtp-recv: counts RTP natively and hands back only STUN/RTCP, the first video packet and probe candidates', async (t) => {
  const { r, reason } = rtpReceiver();
  if (!r) {
    // CI builds the module (its build fails the install otherwise); elsewhere it is optional
    assert.notEqual(process.env.CI, 'true', `the native receiver is missing under CI: ${reason}`);
    t.skip(reason);
    return;
  }
  const rx = dgram.createSocket('udp4');
  const tx = dgram.createSocket('udp4');
  t.after(() => {
    rx.close();
    tx.close();
  });
  rx.bind(0, '127.0.0.1');
  tx.bind(0, '127.0.0.1');
  await Promise.all([once(rx, 'listening'), once(tx, 'listening')]);
  let viaDgram = 0;
  rx.on('message', () => viaDgram++);
  const others: { data: Buffer; address: string; port: number }[] = [];
  const videos: { seq: number; probe: boolean; roc: number; readAt: number }[] = [];
  const w = r.watch(rx, VIDEO, AUDIO, TAG, {
    other: (data, address, port) => others.push({ data, address, port }),
    video: (data, probe, roc, readAt) => videos.push({ seq: data.readUInt16BE(2), probe, roc, readAt }),
  });
  const sentAt = Date.now();
  const stun = Buffer.from('000100002112a442000000000000000000000000', 'hex');
  const rtcp = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
  const send = (b: Buffer) => new Promise<void>((res, rej) => tx.send(b, rx.address().port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  await send(stun);
  await send(rtcp);
  // video: an access unit over 65534-65535, one over 0-1 (a long first packet), 3 before 2
  await send(rtp(VIDEO, 65534, false, 40)); // first, and an AU start small enough for the probe
  await send(rtp(VIDEO, 65535, true, 1200));
  await send(rtp(VIDEO, 0, false, 1200)); // AU start, long: the first of AUTH_SAMPLE goes back
  await send(rtp(VIDEO, 1, true, 1200));
  await send(rtp(VIDEO, 3, false, 100)); // AU start, small; 2 missing
  await send(rtp(VIDEO, 2, false, 100)); // late
  for (const seq of [10, 11, 13]) await send(rtp(AUDIO, seq, false, 80, 0x55));
  await send(rtp(50, 7, true, 10)); // another payload type: bytes and packets only
  const want = 10; // RTP datagrams (STUN and RTCP are not counted)
  const until = Date.now() + 5000;
  while (w.stat(Stat.packets) < want && Date.now() < until) await new Promise((res) => setTimeout(res, 10));

  assert.equal(w.stat(Stat.packets), want);
  assert.equal(w.stat(Stat.frames), 2, 'two marker bits');
  assert.equal(w.stat(Stat.audio), 3);
  assert.equal(w.stat(Stat.lost), 2, 'video 2 (late later), audio 12');
  assert.equal(w.stat(Stat.late), 1);
  assert.equal(w.stat(Stat.videoSsrc), 0x11223344);
  assert.equal(w.stat(Stat.videoHighest), 0x10003, 'one wrap, then 3');
  assert.equal(w.stat(Stat.videoReportLost), 0, '2 came late: nothing is missing');
  assert.equal(w.stat(Stat.audioHighest), 13);
  assert.equal(w.stat(Stat.audioReportLost), 1);
  assert.equal(w.stat(Stat.lastVideoTs), (1 * 3000) / 90);
  assert.equal(w.stat(Stat.bytes), [40, 1200, 1200, 1200, 100, 100, 80, 80, 80, 10].reduce((a, p) => a + 12 + p + TAG, 0));

  assert.deepEqual(others.map((o) => o.data.toString('hex')), [stun.toString('hex'), rtcp.toString('hex')]);
  assert.ok(others.every((o) => o.address === '127.0.0.1' && o.port === tx.address().port));
  assert.deepEqual(
    videos.map(({ seq, probe, roc }) => ({ seq, probe, roc })),
    [
      { seq: 65534, probe: true, roc: 0 },
      { seq: 0, probe: true, roc: 1 },
      { seq: 3, probe: true, roc: 1 },
    ],
  );
  assert.ok(videos.every((v) => v.readAt >= sentAt - 50 && v.readAt <= Date.now() + 50), 'read times are wall clock ms');
  assert.equal(viaDgram, 0, 'libuv no longer reads the socket');

  // the payload starts after the CSRCs and the header extension (RFC 3550 5.1, 5.3.1): 100 bytes
  // there is small enough for the probe; counted from byte 12 it would not be (and the long start
  // counter is at 1, so it would not be sampled either)
  videos.length = 0;
  await send(rtp(VIDEO, 4, true, 100, 0x11223344, 2, 50)); // ends the AU begun at 3
  await send(rtp(VIDEO, 5, true, 100, 0x11223344, 2, 50));
  // one in AUTH_SAMPLE (16) long access unit starts goes back: the 16 after the first, one
  for (let seq = 6; seq < 22; seq++) await send(rtp(VIDEO, seq, true, 1200));
  // a burst past one recvmmsg batch (32) is read whole
  for (let seq = 100; seq < 200; seq++) tx.send(rtp(AUDIO, seq, false, 40, 0x55), rx.address().port, '127.0.0.1');
  const total = want + 2 + 16 + 100;
  const until2 = Date.now() + 5000;
  while (w.stat(Stat.packets) < total && Date.now() < until2) await new Promise((res) => setTimeout(res, 10));
  assert.equal(w.stat(Stat.packets), total);
  assert.equal(w.stat(Stat.audio), 103);
  assert.deepEqual(
    videos.map(({ seq, probe }) => ({ seq, probe })),
    [
      { seq: 5, probe: true },
      { seq: 21, probe: true },
    ],
  );

  w.close();
  w.close(); // once is enough, twice is harmless
  const atClose = w.stat(Stat.packets);
  await send(rtp(VIDEO, 30, true, 10));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(w.stat(Stat.packets), atClose, 'nothing is read after close');
  // the freed slot goes to the next socket; the closed watch keeps its own figures
  const rx2 = dgram.createSocket('udp4');
  t.after(() => rx2.close());
  rx2.bind(0, '127.0.0.1');
  await once(rx2, 'listening');
  const w2 = r.watch(rx2, VIDEO, AUDIO, TAG, { other: () => {}, video: () => {} });
  await new Promise<void>((res, rej) => tx.send(rtp(AUDIO, 1, false, 10), rx2.address().port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  const until3 = Date.now() + 5000;
  while (w2.stat(Stat.packets) < 1 && Date.now() < until3) await new Promise((res) => setTimeout(res, 10));
  assert.equal(w2.stat(Stat.packets), 1);
  assert.equal(w.stat(Stat.packets), atClose);
  assert.equal(w.stat(Stat.audio), 103);
  w2.close();
});
