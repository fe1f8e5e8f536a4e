/**
 * HTTP hooks that refuse, fail, hang or are down, against SRS's rules: a decision (on_connect,
 * on_publish, on_play) is allowed only by HTTP 200/201 with `0` or `{"code":0}`; anything
 * else (another code, another status, garbage, a refused connection, no answer within the
 * 30 s timeout) refuses the client, which leaves no stream and no client behind. RTMP clients
 * get `_error NetConnection.Connect.Rejected` or an error onStatus (never Publish.Start /
 * Play.Start) and the socket closes; HTTP-FLV players get 401 (as SRS 8). Notifications
 * (on_unpublish, on_stop, on_close) are fire-and-forget: their failures change nothing.
 * A client that hangs up while a hook decides ends that hook call: nothing piles up.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectCommand, createStreamCommand, fcPublishCommand, playCommand, publishCommand, releaseStreamCommand } from '../src/protocol/rtmp/commands.js';
import { basicConf, exitOf, ffmpegPublish, freePort, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, startHookServer, streams, type HookServer } from './api-helpers.js';
import { describe, rtmpTalk, statusOf, type RtmpTalk } from './raw-sockets.js';

let hooks: HookServer;
let server: RunningServer;

/** Answers that must refuse, by the name (app for on_connect, stream otherwise) that asks for them. */
const REFUSING = {
  'deny-code': '{"code":403}',
  'deny-one': '1',
  'deny-500': { status: 500, body: '{"code":0}' },
  'deny-404': { status: 404, body: '0' },
  'deny-garbage': 'ok, go ahead',
  'deny-empty': '',
  'deny-nocode': '{"msg":"fine"}',
  'deny-strcode': '{"code":"0"}',
} as const;
type Refusing = keyof typeof REFUSING;
const KINDS = Object.keys(REFUSING) as Refusing[];

before(async () => {
  let release: () => void = () => undefined;
  const never = new Promise<string>((r) => (release = () => r('{"code":0}')));
  hooks = await startHookServer(({ path, body }) => {
    if (path === '/slow') return never; // answers only when the test ends
    if (path === '/fail') return { status: 500, body: '{"code":500}' };
    const name = String(body.action === 'on_connect' ? body.app : body.stream);
    if (name in REFUSING) return REFUSING[name as Refusing];
    if (name === 'noplay' && body.action === 'on_play') return '{"code":401}';
    return path.endsWith('plain') ? '0' : '{"code":0}';
  });
  const closeHooks = hooks.close;
  hooks.close = () => {
    release();
    closeHooks();
  };
  const h = hooks.url;
  const dead = `http://127.0.0.1:${await freePort()}/hook`; // nothing listens: connection refused
  const remux = 'http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }';
  server = await startServer((p) =>
    basicConf(
      p,
      `http_hooks {
        enabled on;
        on_connect ${h}/gate;
        on_publish ${h}/gate ${h}/gate-plain;
        on_play ${h}/gate;
        on_unpublish ${h}/fail;
        on_stop ${h}/fail;
        on_close ${h}/fail;
      }`,
      `vhost down.test { ${remux} http_hooks { enabled on; on_publish ${dead}; on_play ${dead}; } }
       vhost slow.test { ${remux} http_hooks { enabled on; on_connect ${h}/slow; on_play ${h}/slow; } }`,
    ),
  );
});

after(async () => {
  await server?.stop();
  hooks?.close();
});

const tcUrl = (app: string, vhost?: string) => server.rtmpUrl(`/${app}${vhost ? `?vhost=${vhost}` : ''}`);

/** connect; resolves with the server's answer to it (`_result` or `_error`). */
async function connect(app: string, vhost?: string): Promise<{ talk: RtmpTalk; answer: string; ms: number }> {
  const talk = await rtmpTalk(server.ports.rtmp);
  const t0 = Date.now();
  talk.send(connectCommand(1, { app, tcUrl: tcUrl(app, vhost) }));
  const answer = await talk.waitFor((c) => c.transactionId === 1 && (c.name === '_result' || c.name === '_error'), 90_000);
  return { talk, answer: describe(answer), ms: Date.now() - t0 };
}

