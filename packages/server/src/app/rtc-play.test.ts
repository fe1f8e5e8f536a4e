import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H264Depacketizer } from '../kernel/rtp-h264-depacketize.js';
import type { Packet } from '../kernel/packet.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../kernel/test-avc.js';
import { RtcFeeds, RtcPlayer, type RtpKind } from './rtc-play.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from './source.js';

interface Sent {
  kind: RtpKind;
  payload: Buffer;
  seq: number;
  ts: number;
  marker: boolean;
}

/** A transport that records what it sends; `up` says whether it can send (DTLS up). */
function recorder() {
  const sent: Sent[] = [];
  const t = {
    sent,
    up: true,
    transport: {
      send: (kind: RtpKind, payload: Buffer, seq: number, ts: number, marker: boolean) => {
        if (!t.up) return false;
        sent.push({ kind, payload, seq, ts, marker });
        return true;
      },
    },
  };
  return t;
}

/** A Source fed with the test AVC stream; returns it and the packets it made (header excluded). */
function stream(frames: number, gop: number, size = 3000) {
  const source = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const packets: Packet[] = [];
  source.addOutput({ name: 'spy', onPacket: (p) => packets.push(p) });
  source.onMessage('video', 0, TEST_AVC_HEADER);
  for (let i = 0; i < frames; i++) source.onMessage('video', i * 40, testAvcFrame(size, i % gop === 0));
  return { source, packets: packets.filter((p) => !p.sequenceHeader) };
}

test('two players share one packetization: each access unit once, the same payload buffers, their own sequence numbers and timestamps', () => {
  const { source, packets } = stream(10, 5);
  const feeds = new RtcFeeds(() => undefined);
  const a = recorder();
  const b = recorder();
  const pa = new RtcPlayer(a.transport);
  const pb = new RtcPlayer(b.transport);
  pa.feed = feeds.join(source, pa);
  pb.feed = feeds.join(source, pb);
  assert.equal(pa.feed, pb.feed);
  pa.write(packets);
  pb.write(packets);
  assert.equal(pa.feed.videoPacketized, 10, 'each access unit is packetized once');
  assert.equal(a.sent.length, b.sent.length);
  assert.ok(a.sent.length > 10);
  for (let i = 0; i < a.sent.length; i++) assert.equal(a.sent[i].payload, b.sent[i].payload, 'the same payload buffer');
  for (const r of [a, b]) {
    for (let i = 1; i < r.sent.length; i++) assert.equal(r.sent[i].seq, (r.sent[i - 1].seq + 1) & 0xffff);
  }
  // timestamps: 40 ms = 3600 ticks per frame, from each player's own offset
  const frameTs = (r: typeof a) => r.sent.filter((s) => s.marker).map((s) => s.ts);
  const ta = frameTs(a);
  assert.equal(ta.length, 10);
  for (let i = 1; i < ta.length; i++) assert.equal((ta[i] - ta[i - 1] + 2 ** 32) % 2 ** 32, 3600);
  // the IDR is preceded by SPS and PPS (one STAP-A) and depacketizes to SPS, PPS, IDR
  assert.equal(a.sent[0].payload[0] & 0x1f, 24);
  const d = new H264Depacketizer();
  const units = a.sent.flatMap((s) => d.push(s.payload, s.seq, s.ts, s.marker));
  assert.equal(units.length, 10);
  assert.deepEqual(units[0].nalus.map((n) => n[0] & 0x1f), [7, 8, 5]);
  assert.deepEqual(units[1].nalus.map((n) => n[0] & 0x1f), [1]);
  assert.equal(units[5].keyframe, true);
  // the last player leaving removes the feed from the Source
  feeds.leave(pa.feed, pa);
  assert.equal(feeds.size, 1);
  feeds.leave(pb.feed, pb);
  assert.equal(feeds.size, 0);
  assert.ok(!source.outputs.some((o) => o.name === 'rtc-play'));
  source.close();
});

test('a player joins at a keyframe; a packet the transport cannot send is dropped, takes no sequence number, and video starts again at a keyframe', () => {
  const { source, packets } = stream(18, 6);
  const feeds = new RtcFeeds(() => undefined);
  const r = recorder();
  const p = new RtcPlayer(r.transport);
  p.feed = feeds.join(source, p);
  p.write(packets.slice(1, 2)); // joins mid-GOP: nothing before the keyframe
  assert.equal(r.sent.length, 0);
  p.write(packets.slice(6, 8)); // the keyframe and the next frame go
  r.up = false; // the transport cannot send (DTLS not up yet, or gone)
  p.write(packets.slice(8, 9));
  assert.ok(p.dropped > 0, 'counted as dropped');
  assert.equal(p.packetsSent, r.sent.length);
  r.up = true;
  p.write(packets.slice(9)); // the picture lost a frame: nothing until the next keyframe
  const d = new H264Depacketizer();
  const units = r.sent.flatMap((s) => d.push(s.payload, s.seq, s.ts, s.marker));
  assert.equal(units.length, 2 + 6, 'frames 6-7, then from the keyframe at 12');
  assert.ok(units[0].keyframe && units[2].keyframe);
  for (let i = 1; i < r.sent.length; i++) assert.equal(r.sent[i].seq, (r.sent[i - 1].seq + 1) & 0xffff, 'no gap in the sequence numbers');
  assert.equal(p.packetsSent, r.sent.length);
  source.close();
});

