/**
 * WebRTC players of an RTMP stream (rtmp_to_rtc): FFmpeg publishes H.264 + AAC over RTMP, werift
 * players connect through WHEP and SRS's /rtc/v1/play/ to the one UDP port; the H.264 RTP they
 * receive depacketizes into access units FFmpeg decodes, the Opus RTP (made from the AAC by the
 * server's FFmpeg child) parses as 20 ms Opus packets; on_play/on_stop run with the bearer token;
 * DELETE ends the session; errors are 4xx JSON.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { H264Depacketizer } from '../src/kernel/rtp-h264-depacketize.js';
import { nalusToAnnexB } from '../src/kernel/annexb.js';
import { opusPacketSamples } from '../src/kernel/opus.js';
import { nativeRtcSend } from '../src/protocol/rtc/native-send.js';
import { api, clients, metric, startHookServer, type HookServer } from './api-helpers.js';
import { basicConf, ffmpegPublish, ffprobe, decodeErrors, freePort, kill, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { rtcPlayer, rtcPublisher, whep as whepPost, whip as whipPost } from './rtc-helpers.js';

let server: RunningServer;
let hooks: HookServer;
let publisher: ChildProcess | undefined;

before(async () => {
  hooks = await startHookServer(({ body }) => (body.stream === 'denied' ? '{"code":403}' : '{"code":0}'));
  const udpPort = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      `rtc { enabled on; rtmp_to_rtc on; rtc_to_rtmp on; }
       http_hooks { enabled on; on_play ${hooks.url}/play; on_stop ${hooks.url}/stop; }`,
      `rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }`,
    ),
  );
  publisher = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`, { size: '320x240', rate: 25, gop: 25 });
  await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; publish: { active: boolean }; video: unknown; audio: unknown }[] }>(server, '/api/v1/streams/')).json.streams.find((s) => s.name === 'cam' && s.video && s.audio), 20_000, 200);
});

after(async () => {
  kill(publisher);
  await server?.stop();
  hooks?.close();
});

/** A werift player: recvonly H.264 + Opus; collects access units and Opus packets. */
async function player() {
  const pc = new RTCPeerConnection({
    iceUseIpv6: false,
    // one transport for both tracks: werift leaves an unbundled transport's UDP socket open
    // after close(), and the test process would never exit
    bundlePolicy: 'max-bundle',
    iceAdditionalHostAddresses: ['127.0.0.1'],
    // loopback only: a LAN candidate would pair with the server's 127.0.0.1 as well
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90_000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })],
    },
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const got = { units: [] as { nalus: Buffer[]; keyframe: boolean; timestamp: number }[], opus: [] as Buffer[], videoPackets: 0 };
  const depacketizer = new H264Depacketizer();
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'video') {
        got.videoPackets++;
        for (const au of depacketizer.push(rtp.payload, rtp.header.sequenceNumber, rtp.header.timestamp, rtp.header.marker)) got.units.push(au);
      } else got.opus.push(Buffer.from(rtp.payload));
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('a loopback candidate in the offer', () => / 127\.0\.0\.1 \d+ typ host/.test(pc.localDescription!.sdp), 5000, 20);
  return { pc, got, offer: pc.localDescription!.sdp };
}