/** connect (allowed), createStream, then publish or play `stream`; resolves with the first status of the stream. */
async function start(mode: 'publish' | 'play', stream: string, vhost?: string): Promise<{ talk: RtmpTalk; status: { level?: string; code?: string } }> {
  const { talk, answer } = await connect('live', vhost);
  assert.equal(answer, '_result NetConnection.Connect.Success', 'connect is allowed');
  if (mode === 'publish') {
    talk.send(releaseStreamCommand(2, stream));
    talk.send(fcPublishCommand(3, stream));
  }
  talk.send(createStreamCommand(4));
  const created = await talk.waitFor((c) => c.transactionId === 4 && c.name === '_result');
  const streamId = Number(created.args[0]);
  talk.send(mode === 'publish' ? publishCommand(streamId, stream) : playCommand(streamId, stream));
  const status = await talk.waitFor((c) => c.name === 'onStatus' && /^NetStream\.(Publish|Play)\.(?!Reset)/.test(String(statusOf(c).code)));
  return { talk, status: statusOf(status) };
}

/** The server closes the socket within `ms`. */
async function closesWithin(talk: RtmpTalk, ms: number): Promise<boolean> {
  return Promise.race([talk.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** Connections the live model knows (listed in the API or not yet admitted). */
async function connections(): Promise<number> {
  return Number(/^tsrs_connections (\d+)$/m.exec((await api(server, '/metrics')).text)?.[1]);
}

async function nothingLeftFor(name: string): Promise<void> {
  // the socket is closed; the API follows at once
  await waitFor(`no client of ${name}`, async () => !(await clients(server)).some((c) => c.name === name), 5_000);
  assert.ok(!(await streams(server)).some((s) => s.name === name), `no stream ${name}`);
}

test('on_connect refused by each kind of answer: _error NetConnection.Connect.Rejected, socket closed, nothing listed', { timeout: 60_000 }, async () => {
  const ok = await connect('live');
  assert.equal(ok.answer, '_result NetConnection.Connect.Success', 'an allowing on_connect');
  for (const app of KINDS) {
    const { talk, answer } = await connect(app);
    assert.equal(answer, '_error NetConnection.Connect.Rejected', app);
    assert.equal(statusOf(talk.commands.find((c) => c.name === '_error')!).level, 'error');
    assert.ok(await closesWithin(talk, 5_000), `${app}: the server closes the socket`);
    assert.ok(!talk.commands.some((c) => c.name === '_result'), app);
  }
  ok.talk.socket.destroy();
  await waitFor('no client left', async () => (await clients(server)).length === 0, 5_000);
  await waitFor('no connection left in the live model', async () => (await connections()) === 0, 5_000);
  assert.deepEqual(await streams(server), []);
  for (const app of KINDS) assert.ok(hooks.calls.some((c) => c.path === '/gate' && c.body.action === 'on_connect' && c.body.app === app), `on_connect asked for ${app}`);
});

test('on_publish refused (RTMP): an error status, never Publish.Start, socket closed, no stream, no client', { timeout: 60_000 }, async () => {
  for (const name of KINDS) {
    const { talk, status } = await start('publish', name);
    assert.equal(status.level, 'error', `${name}: ${status.code}`);
    assert.ok(await closesWithin(talk, 5_000), `${name}: the server closes the socket`);
    assert.ok(!talk.commands.some((c) => statusOf(c).code === 'NetStream.Publish.Start'), `${name}: no Publish.Start`);
    await nothingLeftFor(name);
    // the chain stops at the first failure
    assert.ok(!hooks.calls.some((c) => c.path === '/gate-plain' && c.body.stream === name), `${name}: the second on_publish URL is not called`);
  }
  // the same steps with an allowing hook publish (the test can tell the two apart)
  const { talk, status } = await start('publish', 'allowed');
  assert.equal(status.code, 'NetStream.Publish.Start');
  await waitFor('stream listed', async () => (await streams(server)).some((s) => s.name === 'allowed' && s.publish.active), 5_000);
  talk.socket.destroy();
  await waitFor('no connection left in the live model', async () => (await connections()) === 0, 5_000);
});

test('on_play refused: RTMP gets an error status and is closed, HTTP-FLV gets 401; the publisher is untouched', { timeout: 60_000 }, async () => {
  const pub = ffmpegPublish(server.rtmpUrl('/live/noplay'), { duration: 60 });
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'noplay' && s.publish.active), 15_000);
    const { talk, status } = await start('play', 'noplay');
    assert.equal(status.level, 'error', String(status.code));
    assert.ok(await closesWithin(talk, 5_000), 'the server closes the socket');
    assert.ok(!talk.commands.some((c) => statusOf(c).code === 'NetStream.Play.Start'));

    const res = await fetch(server.httpUrl('/live/noplay.flv'));
    assert.equal(res.status, 401);
    assert.ok(!(await res.text()).startsWith('FLV'), 'no FLV body');

    const player = ffmpegPlay(server.rtmpUrl('/live/noplay'));
    assert.notEqual(await exitOf(player, 20_000), 0, 'FFmpeg fails to play');

    const list = await clients(server);
    assert.deepEqual(list.filter((c) => c.name === 'noplay').map((c) => c.type), ['fmle-publish'], 'only the publisher');
    const s = (await streams(server)).find((x) => x.name === 'noplay');
    assert.equal(s?.clients, 1);
    assert.equal(s?.publish.active, true);
    assert.equal(pub.exitCode, null, 'the publisher goes on');
  } finally {
    kill(pub);
  }
});

