/**
 * Edge and origin cluster with several tsrs processes: an edge pulls once per stream for all of
 * its players (RTMP and HTTP-FLV) and lets go after edge_idle_timeout; fails over between
 * origins; pushes a publish through to the origin; follows an origin cluster's RTMP 302; and
 * token_traverse lets the origin's on_connect decide.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { classifyVideo } from '../src/kernel/flv-tag.js';
import { clients, startHookServer } from './api-helpers.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, type Ports, type RunningServer } from './harness.js';
import { playFlv } from './http-players.js';

const servers: RunningServer[] = [];
const procs: ChildProcess[] = [];

after(async () => {
  for (const p of procs) kill(p);
  await Promise.all(servers.map((s) => s.stop()));
});

async function start(makeConf: (p: Ports) => string): Promise<RunningServer> {
  const s = await startServer(makeConf);
  servers.push(s);
  return s;
}

function publish(url: string): ChildProcess {
  const p = ffmpegPublish(url, { size: '320x240', rate: 25, gop: 25 });
  procs.push(p);
  return p;
}

/** An edge of `origins` (RTMP ports, in order); its upstream stops 1 s after its last player. */
function edgeConf(origins: number[], extra = ''): (p: Ports) => string {
  return (p) => basicConf(p, `cluster { mode remote; origin ${origins.map((o) => `127.0.0.1:${o}`).join(' ')}; edge_idle_timeout 1; ${extra} }`);
}

/** An RTMP player recording the arrival time of each video message. */
interface Player {
  client: RtmpClient;
  video: { at: number; keyframe: boolean; header: boolean }[];
}

async function rtmpPlay(url: string): Promise<Player> {
  const client = await RtmpClient.connect(url, { mode: 'play', timeoutMs: 15_000 });
  const p: Player = { client, video: [] };
  client.on('message', (m: RtmpMessage) => {
    if (m.typeId !== MSG.VIDEO) return;
    const v = classifyVideo(m.payload);
    p.video.push({ at: Date.now(), keyframe: v.keyframe, header: v.sequenceStart });
  });
  return p;
}

const frames = (p: Player) => p.video.filter((v) => !v.header).length;

/** The origin's clients of a stream that play it. */
async function playersOf(server: RunningServer, name: string) {
  return (await clients(server)).filter((c) => c.name === name && !c.publish);
}

test('origin + edge: 3 RTMP and 2 HTTP-FLV players on the edge share one upstream, which ends after the last leaves', { timeout: 120_000 }, async () => {
  const origin = await start((p) => basicConf(p));
  const edge = await start(edgeConf([origin.ports.rtmp]));
  publish(origin.rtmpUrl('/live/shared'));
  await waitFor('publish on the origin', () => origin.output().includes('rtmp publish'), 15_000);

  const rtmp: Player[] = [];
  for (let i = 0; i < 3; i++) rtmp.push(await rtmpPlay(edge.rtmpUrl('/live/shared')));
  const flv = [await playFlv(edge.httpUrl('/live/shared.flv')), await playFlv(edge.httpUrl('/live/shared.flv'))];
  for (const f of flv) assert.equal(f.status, 200);
  await waitFor('every edge player gets 25+ frames', () => rtmp.every((p) => frames(p) >= 25) && flv.every((f) => f.video.length >= 25), 30_000);
  for (const p of rtmp) {
    const first = p.video[0];
    assert.ok(first.header, 'an edge RTMP player starts with the AVC sequence header');
    assert.ok(p.video.find((v) => !v.header)!.keyframe, 'then a keyframe');
  }
  for (const f of flv) assert.equal(f.error, undefined);

  // The origin sees exactly one player of the stream: the edge.
  const onOrigin = await playersOf(origin, 'shared');
  assert.equal(onOrigin.length, 1, JSON.stringify(onOrigin));
  assert.equal(onOrigin[0].type, 'rtmp-play');
  // The edge lists its 5 players.
  assert.equal((await playersOf(edge, 'shared')).length, 5);

  // A player leaving early changes nothing upstream.
  await rtmp[0].client.close();
  await sleep(2500);
  assert.equal((await playersOf(origin, 'shared')).length, 1, 'the upstream stays while players remain');

  for (const p of rtmp.slice(1)) await p.client.close();
  for (const f of flv) f.close();
  // edge_idle_timeout 1 s: well within 10 s the edge's upstream is gone from the origin.
  await waitFor('the edge upstream ends on the origin', async () => (await playersOf(origin, 'shared')).length === 0, 10_000, 250);
  assert.match(edge.output(), /edge upstream stopped/);

  // A new player starts a new upstream.
  const again = await rtmpPlay(edge.rtmpUrl('/live/shared'));
  await waitFor('frames again', () => frames(again) >= 10, 20_000);
  assert.equal((await playersOf(origin, 'shared')).length, 1);
  await again.client.close();
});

