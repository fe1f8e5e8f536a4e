/**
 * The RTP path to WebRTC players (protocol/rtc/rtp-out.ts), as werift players see it: each
 * player has its own SSRCs (the answer's `a=ssrc`), its video sequence numbers run on without a
 * jump when the RTMP publisher goes and comes back (a new packetization of the stream), the
 * negotiated transport-wide sequence numbers (TWCC) count every RTP packet of the transport, and
 * the RTCP sender reports carry the sender's SSRC, a packet count and an NTP/RTP timestamp pair
 * that match what arrived, all through the AES_CM_128_HMAC_SHA1_80 profile the server prefers. (SRTP
 * and the NACK answers: srtp-protect.test, rtc-whep.test and rtc-feedback.test.)
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtcpSrPacket } from 'werift';
import { nativeRtcSend } from '../src/protocol/rtc/native-send.js';
import { api } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { rtcPlayer, whep, type RtcPlayerClient } from './rtc-helpers.js';

let server: RunningServer;
let publisher: ChildProcess | undefined;
const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** 1900-01-01 to 1970-01-01 in seconds */
const NTP_UNIX = 2_208_988_800;

async function publish(): Promise<void> {
  publisher = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`, { size: '320x240', rate: 25, gop: 25 });
  await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; publish: { active: boolean }; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === 'cam' && s.publish.active && s.video), 20_000, 200);
}

before(async () => {
  const udp = await freePort();
  server = await startServer((p) => basicConf(p, 'rtc { enabled on; rtmp_to_rtc on; nack on; twcc on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`));
  await publish();
});

after(async () => {
  kill(publisher);
  await server?.stop();
});

interface Watched {
  player: RtcPlayerClient;
  answer: string;
  /** video and audio SSRCs seen */
  ssrcs: { video: Set<number>; audio: Set<number> };
  /** transport-wide sequence numbers in arrival order (both kinds) */
  twcc: number[];
  /** the newest video RTP timestamp and the distinct video packets so far */
  lastVideoTs: number;
  videoPackets: Set<number>;
  /** sender reports for the video SSRC, with the distinct video packets received when each came */
  reports: { sr: RtcpSrPacket; received: number; at: number }[];
}

async function watchedPlayer(twcc: boolean): Promise<Watched> {
  const player = await rtcPlayer({ twcc });
  const w: Watched = { player, answer: '', ssrcs: { video: new Set(), audio: new Set() }, twcc: [], lastVideoTs: 0, videoPackets: new Set(), reports: [] };
  let twccId = -1;
  player.pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      const kind = track.kind === 'video' ? 'video' : 'audio';
      w.ssrcs[kind].add(rtp.header.ssrc);
      // a retransmission (NACK) is the cached packet again, with its first transport-wide number
      const fresh = kind === 'audio' || !w.videoPackets.has(rtp.header.sequenceNumber);
      const ext = rtp.header.extensions.find((e) => e.id === twccId);
      if (ext && fresh) w.twcc.push(ext.payload.readUInt16BE(0));
      if (kind === 'video') {
        w.lastVideoTs = rtp.header.timestamp;
        w.videoPackets.add(rtp.header.sequenceNumber);
      }
    });
  });
  player.videoReceiver!.onRtcp.subscribe((rtcp) => {
    if (rtcp instanceof RtcpSrPacket && w.ssrcs.video.has(rtcp.ssrc)) w.reports.push({ sr: rtcp, received: w.videoPackets.size, at: Date.now() });
  });
  const res = await whep(server, 'app=live&stream=cam', player.offer);
  w.answer = await res.text();
  assert.equal(res.status, 201, w.answer);
  if (twcc) twccId = Number(new RegExp(`^a=extmap:(\\d+) ${TWCC_URI.replace(/[.]/g, '\\.')}`, 'm').exec(w.answer)?.[1] ?? -1);
  await player.pc.setRemoteDescription({ type: 'answer', sdp: w.answer });
  return w;
}

/** The `a=ssrc:` of the answer's m-section of `kind`. */
function answerSsrc(answer: string, kind: 'video' | 'audio'): number {
  const section = answer.split(/^(?=m=)/m).find((s) => s.startsWith(`m=${kind}`)) ?? '';
  return Number(/^a=ssrc:(\d+) /m.exec(section)?.[1]);
}