function whep(query: string, sdp: string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${server.ports.api}/rtc/v1/whep/?${query}`, {
    method: 'POST',
    body: sdp,
    headers: { 'Content-Type': 'application/sdp', ...headers },
  });
}

test('WHEP: a werift player gets H.264 that decodes and Opus made from the AAC; DELETE ends it and on_stop runs', async () => {
  const { pc, got, offer } = await player();
  const res = await whep('app=live&stream=cam', offer, { Authorization: 'Bearer s3cret' });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/sdp');
  const location = res.headers.get('location')!;
  assert.match(location, /^\/rtc\/v1\/whep\/\?.*session=/);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await waitFor('connected', () => pc.connectionState === 'connected', 15_000);
  await waitFor('60 access units and 100 Opus packets', () => got.units.length >= 60 && got.opus.length >= 100, 30_000, 100);

  const play = hooks.calls.find((c) => c.body.action === 'on_play' && c.body.stream === 'cam');
  assert.equal(play?.body.param, '?token=s3cret');
  const listed = (await clients(server)).find((c) => c.type === 'rtc-play' && c.name === 'cam');
  assert.ok(listed, 'the WebRTC player is listed');

  // video: the first access unit is an IDR with SPS and PPS before it; all of them decode
  const first = got.units[0];
  assert.ok(first.keyframe, 'the player joins at a keyframe');
  assert.deepEqual(first.nalus.slice(0, 2).map((n) => n[0] & 0x1f), [7, 8]);
  const dir = tempDir('tsrs-whep-');
  const file = join(dir, 'video.h264');
  writeFileSync(file, Buffer.concat(got.units.map((u) => nalusToAnnexB(u.nalus))));
  assert.equal(await decodeErrors(file), '');
  const probe = await ffprobe(file, ['-count_frames']);
  const v = probe.streams.find((s) => s.codec_type === 'video')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 320);
  assert.ok(Number(v.nb_read_frames) >= 55, `decoded ${v.nb_read_frames} frames`);
  // timestamps advance by about 40 ms (3600 ticks at 90 kHz) a frame
  const steps = got.units.slice(1, 40).map((u, i) => (u.timestamp - got.units[i].timestamp + 2 ** 32) % 2 ** 32);
  assert.ok(steps.every((d) => d > 0 && d < 90_000), `timestamp steps ${steps.join(',')}`);
  // audio: 20 ms Opus packets
  assert.ok(got.opus.every((p) => opusPacketSamples(p) === 960), 'every Opus packet is 20 ms');
  // the RTP came through the native send path (built by npm run build on Linux; required under CI)
  if (nativeRtcSend().native || process.env.CI === 'true') assert.ok((await metric(server, 'tsrs_rtc_send_batched_total')) >= got.videoPackets, 'RTP sent in native batches');
  // the delay the server added to its live video frames, per frame (the frames it joined with are not counted)
  const delays = await metric(server, 'tsrs_rtc_send_delay_ms_count');
  assert.ok(delays >= 30 && delays <= got.units.length, `${delays} delay samples for ${got.units.length} access units`);
  assert.ok((await metric(server, 'tsrs_rtc_send_delay_ms_sum')) / delays < 100, 'a few ms per frame on an idle server');

  const del = await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  await waitFor('on_stop', () => hooks.calls.some((c) => c.body.action === 'on_stop' && c.body.stream === 'cam'), 10_000);
  await waitFor('the player is gone', async () => !(await clients(server)).some((c) => c.type === 'rtc-play'), 10_000);
  assert.equal((await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' })).status, 404);
  await pc.close();
});

test("SRS's /rtc/v1/play/ answers {code:0, sdp, sessionid}; kicking the client ends only that player", async () => {
  const a = await player();
  const b = await player();
  const answers = [];
  for (const p of [a, b]) {
    const res = await api<{ code: number; sdp: string; sessionid: string; server: string }>(server, '/rtc/v1/play/', {
      method: 'POST',
      body: JSON.stringify({ api: server.apiUrl('/rtc/v1/play/'), tid: 't', streamurl: 'webrtc://127.0.0.1/live/cam', clientip: null, sdp: p.offer }),
    });
    assert.equal(res.json.code, 0, JSON.stringify(res.json));
    assert.ok(res.json.server);
    answers.push(res.json);
    await p.pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
  }
  await waitFor('both connected', () => a.pc.connectionState === 'connected' && b.pc.connectionState === 'connected', 15_000);
  await waitFor('video at both', () => a.got.units.length >= 10 && b.got.units.length >= 10, 20_000);
  const players = (await clients(server)).filter((c) => c.type === 'rtc-play');
  assert.equal(players.length, 2);
  const kick = await api(server, `/api/v1/clients/${players[0].id}`, { method: 'DELETE' });
  assert.equal(kick.json.code, 0);
  await waitFor('one player left', async () => (await clients(server)).filter((c) => c.type === 'rtc-play').length === 1, 10_000);
  // the other one keeps receiving
  const before = a.got.units.length + b.got.units.length;
  await waitFor('video keeps flowing to the other', () => a.got.units.length + b.got.units.length >= before + 25, 15_000);
  await a.pc.close();
  await b.pc.close();
});

test('WHEP refusals: 4xx JSON for a bad offer, a refusing on_play, an oversize body', async () => {
  const { pc, offer } = await player();
  const garbage = await whep('app=live&stream=cam', 'hello');
  assert.equal(garbage.status, 400);
  assert.equal(((await garbage.json()) as { code: number }).code, 5012);
  const big = await whep('app=live&stream=cam', `v=0\r\n${'a=x\r\n'.repeat(40_000)}`);
  assert.ok(big.status >= 400 && big.status < 500, `oversize: ${big.status}`);
  // past the API's 1 MiB body cap: 413 with SRS's code 4003 and a reason
  const huge = await whep('app=live&stream=cam', `v=0\r\n${'a=x\r\n'.repeat(300_000)}`);
  assert.equal(huge.status, 413);
  const hugeBody = (await huge.json()) as { code: number; msg: string };
  assert.equal(hugeBody.code, 4003);
  assert.match(hugeBody.msg, /over \d+ bytes/);
  // a streamurl with a malformed percent-encoding: SRS's invalid parameters (5023), not a failure
  const badUrl = await api<{ code: number }>(server, '/rtc/v1/play/', { method: 'POST', body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/%E0%A4%A', sdp: offer }) });
  assert.equal(badUrl.json.code, 5023);
  assert.doesNotMatch(server.output(), /URIError/);
  // a refusing on_play: the stream must exist for the hook to be asked
  const denied = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/denied`, { audio: false });
  try {
    await waitFor('the denied stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === 'denied' && s.video), 20_000, 200);
    const refused = await whep('app=live&stream=denied', offer);
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as { code: number; msg: string };
    assert.match(body.msg, /on_play/);
    const srs = await api<{ code: number }>(server, '/rtc/v1/play/', { method: 'POST', body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/denied', sdp: offer }) });
    assert.notEqual(srs.json.code, 0);
  } finally {
    kill(denied);
  }
  assert.ok(!(await clients(server)).some((c) => c.name === 'denied' && c.type === 'rtc-play'), 'no refused player is left behind');
  assert.equal((await api(server, '/api/v1/versions')).json.code, 0);
  await pc.close();
});

test('20 WebRTC players of one stream all receive video; kicking one ends only that one', { timeout: 180_000 }, async () => {
  // an earlier test's player may still be listed until its session times out: count only ours
  const earlier = new Set((await clients(server)).map((c) => c.id));
  const ours = async () => (await clients(server)).filter((c) => c.type === 'rtc-play' && c.name === 'cam' && !earlier.has(c.id));
  const players: Awaited<ReturnType<typeof rtcPlayer>>[] = [];
  for (let i = 0; i < 20; i++) {
    const p = await rtcPlayer();
    const res = await whepPost(server, 'app=live&stream=cam', p.offer);
    assert.equal(res.status, 201, await res.clone().text());
    await p.pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    players.push(p);
  }
  try {
    await waitFor('video at all 20', () => players.every((p) => p.units >= 25), 90_000, 200);
    const listed = await ours();
    assert.equal(listed.length, 20);
    assert.ok(listed.every((c) => c.ip === '127.0.0.1' && c.send_bytes > 0), JSON.stringify(listed[0]));
    // kick the one that connected first: the oldest client of the list
    const kicked = listed[0];
    assert.equal((await api(server, `/api/v1/clients/${kicked.id}`, { method: 'DELETE' })).json.code, 0);
    await waitFor('19 players left', async () => (await ours()).length === 19, 15_000);
    await new Promise((r) => setTimeout(r, 1000)); // packets in flight
    const counts = players.map((p) => p.units);
    await new Promise((r) => setTimeout(r, 3000));
    const grew = players.map((p, i) => p.units - counts[i]);
    assert.equal(grew.filter((g) => g === 0).length, 1, `one player stopped: ${grew.join(',')}`);
    // 20 werift clients decrypting in this one test process keep up with only part of 25 fps
    assert.ok(grew.filter((g) => g >= 5).length === 19, `the other 19 go on: ${grew.join(',')}`);
  } finally {
    for (const p of players) await p.pc.close();
  }
});

test('a WebRTC player of a stream nobody publishes waits (as SRS): a later RTMP publisher starts it at a keyframe; play.waiting_timeout ends the wait', { timeout: 120_000 }, async () => {
  // rtc.stun_timeout shorter than the wait: a connected player waiting for media is not taken for a dead one
  const udpPort = await freePort();
  const waitServer = await startServer((p) =>
    basicConf(
      p,
      `rtc { enabled on; rtmp_to_rtc on; stun_timeout ${STUN_S}; }
       play { waiting_timeout ${WAITING_S}; }
       http_hooks { enabled on; on_play ${hooks.url}/play; on_stop ${hooks.url}/stop; }`,
      `rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }`,
    ),
  );
  try {
    await waitingPlayers(waitServer);
  } finally {
    await waitServer.stop();
  }
});

/** play.waiting_timeout and rtc.stun_timeout (s) of the waiting test's server */
const WAITING_S = 20;
const STUN_S = 8;

async function waitingPlayers(server: RunningServer): Promise<void> {
  const whep = (query: string, sdp: string) => whepPost(server, query, sdp);
  const { pc, got, offer } = await player();
  const res = await whep('app=live&stream=later', offer);
  assert.equal(res.status, 201, await res.clone().text());
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await waitFor('connected', () => pc.connectionState === 'connected', 15_000);
  assert.ok((await clients(server)).some((c) => c.type === 'rtc-play' && c.name === 'later'), 'the waiting player is listed');
  const late = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/later`, { size: '320x240', rate: 25, gop: 25 });
  try {
    await waitFor('30 access units and Opus from the later publisher', () => got.units.length >= 30 && got.opus.length >= 20, 30_000, 100);
    assert.ok(got.units[0].keyframe, 'the media starts at a keyframe');
    assert.deepEqual(got.units[0].nalus.slice(0, 2).map((n) => n[0] & 0x1f), [7, 8], 'with SPS and PPS');
  } finally {
    kill(late);
  }
  await pc.close();

  // nobody comes: the player is closed after play.waiting_timeout (not before: it is connected)
  const waiting = await player();
  const started = Date.now();
  const r2 = await whep('app=live&stream=never', waiting.offer);
  assert.equal(r2.status, 201);
  await waiting.pc.setRemoteDescription({ type: 'answer', sdp: await r2.text() });
  await waitFor('connected', () => waiting.pc.connectionState === 'connected', 15_000);
  const listed = async () => (await clients(server)).some((c) => c.type === 'rtc-play' && c.name === 'never');
  assert.ok(await listed(), 'waiting');
  await waitFor('the waiting player closed', async () => !(await listed()), (WAITING_S + 20) * 1000, 250);
  const waited = Date.now() - started;
  assert.ok(waited >= (WAITING_S - 1) * 1000, `closed after ${waited} ms`);
  await waitFor('on_stop of the waiting player', () => hooks.calls.some((c) => c.body.action === 'on_stop' && c.body.stream === 'never'), 10_000);
  await waiting.pc.close();
}

test('a DELETE ends only a session of its own kind (WHIP/WHEP) and of its app/stream; else 404 JSON', async () => {
  const viewer = await rtcPlayer();
  const sender = await rtcPublisher({ video: true });
  await viewer.pc.close(); // the offers are all this needs: the sessions wait for ICE
  await sender.pc.close();
  // earlier tests' players may be listed until their sessions time out: look only at these two
  const earlier = new Set((await clients(server)).map((c) => c.id));
  const played = await whepPost(server, 'app=live&stream=cam', viewer.offer);
  assert.equal(played.status, 201, await played.clone().text());
  const published = await whipPost(server, 'app=live&stream=delpub', sender.offer);
  assert.equal(published.status, 201, await published.clone().text());
  const wheps = new URL(played.headers.get('location')!, server.apiUrl('/'));
  const whips = new URL(published.headers.get('location')!, server.apiUrl('/'));
  const listed = async () => {
    const list = (await clients(server)).filter((c) => !earlier.has(c.id));
    return { player: list.some((c) => c.type === 'rtc-play' && c.name === 'cam'), publisher: list.some((c) => c.type === 'rtc-publish' && c.name === 'delpub') };
  };
  assert.deepEqual(await listed(), { player: true, publisher: true });
  const refused = async (url: URL, what: string) => {
    const res = await fetch(url, { method: 'DELETE' });
    assert.equal(res.status, 404, what);
    assert.equal(((await res.json()) as { code: number }).code, 5023, what);
  };
  const swap = (url: URL, path: string, set: Record<string, string> = {}) => {
    const u = new URL(url);
    u.pathname = path;
    for (const [k, v] of Object.entries(set)) u.searchParams.set(k, v);
    return u;
  };
  // the player's session id on the WHIP route, and the publisher's on the WHEP route
  await refused(swap(wheps, '/rtc/v1/whip/'), 'a WHEP session through WHIP');
  await refused(swap(whips, '/rtc/v1/whep/'), 'a WHIP session through WHEP');
  // the right route, other names
  await refused(swap(wheps, '/rtc/v1/whep/', { stream: 'other' }), 'another stream');
  await refused(swap(wheps, '/rtc/v1/whep/', { app: 'other' }), 'another app');
  await refused(swap(whips, '/rtc/v1/whip/', { stream: 'cam' }), 'another stream (WHIP)');
  assert.deepEqual(await listed(), { player: true, publisher: true }, 'no session was ended by a refused DELETE');
  // their own Locations end them
  assert.equal((await fetch(wheps, { method: 'DELETE' })).status, 200);
  assert.equal((await fetch(whips, { method: 'DELETE' })).status, 200);
  await waitFor('both gone', async () => {
    const l = await listed();
    return !l.player && !l.publisher;
  }, 10_000);
});

test('TSRS_RTC_NATIVE=off: RTP to players is protected and sent from JavaScript, and decodes the same', { timeout: 120_000 }, async () => {
  const udpPort = await freePort();
  const js = await startServer((p) => basicConf(p, 'rtc { enabled on; rtmp_to_rtc on; }', `rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }`), { env: { TSRS_RTC_NATIVE: 'off' } });
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${js.ports.rtmp}/live/js`, { size: '320x240', rate: 25, gop: 25 });
  try {
    assert.match(js.output(), /the native send path is off/);
    await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(js, '/api/v1/streams/')).json.streams.some((s) => s.name === 'js' && s.video), 20_000, 200);
    const { pc, got, offer } = await player();
    const res = await fetch(`http://127.0.0.1:${js.ports.api}/rtc/v1/whep/?app=live&stream=js`, { method: 'POST', body: offer, headers: { 'Content-Type': 'application/sdp' } });
    assert.equal(res.status, 201, await res.clone().text());
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await waitFor('30 access units and 50 Opus packets', () => got.units.length >= 30 && got.opus.length >= 50, 30_000, 100);
    const dir = tempDir('tsrs-whep-js-');
    const file = join(dir, 'video.h264');
    writeFileSync(file, Buffer.concat(got.units.map((u) => nalusToAnnexB(u.nalus))));
    assert.equal(await decodeErrors(file), '');
    assert.equal(await metric(js, 'tsrs_rtc_send_batched_total'), 0);
    await pc.close();
  } finally {
    kill(pub);
    await js.stop();
  }
});