test('failover: the first origin dies mid-stream, edge players go on from the second within 3 s', { timeout: 120_000 }, async () => {
  const o1 = await start((p) => basicConf(p));
  const o2 = await start((p) => basicConf(p));
  publish(o1.rtmpUrl('/live/fo'));
  publish(o2.rtmpUrl('/live/fo'));
  await waitFor('both origins publish', () => o1.output().includes('rtmp publish') && o2.output().includes('rtmp publish'), 15_000);
  const edge = await start(edgeConf([o1.ports.rtmp, o2.ports.rtmp]));
  const rtmp = await rtmpPlay(edge.rtmpUrl('/live/fo'));
  const flv = await playFlv(edge.httpUrl('/live/fo.flv'));
  await waitFor('playing from the first origin', () => frames(rtmp) >= 25 && flv.video.length >= 25, 30_000);
  assert.equal((await playersOf(o1, 'fo')).length, 1, 'the edge pulls from the first origin');
  assert.equal((await playersOf(o2, 'fo')).length, 0);

  const killedAt = Date.now();
  await o1.stop('SIGKILL');
  const flvBefore = flv.video.length;
  await waitFor('frames after the kill', () => rtmp.video.filter((v) => v.at > killedAt + 3000 && !v.header).length >= 50, 30_000);
  // The largest pause between frames around the kill.
  const after = rtmp.video.filter((v) => v.at >= killedAt - 1000);
  let gap = 0;
  for (let i = 1; i < after.length; i++) gap = Math.max(gap, after[i].at - after[i - 1].at);
  assert.ok(gap <= 3000, `gap of ${gap} ms between frames at the failover`);
  assert.ok(flv.video.length > flvBefore + 25, 'the HTTP-FLV player goes on too');
  assert.equal(flv.closed, false);
  assert.equal(flv.error, undefined);
  assert.equal((await playersOf(o2, 'fo')).length, 1, 'the edge now pulls from the second origin');
  await rtmp.client.close();
  flv.close();
});

test('publish to the edge: it plays from the origin', { timeout: 90_000 }, async () => {
  const origin = await start((p) => basicConf(p));
  const edge = await start(edgeConf([origin.ports.rtmp]));
  publish(edge.rtmpUrl('/live/up'));
  await waitFor('the edge pushes to the origin', () => origin.output().includes('rtmp publish'), 20_000);
  const p = await rtmpPlay(origin.rtmpUrl('/live/up'));
  await waitFor('frames on the origin', () => frames(p) >= 25, 20_000);
  assert.ok(p.video[0].header, 'the origin player starts with the sequence header');
  assert.ok(p.video.find((v) => !v.header)!.keyframe, 'then a keyframe');
  const pub = (await clients(origin)).filter((c) => c.name === 'up' && c.publish);
  assert.equal(pub.length, 1, 'the edge is the origin stream\'s publisher');
  await p.client.close();
});

test('origin cluster: a stream on B plays from an edge whose first origin is A (RTMP 302)', { timeout: 90_000 }, async () => {
  const b = await start((p) => basicConf(p, 'cluster { origin_cluster on; }'));
  const a = await start((p) => basicConf(p, `cluster { origin_cluster on; coworkers 127.0.0.1:${b.ports.api}; }`));
  publish(b.rtmpUrl('/live/oc'));
  await waitFor('publish on B', () => b.output().includes('rtmp publish'), 15_000);

  // B answers the clusters API as SRS: B has it, A has not.
  const ask = async (s: RunningServer) =>
    (await (await fetch(s.apiUrl(`/api/v1/clusters?vhost=__defaultVhost__&ip=127.0.0.1&app=live&stream=oc&coworker=127.0.0.1:${s.ports.api}`))).json()) as {
      code: number;
      data: { origin: { ip: string; port: number } | null };
    };
  const atB = await ask(b);
  assert.equal(atB.code, 0);
  assert.deepEqual([atB.data.origin?.ip, atB.data.origin?.port], ['127.0.0.1', b.ports.rtmp]);
  assert.equal((await ask(a)).data.origin, null);

  const edge = await start(edgeConf([a.ports.rtmp, b.ports.rtmp]));
  const p = await rtmpPlay(edge.rtmpUrl('/live/oc'));
  await waitFor('frames through the redirect', () => frames(p) >= 25, 30_000);
  assert.match(edge.output(), /origin redirects \(RTMP 302\)/);
  assert.doesNotMatch(edge.output(), /edge: origin failed/, 'A answered with the redirect, not a failure');
  assert.match(a.output(), /redirected in the origin cluster/);
  assert.equal((await playersOf(b, 'oc')).length, 1);
  assert.equal((await playersOf(a, 'oc')).length, 0);
  await p.client.close();
});

test('token_traverse: the origin\'s on_connect decides the edge\'s connects', { timeout: 90_000 }, async () => {
  // The origin refuses a connect with a bad token (its own publisher comes without one).
  const hooks = await startHookServer((call) => (String(call.body.tcUrl ?? '').includes('token=bad') ? '{"code":403}' : '0'));
  try {
    const origin = await start((p) => basicConf(p, `http_hooks { enabled on; on_connect ${hooks.url}/connect; }`));
    const edge = await start(edgeConf([origin.ports.rtmp], 'token_traverse on;'));
    publish(origin.rtmpUrl('/live/tt'));
    await waitFor('publish on the origin', () => origin.output().includes('rtmp publish'), 15_000);
    const url = (token: string) => ({ host: '127.0.0.1', port: edge.ports.rtmp, app: 'live', stream: 'tt', tcUrl: `rtmp://127.0.0.1:${edge.ports.rtmp}/live?token=${token}` });
    await assert.rejects(RtmpClient.connect(url('bad'), { mode: 'play', timeoutMs: 10_000 }), /token_traverse|Rejected/);
    const good = await RtmpClient.connect(url('good'), { mode: 'play', timeoutMs: 10_000 });
    const video: RtmpMessage[] = [];
    good.on('message', (m: RtmpMessage) => m.typeId === MSG.VIDEO && video.push(m));
    await waitFor('frames with a good token', () => video.length >= 10, 20_000);
    await good.close();
    const asked = hooks.calls.filter((c) => c.body.action === 'on_connect').map((c) => String(c.body.tcUrl));
    assert.ok(asked.some((t) => t.includes('token=bad')) && asked.some((t) => t.includes('token=good')), asked.join(' '));
  } finally {
    hooks.close();
  }
});
