/**
 * WebRTC signalling: a werift publisher connects through SRS's /rtc/v1/publish/ to the one UDP
 * port and its stream is listed; bad offers, a busy stream and a refusing on_publish get SRS's
 * codes, on WHIP and on /rtc/v1/publish/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { api, clients, streams } from './api-helpers.js';
import { waitFor } from './harness.js';
import { H264_CODEC, OPUS_CODEC, rtcPublisher, useWhipServer, whip as whipPost } from './rtc-helpers.js';

const w = useWhipServer(({ body }) => (body.stream === 'denied' ? '{"code":403}' : '{"code":0}'));

const publisher = () => rtcPublisher({ video: true });
const whip = (query: string, sdp: string, headers: Record<string, string> = {}) => whipPost(w.server, query, sdp, headers);

test("SRS's /rtc/v1/publish/ answers {code:0, sdp, sessionid} and the publisher connects", async () => {
  const { pc, offer } = await publisher();
  const res = await api<{ code: number; sdp: string; sessionid: string; server: string }>(w.server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ api: `${w.server.apiUrl('/rtc/v1/publish/')}`, tid: 't1', streamurl: 'webrtc://127.0.0.1/live/srsapi?k=v', clientip: null, sdp: offer }),
  });
  assert.equal(res.json.code, 0, JSON.stringify(res.json));
  assert.match(res.json.sessionid, /\S+:\S+/);
  assert.ok(res.json.server);
  await pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
  await waitFor('connected', () => pc.connectionState === 'connected', 15_000);
  assert.equal(w.hooks.calls.find((c) => c.body.stream === 'srsapi')?.body.param, '?k=v');
  assert.ok((await streams(w.server)).find((x) => x.name === 'srsapi')?.publish.active);
  // the same stream again: busy
  const second = await publisher();
  const busy = await api<{ code: number }>(w.server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/srsapi', sdp: second.offer }),
  });
  assert.equal(busy.json.code, 5020);
  await second.pc.close();
  await pc.close();
});

test('bad offers and a refusing on_publish get SRS codes; nothing is left behind', async () => {
  const garbage = await whip('app=live&stream=bad', 'hello');
  assert.equal(garbage.status, 400);
  assert.equal(((await garbage.json()) as { code: number }).code, 5012);
  const noStream = await whip('app=live', 'v=0\r\n');
  assert.equal(((await noStream.json()) as { code: number }).code, 5023);
  const srsBad = await api<{ code: number }>(w.server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/bad2', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' }),
  });
  assert.equal(srsBad.json.code, 5012);

  const { pc, offer } = await publisher();
  const refused = await whip('app=live&stream=denied', offer);
  assert.equal(refused.status, 403);
  const body = (await refused.json()) as { code: number; msg: string };
  assert.equal(body.code, 1064);
  assert.match(body.msg, /on_publish/);
  const srsRefused = await api<{ code: number }>(w.server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/denied', sdp: offer }),
  });
  assert.equal(srsRefused.json.code, 1064);
  await pc.close();
  const names = (await streams(w.server)).map((s) => s.name);
  for (const n of ['bad', 'bad2', 'denied']) assert.ok(!names.includes(n), n);
  assert.ok(!(await clients(w.server)).some((c) => c.name === 'denied'));
  // the server is still up
  assert.equal((await api(w.server, '/api/v1/versions')).json.code, 0);
});

/** The server's UDP sockets: its fds whose socket inode /proc/PID/net/udp lists. */
function udpSockets(pid: number): number {
  const inodes = new Set(
    ['udp', 'udp6'].flatMap((f) => readFileSync(`/proc/${pid}/net/${f}`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[9]).filter(Boolean)),
  );
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test('an unbundled offer (a transport per m-line) is refused as SRS does; sessions leave no UDP socket behind', async () => {
  const pid = w.server.proc.pid!;
  const before = udpSockets(pid);
  assert.ok(before >= 1, `${before} UDP sockets (rtc_server's)`);
  // werift with bundlePolicy 'disable': no a=group:BUNDLE, ICE credentials per m-line
  const pc = new RTCPeerConnection({ iceUseIpv6: false, bundlePolicy: 'disable', iceAdditionalHostAddresses: ['127.0.0.1'], codecs: { video: [H264_CODEC()], audio: [OPUS_CODEC()] } });
  pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const offer = pc.localDescription!.sdp;
  assert.doesNotMatch(offer, /^a=group:BUNDLE/m);
  const res = await whip('app=live&stream=unbundled', offer);
  assert.equal(res.status, 400);
  const body = (await res.json()) as { code: number; msg: string };
  assert.equal(body.code, 5018);
  assert.match(body.msg, /BUNDLE/);
  const srs = await api<{ code: number }>(w.server, '/rtc/v1/publish/', { method: 'POST', body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/unbundled', sdp: offer }) });
  assert.equal(srs.json.code, 5018);
  await pc.close();
  assert.ok(!(await streams(w.server)).some((s) => s.name === 'unbundled'));

  // bundled sessions that connect and end: the shared port only, no socket of their own
  for (let i = 0; i < 3; i++) {
    const p = await publisher();
    const ok = await whip(`app=live&stream=bundled${i}`, p.offer);
    assert.equal(ok.status, 201);
    await p.pc.setRemoteDescription({ type: 'answer', sdp: await ok.text() });
    await waitFor('connected', () => p.pc.connectionState === 'connected', 30_000);
    assert.equal(udpSockets(pid), before, 'while connected');
    assert.equal((await fetch(`http://127.0.0.1:${w.server.ports.api}${ok.headers.get('location')}`, { method: 'DELETE' })).status, 200);
    await p.pc.close();
  }
  assert.equal(udpSockets(pid), before, 'after the sessions');
});

test('kicking a WHIP publisher ends its publish and its session: its DELETE is then 404 and the stream may be published again', { timeout: 60_000 }, async () => {
  const p = await publisher();
  const res = await whip('app=live&stream=kicked', p.offer);
  assert.equal(res.status, 201);
  const location = res.headers.get('location')!;
  await p.pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await waitFor('connected', () => p.pc.connectionState === 'connected', 30_000);
  const listed = (await clients(w.server)).find((c) => c.name === 'kicked');
  assert.ok(listed && (await streams(w.server)).find((s) => s.name === 'kicked')?.publish.active);
  assert.equal((await api(w.server, `/api/v1/clients/${listed.id}`, { method: 'DELETE' })).json.code, 0);
  await waitFor('unpublished', async () => !(await streams(w.server)).find((s) => s.name === 'kicked')?.publish.active, 10_000);
  assert.ok(!(await clients(w.server)).some((c) => c.name === 'kicked'));
  // the kick closed the session itself, not only the stream's role
  assert.equal((await fetch(`http://127.0.0.1:${w.server.ports.api}${location}`, { method: 'DELETE' })).status, 404);
  await p.pc.close();
  const again = await publisher();
  const res2 = await whip('app=live&stream=kicked', again.offer);
  assert.equal(res2.status, 201, 'a kicked stream is free again');
  await again.pc.setRemoteDescription({ type: 'answer', sdp: await res2.text() });
  await waitFor('connected again', () => again.pc.connectionState === 'connected', 30_000);
  assert.ok((await streams(w.server)).find((s) => s.name === 'kicked')?.publish.active);
  await again.pc.close();
});
