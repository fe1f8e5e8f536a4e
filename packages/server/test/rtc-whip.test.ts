/**
 * WebRTC signalling: a werift publisher connects through SRS's /rtc/v1/publish/ to the one UDP
 * port and its stream is listed; bad offers, a busy stream and a refusing on_publish get SRS's
 * codes, on WHIP and on /rtc/v1/publish/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, clients, streams, type HookServer } from './api-helpers.js';
import { waitFor, type RunningServer } from './harness.js';
import { rtcPublisher, startWhipServer, whip as whipPost } from './rtc-helpers.js';

let server: RunningServer;
let hooks: HookServer;

before(async () => {
  ({ server, hooks } = await startWhipServer(({ body }) => (body.stream === 'denied' ? '{"code":403}' : '{"code":0}')));
});

after(async () => {
  await server?.stop();
  hooks?.close();
});

const publisher = () => rtcPublisher({ video: true });
const whip = (query: string, sdp: string, headers: Record<string, string> = {}) => whipPost(server, query, sdp, headers);

test("SRS's /rtc/v1/publish/ answers {code:0, sdp, sessionid} and the publisher connects", async () => {
  const { pc, offer } = await publisher();
  const res = await api<{ code: number; sdp: string; sessionid: string; server: string }>(server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ api: `${server.apiUrl('/rtc/v1/publish/')}`, tid: 't1', streamurl: 'webrtc://127.0.0.1/live/srsapi?k=v', clientip: null, sdp: offer }),
  });
  assert.equal(res.json.code, 0, JSON.stringify(res.json));
  assert.match(res.json.sessionid, /\S+:\S+/);
  assert.ok(res.json.server);
  await pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
  await waitFor('connected', () => pc.connectionState === 'connected', 15_000);
  assert.equal(hooks.calls.find((c) => c.body.stream === 'srsapi')?.body.param, '?k=v');
  assert.ok((await streams(server)).find((x) => x.name === 'srsapi')?.publish.active);
  // the same stream again: busy
  const second = await publisher();
  const busy = await api<{ code: number }>(server, '/rtc/v1/publish/', {
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
  const srsBad = await api<{ code: number }>(server, '/rtc/v1/publish/', {
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
  const srsRefused = await api<{ code: number }>(server, '/rtc/v1/publish/', {
    method: 'POST',
    body: JSON.stringify({ streamurl: 'webrtc://127.0.0.1/live/denied', sdp: offer }),
  });
  assert.equal(srsRefused.json.code, 1064);
  await pc.close();
  const names = (await streams(server)).map((s) => s.name);
  for (const n of ['bad', 'bad2', 'denied']) assert.ok(!names.includes(n), n);
  assert.ok(!(await clients(server)).some((c) => c.name === 'denied'));
  // the server is still up
  assert.equal((await api(server, '/api/v1/versions')).json.code, 0);
});