/** The largest step between two video sequence numbers in arrival order (mod 2^16, either way). */
function largestSeqStep(seqs: number[]): number {
  let worst = 0;
  for (let i = 1; i < seqs.length; i++) {
    const d = (seqs[i] - seqs[i - 1] + 0x10000) & 0xffff;
    worst = Math.max(worst, Math.min(d, 0x10000 - d));
  }
  return worst;
}

test('each player its own SSRCs; sequence numbers without a jump across a republish; TWCC counts every packet; sender reports match', { timeout: 180_000 }, async () => {
  const [a, b] = await Promise.all([watchedPlayer(true), watchedPlayer(false)]);
  await waitFor('video at both players', () => a.player.units >= 25 && b.player.units >= 25, 30_000, 100);

  // the publisher goes and comes back: the stream is packetized anew, the players stay
  const before = { a: a.player.videoSeqs.length, b: b.player.videoSeqs.length };
  kill(publisher);
  await new Promise((r) => setTimeout(r, 1500));
  await publish();
  await waitFor('video again at both players', () => a.player.videoSeqs.length > before.a + 100 && b.player.videoSeqs.length > before.b + 100, 30_000, 100);
  await waitFor('two sender reports at each player', () => a.reports.length >= 2 && b.reports.length >= 2, 15_000, 100);

  for (const [name, w] of [['a', a], ['b', b]] as const) {
    assert.equal(w.ssrcs.video.size, 1, `${name}: one video SSRC (${[...w.ssrcs.video]})`);
    assert.equal(w.ssrcs.audio.size <= 1, true, `${name}: at most one audio SSRC`);
    assert.equal([...w.ssrcs.video][0], answerSsrc(w.answer, 'video'), `${name}: the video SSRC is the answer's`);
    // NACKed packets come again late, so allow a small step back; a restart of the numbering would jump
    const step = largestSeqStep(w.player.videoSeqs);
    assert.ok(step < 200, `${name}: the largest sequence number step is ${step}`);
    for (const { sr, received, at } of w.reports) {
      const info = sr.senderInfo;
      assert.ok(info.packetCount >= received * 0.9 && info.packetCount <= received + 300, `${name}: SR packet count ${info.packetCount}, ${received} received`);
      const ntpMs = (Number(info.ntpTimestamp >> 32n) - NTP_UNIX) * 1000 + (Number(info.ntpTimestamp & 0xffffffffn) / 2 ** 32) * 1000;
      assert.ok(Math.abs(ntpMs - at) < 5000, `${name}: SR NTP time ${new Date(ntpMs).toISOString()} vs arrival ${new Date(at).toISOString()}`);
      assert.ok(info.octetCount > info.packetCount * 100, `${name}: SR octet count ${info.octetCount}`);
    }
    const last = w.reports[w.reports.length - 1].sr.senderInfo;
    const d = (w.lastVideoTs - last.rtpTimestamp + 2 ** 32) % 2 ** 32;
    assert.ok(Math.min(d, 2 ** 32 - d) < 10 * 90_000, `${name}: SR RTP timestamp ${last.rtpTimestamp} vs newest ${w.lastVideoTs}`);
  }
  assert.notEqual([...a.ssrcs.video][0], [...b.ssrcs.video][0], 'two players, two video SSRCs');
  assert.notEqual([...a.ssrcs.audio][0], [...b.ssrcs.audio][0], 'two players, two audio SSRCs');

  // TWCC (player a negotiated it): one counter for the transport, +1 per RTP packet of either kind
  assert.ok(a.twcc.length > 100, `${a.twcc.length} TWCC numbers`);
  const twccStep = largestSeqStep(a.twcc);
  assert.ok(twccStep < 200, `the largest transport-wide step is ${twccStep}`);
  const distinct = new Set(a.twcc).size;
  assert.ok(distinct >= a.twcc.length * 0.98, `${distinct} distinct of ${a.twcc.length}: each packet its own number (${a.twcc.slice(0, 60).join(',')})`);
  assert.equal(b.twcc.length, 0, 'b did not negotiate TWCC');
  // the profile tsrs offered first and werift picked: AEAD_AES_128_GCM with the native send path
  // (the same build as the server's), else AES_CM_128_HMAC_SHA1_80, which tsrs protects in JavaScript
  const expected = nativeRtcSend().native ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80;
  for (const w of [a, b]) {
    const profiles = w.player.pc.dtlsTransports.map((t) => (t as unknown as { srtp: { localContext: { profile: number } } }).srtp.localContext.profile);
    assert.deepEqual(profiles, [expected]);
  }
  await Promise.all([a.player.pc.close(), b.player.pc.close()]);
});
