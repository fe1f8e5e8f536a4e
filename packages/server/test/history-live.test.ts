/**
 * History with real clients: FFmpeg publishes, an RTMP and an HTTP-FLV player play, one is
 * kicked, the publisher stops; /api/v1/history/* then shows the stream session and the three
 * client sessions (the kicked one marked), and still does after a restart in the same dir.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HistoryClientSession, HistoryEvent, HistoryStreamSession } from '@tsrs/api-types';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, waitPort, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, streams } from './api-helpers.js';

type StreamsAnswer = { streams: HistoryStreamSession[]; total: number };
type ClientsAnswer = { clients: HistoryClientSession[]; total: number };
type EventsAnswer = { events: HistoryEvent[]; total: number };

const conf = (p: Parameters<typeof basicConf>[0]) => basicConf(p);
let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
let rtmpPlayer: ReturnType<typeof ffmpegPlay>;
let flvPlayer: ReturnType<typeof ffmpegPlay>;
const ids = { publisher: '', rtmp: '', flv: '' };
let publishedAt = 0;

before(async () => {
  server = await startServer(conf);
  publishedAt = Date.now();
  publisher = ffmpegPublish(server.rtmpUrl('/live/hist'), { bitrate: '500k' });
  await waitFor('stream published', async () => (await streams(server)).some((s) => s.publish.active && s.video), 15_000);
  rtmpPlayer = ffmpegPlay(server.rtmpUrl('/live/hist'));
  flvPlayer = ffmpegPlay(server.httpUrl('/live/hist.flv'));
  const list = await waitFor('three clients', async () => {
    const c = await clients(server);
    return c.length === 3 && c;
  }, 15_000);
  ids.publisher = list.find((c) => c.publish)!.id;
  ids.rtmp = list.find((c) => c.type === 'rtmp-play')!.id;
  ids.flv = list.find((c) => c.type === 'flv-play')!.id;
  await sleep(3000);
});

after(async () => {
  kill(publisher);
  kill(rtmpPlayer);
  kill(flvPlayer);
  await server.stop();
});

test('while live: one open stream session with codecs and bytes so far, three open client sessions', async () => {
  const s = await api<StreamsAnswer>(server, '/api/v1/history/streams?active=true');
  assert.equal(s.json.code, 0);
  assert.equal(s.json.total, 1);
  const row = s.json.streams[0];
  assert.equal(row.end, null);
  assert.equal(row.duration_ms, null);
  assert.equal(row.client_id, ids.publisher);
  assert.equal(row.protocol, 'rtmp');
  assert.ok(row.bytes_in > 50_000, `bytes_in so far ${row.bytes_in}`);
  assert.equal(row.video_codec, 'H264');
  assert.equal(row.audio_codec, 'AAC');
  assert.equal(row.width, 320);
  assert.equal(row.height, 240);
  const c = await api<ClientsAnswer>(server, '/api/v1/history/clients?active=1');
  assert.equal(c.json.total, 3);
  assert.ok(c.json.clients.every((x) => x.end === null && x.end_reason === null));
});

test('kick a player and stop the publisher: sessions end with duration, bytes and reasons', async () => {
  assert.equal((await api(server, `/api/v1/clients/${ids.rtmp}`, { method: 'DELETE' })).json.code, 0);
  await exitOf(rtmpPlayer, 5000);
  publisher.kill('SIGINT'); // FFmpeg ends the publish cleanly
  await exitOf(publisher, 10_000);
  await waitFor('unpublished', async () => !(await streams(server)).some((s) => s.publish.active), 5000);
  // The HTTP-FLV player waits for a new publisher (as SRS); end it too.
  flvPlayer.kill('SIGKILL');
  await exitOf(flvPlayer, 5000);
  await waitFor('all gone', async () => (await clients(server)).length === 0, 5000);
  const stoppedAt = Date.now();

  const s = (await api<StreamsAnswer>(server, '/api/v1/history/streams')).json;
  assert.equal(s.code, 0);
  assert.equal(s.total, 1);
  const st = s.streams[0];
  assert.equal(st.vhost, '__defaultVhost__');
  assert.equal(st.app, 'live');
  assert.equal(st.stream, 'hist');
  assert.equal(st.client_id, ids.publisher);
  assert.equal(st.ip, '127.0.0.1');
  assert.ok(st.start >= publishedAt - 1000 && st.end !== null && st.end <= stoppedAt);
  assert.equal(st.duration_ms, st.end - st.start);
  assert.ok(st.duration_ms! >= 3000 && st.duration_ms! < 60_000, `duration ${st.duration_ms}`);
  // 500k video + 64k audio for several seconds
  assert.ok(st.bytes_in > 200_000, `bytes_in ${st.bytes_in}`);
  assert.ok((st.bytes_out ?? 0) > 100_000, `bytes_out ${st.bytes_out}`);
  assert.equal(st.video_codec, 'H264');
  assert.ok(st.video_profile, 'video profile'); // x264 ultrafast: constrained baseline
  assert.equal(st.audio_codec, 'AAC');
  assert.equal(st.audio_sample_rate, 44100);
  assert.ok(st.frame_rate! > 20 && st.frame_rate! <= 26, `frame_rate ${st.frame_rate}`);
  assert.equal(st.end_reason, 'normal');

  const c = (await api<ClientsAnswer>(server, '/api/v1/history/clients')).json;
  assert.equal(c.total, 3);
  const byId = new Map(c.clients.map((x) => [x.id, x]));
  const pub = byId.get(ids.publisher)!;
  const rtmp = byId.get(ids.rtmp)!;
  const flv = byId.get(ids.flv)!;
  assert.equal(pub.kind, 'publish');
  assert.equal(pub.type, 'fmle-publish');
  assert.equal(pub.protocol, 'rtmp');
  assert.equal(pub.end_reason, 'normal');
  assert.ok(pub.bytes_in > 200_000);
  assert.match(pub.url, /^rtmp:\/\/127\.0\.0\.1:\d+\/live\/hist$/);
  assert.equal(rtmp.kind, 'play');
  assert.equal(rtmp.type, 'rtmp-play');
  assert.equal(rtmp.end_reason, 'kicked');
  assert.ok(rtmp.bytes_out > 50_000, `rtmp player bytes_out ${rtmp.bytes_out}`);
  assert.equal(flv.kind, 'play');
  assert.equal(flv.type, 'flv-play');
  assert.equal(flv.protocol, 'http-flv');
  assert.match(flv.url, /\/live\/hist\.flv$/);
  assert.ok(flv.bytes_out > 50_000);
  for (const x of c.clients) {
    assert.equal(x.vhost, '__defaultVhost__');
    assert.equal(x.stream, 'hist');
    assert.ok(x.end !== null && x.duration_ms === x.end - x.start && x.duration_ms > 1000, `${x.type} duration ${x.duration_ms}`);
  }
});

test('filters, paging and time range', async () => {
  const get = async <T>(q: string) => (await api<T>(server, q)).json;
  assert.equal((await get<ClientsAnswer>('/api/v1/history/clients?kind=play')).total, 2);
  const kicked = await get<ClientsAnswer>('/api/v1/history/clients?end_reason=kicked');
  assert.deepEqual(kicked.clients.map((x) => x.id), [ids.rtmp]);
  assert.equal((await get<ClientsAnswer>('/api/v1/history/clients?ip=10.9.9.9')).total, 0);
  assert.equal((await get<ClientsAnswer>('/api/v1/history/clients?stream=nosuch')).total, 0);
  assert.equal((await get<StreamsAnswer>('/api/v1/history/streams?app=live&stream=hist&active=false')).total, 1);

  // SRS paging (start/count) and limit/offset
  const all = await get<ClientsAnswer>('/api/v1/history/clients');
  const one = await get<ClientsAnswer>('/api/v1/history/clients?start=1&count=1');
  assert.equal(one.total, 3);
  assert.deepEqual(one.clients.map((x) => x.id), [all.clients[1].id]);
  const two = await get<ClientsAnswer>('/api/v1/history/clients?offset=1&limit=2');
  assert.deepEqual(two.clients.map((x) => x.id), all.clients.slice(1, 3).map((x) => x.id));
  // newest first
  assert.ok(all.clients[0].start >= all.clients[2].start);

  // ranges, ms or ISO
  const future = Date.now() + 60_000;
  assert.equal((await get<StreamsAnswer>(`/api/v1/history/streams?from=${future}`)).total, 0);
  assert.equal((await get<StreamsAnswer>(`/api/v1/history/streams?to=${publishedAt - 60_000}`)).total, 0);
  const iso = new Date(publishedAt - 60_000).toISOString();
  assert.equal((await get<StreamsAnswer>(`/api/v1/history/streams?from=${encodeURIComponent(iso)}&to=${Date.now()}`)).total, 1);

  // bad input is an SRS error answer
  for (const q of ['streams?from=yesterday', 'clients?kind=watch', 'clients?end_reason=bored', 'events?limit=-1', 'streams?active=maybe']) {
    const r = await api(server, `/api/v1/history/${q}`);
    assert.equal(r.status, 200, q);
    assert.deepEqual(r.json, { code: 4090 }, q);
  }
});

test('events: publish, play, stop, unpublish, connect and close, filterable by type', async () => {
  const e = (await api<EventsAnswer>(server, '/api/v1/history/events?limit=1000')).json;
  const types = new Set(e.events.map((x) => x.type));
  for (const t of ['connect', 'publish', 'play', 'stop', 'unpublish', 'close']) assert.ok(types.has(t), `event ${t} in ${[...types]}`);
  const closes = (await api<EventsAnswer>(server, '/api/v1/history/events?type=close')).json;
  const kickedClose = closes.events.find((x) => x.client_id === ids.rtmp)!;
  assert.equal((kickedClose.data as { reason: string }).reason, 'kicked');
  const plays = (await api<EventsAnswer>(server, `/api/v1/history/events?type=play&client_id=${ids.flv}`)).json;
  assert.equal(plays.total, 1);
  assert.equal(plays.events[0].stream, 'hist');
});

test('restart in the same dir: the history is still there', async () => {
  const before = (await api<ClientsAnswer>(server, '/api/v1/history/clients')).json.clients;
  const sessions = (await api<StreamsAnswer>(server, '/api/v1/history/streams')).json.streams;
  assert.equal(await server.stop(), 0);
  server = await startServer(conf, { dir: server.dir });
  await waitPort(server.ports.api, 5000);
  const s = (await api<StreamsAnswer>(server, '/api/v1/history/streams')).json;
  assert.equal(s.total, 1);
  assert.deepEqual(s.streams, sessions);
  const c = (await api<ClientsAnswer>(server, '/api/v1/history/clients')).json;
  assert.deepEqual(c.clients, before);
});
