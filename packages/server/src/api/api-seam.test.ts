/**
 * The API reads the server only through ApiQueries/ApiActions: with a fake of that interface (and
 * no Hub, Source or Client anywhere) the real handler, on a real socket, answers from what the
 * fake says, pages it as SRS does, kicks through the action, and /metrics shows its figures.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ErrorCode, type Client, type LiveEvent, type Stream, type Vhost } from '@tsrs/api-types';
import type { ApiActions, ApiQueries, ModelFigures, StreamFigures } from '../app/api-model.js';
import { ServerIdentity } from '../app/stats-identity.js';
import type { SystemStats } from '../app/stats.js';
import { parseConfigText } from '../config/index.js';
import { createApiHandler } from './handler.js';
import type { ApiDeps } from './routes.js';

const kbps = { recv_30s: 0, send_30s: 0 };
const wireStream = (i: number): Stream => ({
  id: `vid-s${String(i).padStart(5, '0')}`, name: `s${i}`, vhost: 'vid-vhost01', app: 'live', tcUrl: 'rtmp://127.0.0.1/live',
  url: `/live/s${i}`, live_ms: 1_700_000_000_000 + i, clients: i, frames: 25 * i, send_bytes: 1000 * i, recv_bytes: 2000 * i, kbps,
  publish: { active: true, cid: `c${i}` }, video: null, audio: null, tsrs_errors: {}, tsrs_dropped_frames: { queue: 0, gop_cache: 0, refused: 0 },
});
const wireClient = (id: string): Client => ({
  id, vhost: 'vid-vhost01', stream: 'vid-s00001', ip: '127.0.0.1', pageUrl: '', swfUrl: '', tcUrl: 'rtmp://127.0.0.1/live',
  url: '/live/s1', name: 's1', type: 'rtmp-play', publish: false, alive: 1.5, send_bytes: 10, recv_bytes: 20, kbps,
});
const vhost: Vhost = { id: 'vid-vhost01', name: '__defaultVhost__', enabled: true, clients: 2, streams: 12, send_bytes: 1, recv_bytes: 2, kbps, hls: { enabled: false } };

/** The fake model: 12 streams, two clients, and a record of what the API asked and did. */
class FakeModel implements ApiQueries, ApiActions {
  readonly all = Array.from({ length: 12 }, (_, i) => wireStream(i + 1));
  readonly live = new Map([['cli00001', wireClient('cli00001')], ['cli00002', wireClient('cli00002')]]);
  readonly kicked: string[] = [];
  readonly asked: string[] = [];

  vhosts = () => [vhost];
  vhost = (id: string) => (id === vhost.id ? vhost : undefined);
  streams = () => this.all;
  stream = (id: string) => this.all.find((s) => s.id === id);
  streamFigures = (): StreamFigures[] => this.all.map((view, i) => ({ view, vhostName: '__defaultVhost__', lastFrameDts: 0, keyframeIntervalMs: 0, dropped: 100 + i, recording: false }));
  clients = () => [...this.live.values()];
  client = (id: string) => this.live.get(id);
  publishing = (v: string, app: string, stream: string) => {
    this.asked.push(`${v}/${app}/${stream}`);
    return stream === 's1';
  };
  serverBytes = () => ({ recv: 5, send: 6 });
  serverKbps = () => ({ recv: 7, send: 8 });
  figures = (): ModelFigures => ({ connections: 3, sources: 12, waitingPlayers: 4, droppedPackets: 1234, clientsTotal: 42, clientsErrors: 5 });
  onEvent = (_fn: (e: LiveEvent) => void) => () => {};
  kickClient = (id: string) => {
    if (!this.live.delete(id)) return false;
    this.kicked.push(id);
    return true;
  };
}

const model = new FakeModel();
let server: Server;
let base: string;