test('hook server down (connection refused): publish and play refused, RTMP and HTTP-FLV', { timeout: 60_000 }, async () => {
  const p = await start('publish', 'down1', 'down.test');
  assert.equal(p.status.level, 'error', String(p.status.code));
  assert.ok(await closesWithin(p.talk, 5_000));
  const q = await start('play', 'down1', 'down.test');
  assert.equal(q.status.level, 'error', String(q.status.code));
  assert.ok(await closesWithin(q.talk, 5_000));
  const res = await fetch(server.httpUrl('/down.test/live/down1.flv'));
  assert.equal(res.status, 401);
  await res.body?.cancel();
  await nothingLeftFor('down1');
  const m = (await api(server, '/metrics')).text;
  assert.match(m, /^tsrs_hook_failures_by_action_total\{action="on_publish"\} [1-9]\d*$/m);
  assert.match(m, /^tsrs_hook_failures_by_action_total\{action="on_play"\} [1-9]\d*$/m);
});

test('slow hook: refused once the 30 s hook timeout passes, not before', { timeout: 120_000 }, async () => {
  const flv = (async () => {
    const t0 = Date.now();
    const res = await fetch(server.httpUrl('/slow.test/live/s.flv'));
    await res.body?.cancel();
    return { status: res.status, ms: Date.now() - t0 };
  })();
  const rtmp = await connect('live', 'slow.test');
  assert.equal(rtmp.answer, '_error NetConnection.Connect.Rejected');
  assert.ok(rtmp.ms >= 28_000 && rtmp.ms < 60_000, `refused after ${rtmp.ms} ms`);
  assert.ok(await closesWithin(rtmp.talk, 5_000));
  const http = await flv;
  assert.equal(http.status, 401);
  assert.ok(http.ms >= 28_000 && http.ms < 60_000, `HTTP-FLV refused after ${http.ms} ms`);
  assert.equal(hooks.open(), 0, 'tsrs gave up its calls');
});

