/**
 * WebRTC feedback as the vhost's `rtc { nack; twcc; pli_for_rtmp; }` says: with nack on a player's
 * NACK is answered from the retransmission buffer (a werift player that drops a packet gets it
 * again) and the answer offers NACK and transport-cc; with nack/twcc off neither is offered and a
 * NACK is not answered. pli_for_rtmp asks a WHIP publisher for a keyframe every N seconds; a
 * WHEP player's PLI reaches the WHIP publisher as a PLI, at most one a second.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { api } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { ffmpegRtp, payloadType, rtcPlayer, rtcPublisher, sendNack, whep, whip, type RtcPlayerClient, type RtpFeed } from './rtc-helpers.js';

/** the "on" server's rtc.tsrs_nack_pps */
const NACK_PPS = 50;
/** on: nack, twcc, pli_for_rtmp 1, tsrs_nack_pps NACK_PPS; off: nack off, twcc off, pli_for_rtmp 0 */
const servers: Record<'on' | 'off', RunningServer | undefined> = { on: undefined, off: undefined };
const publishers: ChildProcess[] = [];
const TWCC = /^a=extmap:\d+ http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01/m;
const NACK = /^a=rtcp-fb:\d+ nack\r?$/m;

async function start(rtc: string): Promise<RunningServer> {
  const udp = await freePort();
  // the circuit breaker off: a loaded test machine's load spike must not turn NACK answers off (test/rtc-circuit-breaker.test.ts covers it)
  const server = await startServer((p) =>
    basicConf(p, `rtc { enabled on; rtmp_to_rtc on; rtc_to_rtmp on; ${rtc} }`, `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }\ncircuit_breaker { enabled off; }`),
  );
  const ff = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`, { size: '320x240', rate: 25, gop: 25 });
  publishers.push(ff);
  await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === 'cam' && s.video), 20_000, 200);
  return server;
}

before(async () => {
  servers.on = await start(`nack on; twcc on; pli_for_rtmp 1; tsrs_nack_pps ${NACK_PPS};`);
  servers.off = await start('nack off; twcc off; pli_for_rtmp 0;');
});

after(async () => {
  for (const p of publishers) kill(p);
  await Promise.all([servers.on?.stop(), servers.off?.stop()]);
});

/** A connected WHEP player of `stream` receiving video; returns it and the answer. */
async function playing(server: RunningServer, stream: string): Promise<{ player: RtcPlayerClient; answer: string }> {
  const player = await rtcPlayer({ twcc: true });
  const res = await whep(server, `app=live&stream=${stream}`, player.offer);
  const answer = await res.text();
  assert.equal(res.status, 201, answer);
  await player.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await waitFor('video at the player', () => player.videoSeqs.length >= 30, 20_000, 50);
  return { player, answer };
}

/** Drops the next video packet to arrive, NACKs it; true when it arrives again within `ms`. */
async function dropAndNack(player: RtcPlayerClient, ms: number): Promise<boolean> {
  let lost: number | undefined;
  player.drop = (seq) => {
    if (lost !== undefined) return false;
    lost = seq;
    return true;
  };
  await waitFor('a dropped packet', () => lost !== undefined, 5000, 10);
  await sendNack(player, [lost!]);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (player.videoSeqs.includes(lost!)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('nack on, twcc on: the answer offers NACK and transport-cc; a dropped packet NACKed comes again', async () => {
  const { player, answer } = await playing(servers.on!, 'cam');
  assert.match(answer, NACK);
  assert.match(answer, TWCC);
  assert.ok(await dropAndNack(player, 5000), 'the NACKed packet was sent again');
  await player.pc.close();
});

test('tsrs_nack_pps: a NACK storm for every packet of the history gets at most that many packets a second resent', async () => {
  const { player } = await playing(servers.on!, 'cam');
  try {
    const window = async (ms: number, during?: () => Promise<void>) => {
      const from = player.videoSeqs.length;
      const end = Date.now() + ms;
      while (Date.now() < end) await (during ? during() : new Promise((r) => setTimeout(r, 50)));
      const got = player.videoSeqs.slice(from);
      return { packets: got.length, resent: got.length - new Set(got).size - countSeenBefore(player.videoSeqs, from) };
    };
    const base = await window(3000);
    // every 20 ms a NACK of the last 128 packets received (all of the server's history)
    const storm = await window(4000, async () => {
      await sendNack(player, [...new Set(player.videoSeqs.slice(-128))]);
      await new Promise((r) => setTimeout(r, 20));
    });
    // one second's burst, then the rate: 50 + 4 x 50 = 250 at most (werift used to resend
    // all 128 of every NACK: thousands)
    const bound = NACK_PPS * 5;
    assert.ok(storm.resent > 0, 'the NACKs were answered at all');
    assert.ok(storm.resent <= bound, `${storm.resent} packets resent in 4 s (at most ${bound})`);
    assert.ok(storm.packets <= (base.packets / 3) * 4 * 1.5 + bound, `${storm.packets} packets in 4 s of storm, ${base.packets} in 3 s before`);
  } finally {
    await player.pc.close();
  }
});

/** How many of `seqs[from..]` were already received before `from` (retransmissions of earlier packets). */
function countSeenBefore(seqs: number[], from: number): number {
  const before = new Set(seqs.slice(0, from));
  const later = new Set<number>();
  let n = 0;
  for (const s of seqs.slice(from)) {
    if (before.has(s) && !later.has(s)) n++;
    later.add(s);
  }
  return n;
}

test('nack off, twcc off: neither is offered and a NACK is not answered', async () => {
  const { player, answer } = await playing(servers.off!, 'cam');
  assert.doesNotMatch(answer, NACK);
  assert.match(answer, /^a=rtcp-fb:\d+ nack pli/m, 'PLI stays');
  assert.doesNotMatch(answer, TWCC);
  const before = player.videoSeqs.length;
  assert.equal(await dropAndNack(player, 2500), false, 'no retransmission');
  assert.ok(player.videoSeqs.length > before + 20, 'the stream went on');
  await player.pc.close();
});

/** A WHIP publisher of H.264 from FFmpeg; counts the PLIs it receives. */
async function whipPublisher(server: RunningServer, stream: string) {
  const pub = await rtcPublisher({ video: true });
  const res = await whip(server, `app=live&stream=${stream}`, pub.offer);
  const answer = await res.text();
  assert.equal(res.status, 201, answer);
  await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const plis: number[] = [];
  pub.pc.getTransceivers()[0].sender.onPictureLossIndication.subscribe(() => plis.push(Date.now()));
  await waitFor('connected', () => pub.pc.connectionState === 'connected', 20_000);
  const media: RtpFeed = await ffmpegRtp({ video: { track: pub.video!, pt: payloadType(answer, 'H264/90000') } });
  await waitFor('the WHIP stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === stream && s.video), 20_000, 200);
  return { pub, plis, media };
}

const countSince = (plis: number[], t: number) => plis.filter((x) => x >= t).length;

test('pli_for_rtmp 1: a WHIP publisher is asked for a keyframe every second', async () => {
  const { pub, plis, media } = await whipPublisher(servers.on!, 'whip-pli');
  try {
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 5000));
    const n = countSince(plis, t0);
    assert.ok(n >= 3 && n <= 7, `${n} PLIs in 5 s`);
  } finally {
    media.stop();
    await pub.pc.close();
  }
});

test("a WHEP player's PLI reaches the WHIP publisher, at most one a second", async () => {
  const { pub, plis, media } = await whipPublisher(servers.off!, 'whip-play');
  const { player } = await playing(servers.off!, 'whip-play');
  try {
    // pli_for_rtmp 0: no PLIs of the server's own once the stream runs
    await new Promise((r) => setTimeout(r, 1500));
    const quiet = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(countSince(plis, quiet), 0, 'no PLI without a player asking');
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      await player.videoReceiver!.sendRtcpPLI(player.videoSsrc!);
      await new Promise((r) => setTimeout(r, 100));
    }
    const n = countSince(plis, t0);
    assert.ok(n >= 2 && n <= 6, `${n} PLIs at the publisher for 40 PLIs of the player in 4 s`);
  } finally {
    media.stop();
    await player.pc.close();
    await pub.pc.close();
  }
});