before(async () => {
  const { config } = parseConfigText('listen 1935;\nhttp_api { enabled on; }\nvhost __defaultVhost__ { }\n');
  const deps = {
    queries: model,
    actions: model,
    config: () => config,
    identity: new ServerIdentity(() => config),
    stats: { self: { cpuPercent: 0, rssKbyte: 1 } } as unknown as SystemStats,
    connections: { open: 0, cap: 1000, refusedTotal: 0 },
    hooks: { calls: new Map(), failures: new Map(), failureCount: 0, inFlight: 0, dropped: 0 },
    reload: () => false,
    rtmpPort: () => 1935,
    apiPort: () => 1985,
    streamHistory: () => undefined,
    rtc: () => undefined,
  } as unknown as ApiDeps;
  const { handler } = createApiHandler({ deps, log: { warn() {}, debug() {}, info() {} } as never, ownRoot: true });
  server = createServer((req, res) => {
    void Promise.resolve(handler(req, res)).then((done) => {
      if (!done) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

async function get(path: string, method = 'GET'): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, { method });
  assert.equal(res.status, 200, path);
  return (await res.json()) as Record<string, unknown>;
}

test('lists are the model\'s wire objects, paged as SRS (count at least 10)', async () => {
  const first = await get('/api/v1/streams/');
  assert.equal(first.code, 0);
  assert.deepEqual(first.streams, model.all.slice(0, 10));
  assert.deepEqual((await get('/api/v1/streams/?start=10&count=10')).streams, model.all.slice(10));
  assert.deepEqual((await get(`/api/v1/streams/${model.all[3].id}`)).stream, model.all[3]);
  assert.deepEqual(await get('/api/v1/streams/vid-nosuch'), { code: ErrorCode.StreamNotFound });
  assert.deepEqual((await get(`/api/v1/vhosts/${vhost.id}`)).vhost, vhost);
  assert.deepEqual(await get('/api/v1/vhosts/vid-nosuch'), { code: ErrorCode.VhostNotFound });
  assert.deepEqual((await get('/api/v1/clients/cli00002')).client, model.live.get('cli00002'));
});

test('a kick goes through the action, once; a gone client is 2049', async () => {
  assert.equal((await get('/api/v1/clients/cli00001', 'DELETE')).code, 0);
  assert.deepEqual(model.kicked, ['cli00001']);
  assert.deepEqual(await get('/api/v1/clients/cli00001', 'DELETE'), { code: ErrorCode.ClientNotFound });
  assert.deepEqual(await get('/api/v1/clients/cli00001'), { code: ErrorCode.ClientNotFound });
  assert.deepEqual((await get('/api/v1/clients/')).clients, [model.live.get('cli00002')]);
});

test('clusters asks the model whether the stream is published here, by vhost name', async () => {
  const here = (await get('/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=s1&coworker=10.0.0.1:1985')).data as { origin: { ip: string } | null };
  assert.equal(here.origin?.ip, '10.0.0.1');
  const v6 = (await get('/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=s1&coworker=[::1]:1985')).data as { origin: { ip: string; api: string } | null };
  assert.equal(v6.origin?.ip, '::1');
  assert.match(v6.origin?.api ?? '', /^\[::1\]:\d+$/);
  const away = (await get('/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=s2')).data as { origin: unknown };
  assert.equal(away.origin, null);
  assert.deepEqual(model.asked, ['__defaultVhost__/live/s1', '__defaultVhost__/live/s1', '__defaultVhost__/live/s2']);
});

test('/metrics shows the model\'s figures and per-stream counters', async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^srs_clients_total 42$/m);
  assert.match(text, /^srs_clients_errs_total 5$/m);
  assert.match(text, /^tsrs_dropped_packets 1234$/m);
  assert.match(text, /^tsrs_waiting_players 4$/m);
  assert.match(text, /^srs_streams 12$/m);
  assert.match(text, /^tsrs_stream_dropped_packets\{vhost="__defaultVhost__",app="live",stream="s12"\} 111$/m);
  assert.match(text, /^tsrs_stream_frames_total\{vhost="__defaultVhost__",app="live",stream="s2"\} 50$/m);
});