test('clients that hang up while a slow hook decides end its calls: nothing piles up', { timeout: 60_000 }, async () => {
  const N = 20;
  const before = hooks.abandoned();
  const talks: RtmpTalk[] = [];
  const players: AbortController[] = [];
  const fetches: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const talk = await rtmpTalk(server.ports.rtmp);
    talk.send(connectCommand(1, { app: 'live', tcUrl: tcUrl('live', 'slow.test') }));
    talks.push(talk);
    const ac = new AbortController();
    players.push(ac);
    fetches.push(fetch(server.httpUrl(`/slow.test/live/p${i}.flv`), { signal: ac.signal }).catch(() => undefined));
  }
  await waitFor('every hook call waiting', () => hooks.open() === 2 * N, 15_000);
  const inFlight = async () => Number(/^tsrs_hook_in_flight (\d+)$/m.exec((await api(server, '/metrics')).text)?.[1]);
  assert.equal(await inFlight(), 2 * N);

  for (const t of talks) t.socket.destroy();
  for (const ac of players) ac.abort();
  await Promise.all(fetches);
  // well before the 30 s timeout: the calls end with their clients
  await waitFor('hook calls ended', async () => hooks.open() === 0 && (await inFlight()) === 0, 10_000);
  assert.equal(hooks.abandoned() - before, 2 * N, 'tsrs hung up each call');
  assert.equal((await clients(server)).length, 0);
  assert.equal(await connections(), 0);
});

test('failing on_stop, on_unpublish and on_close change nothing: play, stop, unpublish and republish go on', { timeout: 90_000 }, async () => {
  const failsBefore = hooks.calls.filter((c) => c.path === '/fail').length;
  let pub = ffmpegPublish(server.rtmpUrl('/live/notify'), { duration: 60 });
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'notify' && s.publish.active), 15_000);
    const player = ffmpegPlay(server.rtmpUrl('/live/notify'));
    await waitFor('player', async () => (await clients(server)).some((c) => c.name === 'notify' && c.type === 'rtmp-play'), 15_000);
    kill(player);
    await waitFor('on_stop sent (and failed)', () => hooks.calls.some((c) => c.path === '/fail' && c.body.action === 'on_stop' && c.body.stream === 'notify'), 10_000);
    // the publisher did not notice
    const frames0 = (await streams(server)).find((s) => s.name === 'notify')!.frames;
    await waitFor('frames still coming', async () => ((await streams(server)).find((s) => s.name === 'notify')?.frames ?? 0) > frames0 + 10, 10_000);
    assert.equal(pub.exitCode, null);

    kill(pub);
    await waitFor('on_unpublish sent (and failed)', () => hooks.calls.some((c) => c.path === '/fail' && c.body.action === 'on_unpublish' && c.body.stream === 'notify'), 10_000);
    await waitFor('unpublished', async () => !(await streams(server)).some((s) => s.name === 'notify' && s.publish.active), 10_000);

    // republishing the same stream works at once, and a player plays it
    pub = ffmpegPublish(server.rtmpUrl('/live/notify'), { duration: 60 });
    await waitFor('republished', async () => (await streams(server)).some((s) => s.name === 'notify' && s.publish.active), 15_000);
    const res = await fetch(server.httpUrl('/live/notify.flv'));
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value!).subarray(0, 3).toString(), 'FLV');
    await reader.cancel();
  } finally {
    kill(pub);
  }
  await waitFor('on_close sent (and failed)', () => hooks.calls.filter((c) => c.path === '/fail' && c.body.action === 'on_close').length >= 2, 10_000);
  assert.ok(hooks.calls.filter((c) => c.path === '/fail').length - failsBefore >= 4);
  const m = (await api(server, '/metrics')).text;
  for (const action of ['on_stop', 'on_unpublish', 'on_close']) {
    assert.match(m, new RegExp(`^tsrs_hook_failures_by_action_total\\{action="${action}"\\} [1-9]\\d*$`, 'm'), action);
  }
});