test('a picture loss is answered from the GOP cache at most once a second', () => {
  const { source, packets } = stream(8, 4);
  const feeds = new RtcFeeds(() => undefined);
  const r = recorder();
  const p = new RtcPlayer(r.transport);
  p.feed = feeds.join(source, p);
  p.write(packets);
  const before = r.sent.length;
  p.onPictureLoss(10_000);
  const resent = r.sent.slice(before);
  const d = new H264Depacketizer();
  const units = resent.flatMap((s) => d.push(s.payload, s.seq, s.ts, s.marker));
  assert.equal(units.length, 4, 'the cached GOP: a keyframe and 3 frames');
  assert.ok(units[0].keyframe);
  p.onPictureLoss(10_500);
  assert.equal(p.gopResends, 1);
  p.onPictureLoss(11_100);
  assert.equal(p.gopResends, 2);
  source.close();
});

test('at the dying water level a player sends nothing (counted as shed) and starts again at the next keyframe, the publisher asked once', () => {
  const { source, packets } = stream(15, 5);
  const feeds = new RtcFeeds(() => undefined);
  const r = recorder();
  const load = { high: false, dying: false, shed: 0 };
  let asked = 0;
  const p = new RtcPlayer(r.transport, () => (asked++, false), load);
  p.feed = feeds.join(source, p);
  p.consumer = {} as NonNullable<RtcPlayer['consumer']>; // attached: its Opus from the stream's AAC is sent
  p.write(packets.slice(0, 3)); // IDR, P, P
  const before = r.sent.length;
  assert.ok(before > 0);
  load.dying = true;
  load.high = true;
  p.write(packets.slice(3, 5)); // P, P: the first counted as shed, the second not (it would wait for a keyframe anyway)
  p.sendAudio({ payload: Buffer.from([1, 2, 3]), timestamp: 0, marker: true });
  assert.equal(r.sent.length, before, 'nothing sent while dying');
  assert.equal(p.shed, 2);
  assert.equal(load.shed, 2);
  // a picture loss is not answered from the GOP cache while dying (nor at high)
  p.onPictureLoss(10_000);
  assert.equal(p.gopResends, 0);
  assert.equal(r.sent.length, before);
  assert.equal(asked, 1, 'the picture loss asked the publisher');
  load.dying = false;
  p.write(packets.slice(5, 6)); // IDR: sent at once
  assert.equal(asked, 2, 'the publisher is asked for a keyframe once the shedding ends');
  assert.ok(r.sent.length > before);
  p.write(packets.slice(6, 8));
  assert.equal(asked, 2, 'once');
  // no gap in the sequence numbers the player sees
  for (let i = 1; i < r.sent.length; i++) if (r.sent[i].kind === r.sent[i - 1].kind) assert.equal(r.sent[i].seq, (r.sent[i - 1].seq + 1) & 0xffff);
  const d = new H264Depacketizer();
  const units = r.sent.filter((s) => s.kind === 'video').flatMap((s) => d.push(s.payload, s.seq, s.ts, s.marker));
  assert.equal(units.length, 6);
  assert.equal(units[3].keyframe, true);
  assert.equal(p.dropped, 0);
  // at high (not dying) a picture loss still gets no GOP resend; normal again, it does
  load.high = true;
  p.onPictureLoss(20_000);
  assert.equal(p.gopResends, 0);
  load.high = false;
  p.onPictureLoss(30_000);
  assert.equal(p.gopResends, 1);
});

test('after dying a P-frame waits for the next keyframe: video resumes there, not mid-GOP', () => {
  const { source, packets } = stream(15, 5);
  const feeds = new RtcFeeds(() => undefined);
  const r = recorder();
  const load = { high: false, dying: false, shed: 0 };
  const p = new RtcPlayer(r.transport, () => false, load);
  p.feed = feeds.join(source, p);
  p.write(packets.slice(0, 2));
  const before = r.sent.length;
  load.dying = true;
  p.write(packets.slice(2, 3));
  load.dying = false;
  p.write(packets.slice(3, 5)); // P, P: not sent
  assert.equal(r.sent.length, before);
  p.write(packets.slice(5, 6)); // IDR
  assert.ok(r.sent.length > before);
  assert.equal(r.sent[before].payload[0] & 0x1f, 24, 'SPS/PPS (STAP-A) first again');
});

test('a player waiting for a keyframe asks the publisher for one, at most once a second, and not once video flows', (t) => {
  const { source, packets } = stream(12, 12); // one long GOP, as a WebRTC publisher's (keyframes when asked)
  const feeds = new RtcFeeds(() => undefined);
  const r = recorder();
  let asked = 0;
  const p = new RtcPlayer(r.transport, () => (asked++, true));
  p.feed = feeds.join(source, p);
  t.mock.timers.enable({ apis: ['Date'], now: 50_000 });
  p.write(packets.slice(1, 3)); // mid-GOP: nothing sent, the publisher asked once
  assert.equal(r.sent.length, 0);
  assert.equal(asked, 1);
  t.mock.timers.tick(500);
  p.write(packets.slice(3, 4));
  assert.equal(asked, 1, 'not again within a second');
  t.mock.timers.tick(600);
  p.write(packets.slice(4, 5));
  assert.equal(asked, 2, 'again after a second');
  p.write(packets.slice(0, 1)); // the keyframe: video flows
  t.mock.timers.tick(2000);
  p.write(packets.slice(5, 8));
  assert.equal(asked, 2, 'a player receiving video does not ask');
  assert.ok(r.sent.length > 0);
  source.close();
});
