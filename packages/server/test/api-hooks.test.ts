/**
 * HTTP callbacks with a hook server in the test: it allows stream key `ok` and refuses
 * `bad`; the refused FFmpeg publish fails; on_publish/on_play/on_stop/on_unpublish arrive
 * with SRS's fields in SRS's order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hookAllows } from '../src/app/hooks.js';
import { basicConf, exitOf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, startHookServer, streams, type HookServer } from './api-helpers.js';


let hooks: HookServer;
let server: RunningServer;

before(async () => {
  // SRS's allow rule: `0` or {"code":0}; anything else refuses
  hooks = await startHookServer(({ path, body }) => (body.stream === 'bad' ? '{"code":403}' : path.includes('plain') ? '0' : '{"code":0}'));
  const h = hooks.url;
  server = await startServer((p) =>
    basicConf(
      p,
      `http_hooks {
        enabled on;
        on_connect ${h}/connect;
        on_publish ${h}/publish ${h}/publish-plain;
        on_unpublish ${h}/unpublish;
        on_play ${h}/play;
        on_stop ${h}/stop;
        on_close ${h}/close;
      }`,
      'server_id vid-hooktst;',
    ),
  );
});

after(async () => {
  await server.stop();
  hooks.close();
});

test('allow rule: 200/201 and 0 or {"code":0}', () => {
  assert.ok(hookAllows(200, '0').ok);
  assert.ok(hookAllows(201, '{"code":0}').ok);
  assert.ok(hookAllows(200, ' {"code":0,"data":1} ').ok);
  assert.ok(!hookAllows(200, '1').ok);
  assert.ok(!hookAllows(200, '{"code":1}').ok);
  assert.ok(!hookAllows(200, '{}').ok);
  assert.ok(!hookAllows(200, '').ok);
  assert.ok(!hookAllows(200, 'ok').ok);
  assert.ok(!hookAllows(204, '0').ok);
  assert.ok(!hookAllows(500, '{"code":0}').ok);
});

test('a refused stream key fails at FFmpeg (non-zero exit), the chain stops', async () => {
  const bad = ffmpegPublish(server.rtmpUrl('/live/bad?token=nope'), { duration: 10 });
  const code = await exitOf(bad, 15_000);
  assert.notEqual(code, 0, 'refused publish exits non-zero');
  assert.equal((await streams(server)).length, 0);
  assert.ok(hooks.calls.some((c) => c.path === '/publish' && c.body.stream === 'bad'));
  assert.ok(!hooks.calls.some((c) => c.path === '/publish-plain' && c.body.stream === 'bad'), 'the first failure stops the chain');
  const m = (await api(server, '/metrics')).text;
  assert.match(m, /^tsrs_hook_failures_total [1-9]\d*$/m);
});

test('on_publish, on_play, on_stop, on_unpublish arrive in order with SRS fields', async () => {
  hooks.calls.length = 0;
  const pub = ffmpegPublish(server.rtmpUrl('/live/ok?token=yes'));
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.publish.active), 15_000);
    const stream = (await streams(server))[0];
    const player = ffmpegPlay(server.rtmpUrl('/live/ok?t=p'));
    await waitFor('player', async () => (await clients(server)).some((c) => c.type === 'rtmp-play'), 10_000);
    kill(player);
    await waitFor('on_stop', () => hooks.calls.some((c) => c.path === '/stop'), 10_000);
    kill(pub);
    await waitFor('on_unpublish', () => hooks.calls.some((c) => c.path === '/unpublish'), 10_000);
    await waitFor('on_close x2', () => hooks.calls.filter((c) => c.path === '/close').length === 2, 10_000);

    const order = hooks.calls.map((c) => c.path);
    const idx = (p: string) => order.indexOf(p);
    assert.ok(idx('/connect') < idx('/publish') && idx('/publish') < idx('/publish-plain'), order.join(' '));
    assert.ok(idx('/publish-plain') < idx('/play') && idx('/play') < idx('/stop') && idx('/stop') < idx('/unpublish'), order.join(' '));

    const common = ['server_id', 'service_id', 'action', 'client_id', 'ip', 'vhost', 'app'];
    const body = (p: string) => hooks.calls.find((c) => c.path === p)!.body;
    const publish = body('/publish');
    assert.deepEqual(Object.keys(publish), [...common, 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id']);
    assert.deepEqual(Object.keys(body('/unpublish')), Object.keys(publish));
    assert.deepEqual(Object.keys(body('/stop')), Object.keys(publish));
    assert.deepEqual(Object.keys(body('/play')), [...common, 'stream', 'tcUrl', 'param', 'pageUrl', 'stream_url', 'stream_id']);
    assert.deepEqual(Object.keys(body('/connect')), [...common, 'stream', 'param', 'tcUrl', 'pageUrl']);
    assert.deepEqual(Object.keys(body('/close')), [...common, 'send_bytes', 'recv_bytes']);

    assert.equal(publish.action, 'on_publish');
    assert.equal(publish.server_id, 'vid-hooktst');
    assert.match(String(publish.service_id), /^[0-9a-z]{8}$/);
    assert.equal(publish.ip, '127.0.0.1');
    assert.equal(publish.vhost, '__defaultVhost__');
    assert.equal(publish.app, 'live');
    assert.equal(publish.stream, 'ok');
    assert.equal(publish.param, '?token=yes');
    assert.equal(publish.tcUrl, server.rtmpUrl('/live'));
    assert.equal(publish.stream_url, '/live/ok');
    assert.equal(publish.stream_id, stream.id);
    assert.equal(body('/unpublish').client_id, publish.client_id);
    assert.equal(body('/unpublish').stream_id, stream.id);
    const play = body('/play');
    assert.equal(play.action, 'on_play');
    assert.equal(play.param, '?t=p');
    assert.equal(play.stream_id, stream.id);
    assert.equal(body('/stop').client_id, play.client_id);
    assert.equal(typeof body('/close').send_bytes, 'number');
  } finally {
    kill(pub);
  }
});

test('a refused play fails the player', async () => {
  const player = ffmpegPlay(server.rtmpUrl('/live/bad'));
  assert.notEqual(await exitOf(player, 15_000), 0);
  const res = await fetch(server.httpUrl('/live/bad.flv'));
  assert.equal(res.status, 401);
  await res.body?.cancel();
});
