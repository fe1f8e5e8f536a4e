/**
 * Cheap requests must not create lasting state (issue 10, items 5 and 8):
 *
 * - 12,000 plain GETs of an .m3u8 with hls_ctx on, then thousands of media playlists and
 *   segments with made-up ctx ids from four loopback IPs: no client, hook or history row
 *   until a viewer fetches a segment, and then no more than request_limits allows;
 * - 5,000 HTTP-FLV GETs of streams nobody publishes, held open from four loopback IPs: at
 *   most max_waiting_players wait (and max_waiting_players_per_ip per IP), the rest get 503,
 *   the waiting ones are closed after play.waiting_timeout, and their sources go with them;
 * - 20 plays refused by on_play over RTMP, HTTP-FLV and HLS (and plays that leave while a
 *   slow hook decides): every stream's `clients` equals the clients the API lists for it.
 *
 * Throughout, the server stays alive, its RSS stays under a bound and a healthy HTTP-FLV
 * player's timestamps keep advancing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, Stream } from '@tsrs/api-types';
import { api, exited, ffmpegPlay, metric, startHookServer, streams, type HookServer } from './api-helpers.js';
import { basicConf, exitOf, ffmpegPublish, kill, rssKiB, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { watchHealthyPlayer, type HealthyPlayer } from './healthy-player.js';
import { fetchBytes } from './http-players.js';

/** The attack comes from these loopback addresses (all reach the server on 127.0.0.1). */
const IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
/** The server's resident memory must stay under this. */
const RSS_LIMIT_KB = 400 * 1024;

function assertHealthy(server: RunningServer, healthy: HealthyPlayer): void {
  assert.equal(server.proc.exitCode, null, 'server alive');
  const rss = rssKiB(server.proc.pid!);
  assert.ok(rss < RSS_LIMIT_KB, `server RSS ${rss} kB`);
  healthy.assertAdvancing();
}


/** Rows of the server's history database (SQLite), counted by `sql`. */
async function dbCount(server: RunningServer, sql: string): Promise<number> {
  const name = 'better-sqlite3';
  const mod = (await import(name)) as {
    default: new (path: string, o: { readonly: boolean }) => { prepare(s: string): { get(): unknown }; close(): void };
  };
  const db = new mod.default(join(server.dir, 'objs', 'tsrs.db'), { readonly: true });
  try {
    return Number(Object.values(db.prepare(sql).get() as Record<string, unknown>)[0]);
  } finally {
    db.close();
  }
}

/** Waits until `fn` gives the same number twice in a row (batched writes settled). */
async function settled(fn: () => Promise<number>): Promise<number> {
  let last = await fn();
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const now = await fn();
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Runs `n` tasks, `concurrency` at a time. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** One keep-alive agent per source IP. */
const agents = new Map(IPS.map((ip) => [ip, new Agent({ keepAlive: true, maxSockets: 16 })]));

function get(url: string, ip: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: agents.get(ip), localAddress: ip }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every listed client (the API pages by 10 unless asked for more). */
async function allClients(server: RunningServer): Promise<Client[]> {
  return (await api<{ clients: Client[] }>(server, '/api/v1/clients/?count=100000')).json.clients;
}

const byIp = (list: Client[]) => {
  const m = new Map<string, number>();
  for (const c of list) m.set(c.ip, (m.get(c.ip) ?? 0) + 1);
  return Math.max(0, ...m.values());
};

after(() => {
  for (const a of agents.values()) a.destroy();
});

describe('item 5: HLS with hls_ctx', () => {
  const LIMITS = { viewers: 60, viewersPerIp: 20, pending: 400, pendingPerIp: 100 };
  let server: RunningServer;
  let hooks: HookServer;
  let publisher: ReturnType<typeof ffmpegPublish>;
  let healthy: HealthyPlayer;

  before(async () => {
    hooks = await startHookServer();
    server = await startServer((p) =>
      basicConf(
        p,
        `hls { enabled on; hls_fragment 1; hls_window 6; hls_path ./html; } http_hooks { enabled on; on_play ${hooks.url}/play; }`,
        `request_limits { max_hls_viewers ${LIMITS.viewers}; max_hls_viewers_per_ip ${LIMITS.viewersPerIp}; ` +
          `max_hls_pending ${LIMITS.pending}; max_hls_pending_per_ip ${LIMITS.pendingPerIp}; hls_pending_timeout 5; }`,
      ),
    );
    publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { gop: 25 });
    await waitFor('playlist', async () => (await fetchBytes(server.httpUrl('/live/s.m3u8'))).status === 200, 30_000, 250);
    healthy = await watchHealthyPlayer(server.httpUrl('/live/s.flv'));
  });

  after(async () => {
    healthy?.close();
    kill(publisher);
    await server.stop();
    hooks.close();
  });

  const hlsClients = async () => (await allClients(server)).filter((c) => c.type === 'hls-play');

  test('12,000 plain GETs, 3,000 made-up ctx ids and their segments: bounded clients, hooks and history rows', { timeout: 240_000 }, async () => {
    const rowsBefore = await settled(() => dbCount(server, 'SELECT COUNT(*) FROM ClientSession'));
    const hooksBefore = hooks.calls.length; // the healthy player's on_play

    // 12,000 plain GETs: each gets a master playlist, none leaves anything behind
    let masters = 0;
    await pool(12_000, 64, async (i) => {
      const r = await get(server.httpUrl('/live/s.m3u8'), IPS[i % IPS.length]);
      if (r.status === 200 && r.body.toString().includes('#EXT-X-STREAM-INF')) masters++;
    });
    assert.equal(masters, 12_000);
    assert.deepEqual(await hlsClients(), []);
    assert.equal(hooks.calls.length, hooksBefore, 'no on_play for a master playlist');
    healthy.assertAdvancing();

    // 3,000 media playlists with made-up ctx ids: served, still no client
    const ctxs = Array.from({ length: 3000 }, (_, i) => ({ ctx: randomBytes(6).toString('hex'), ip: IPS[i % IPS.length] }));
    await pool(ctxs.length, 64, async (i) => {
      const r = await get(server.httpUrl(`/live/s.m3u8?hls_ctx=${ctxs[i].ctx}`), ctxs[i].ip);
      assert.equal(r.status, 200);
      assert.ok(r.body.toString().includes(`.ts?hls_ctx=${ctxs[i].ctx}`));
    });
    assert.deepEqual(await hlsClients(), []);
    assert.equal(hooks.calls.length, hooksBefore, 'no on_play for a media playlist');
    // the newest segment now (the playlist slides while the GETs run)
    const newest = (await get(server.httpUrl('/live/s.m3u8?hls_ctx=probe'), '127.0.0.9')).body.toString().trim().split('\n').pop()!;
    const seg = newest.replace(/\?.*$/, '');
    assert.match(seg, /^s-\d+\.ts$/);

    // Their segments, the newest 150 ctx ids of each IP (100 still pending, 50 forgotten):
    // the pending ones become clients up to the bounds, the others get the plain file or 503.
    const statuses = new Map<number, number>();
    const last = ctxs.slice(-600);
    await pool(last.length, 32, async (i) => {
      const r = await get(server.httpUrl(`/live/${seg}?hls_ctx=${last[i].ctx}`), last[i].ip);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    });
    assert.ok((statuses.get(503) ?? 0) > 0, `some refused past the bounds: ${JSON.stringify([...statuses])}`);
    assert.equal((statuses.get(200) ?? 0) + (statuses.get(503) ?? 0), last.length, JSON.stringify([...statuses]));
    const listed = await hlsClients();
    assert.ok(listed.length > 0 && listed.length <= LIMITS.viewers, `listed hls-play clients: ${listed.length}`);
    assert.ok(byIp(listed) <= LIMITS.viewersPerIp, `per IP: ${byIp(listed)}`);
    const plays = hooks.calls.length - hooksBefore;
    assert.ok(plays <= LIMITS.viewers, `on_play calls: ${plays}`);
    const stream = (await streams(server)).find((s) => s.name === 's')!;
    assert.equal(stream.clients, (await allClients(server)).filter((c) => c.stream === stream.id).length);

    const rows = await settled(() => dbCount(server, 'SELECT COUNT(*) FROM ClientSession'));
    assert.ok(rows - rowsBefore <= LIMITS.viewers, `history rows added: ${rows - rowsBefore}`);
    assert.equal(rows - rowsBefore, await dbCount(server, "SELECT COUNT(*) FROM ClientSession WHERE type = 'hls-play'"));
    assertHealthy(server, healthy);

    // they stop requesting: gone after 2 x hls_window
    await waitFor('hls sessions expired', async () => (await hlsClients()).length === 0, 30_000, 500);
    assertHealthy(server, healthy);
  });

  test('a real viewer still plays after the flood', { timeout: 240_000 }, async () => {
    const m = /\n(\/live\/s\.m3u8\?hls_ctx=(\w+))/.exec((await fetchBytes(server.httpUrl('/live/s.m3u8'))).body.toString());
    assert.ok(m);
    const media = await fetchBytes(server.httpUrl(m[1]));
    const segLine = media.body.toString().split('\n').filter((l) => l.includes('.ts?')).pop()!;
    assert.equal((await fetchBytes(server.httpUrl(`/live/${segLine}`))).status, 200);
    await waitFor('listed', async () => (await hlsClients()).some((c) => c.id === m[2]), 5_000);
    assertHealthy(server, healthy);
  });
});

interface RawPlayer {
  ip: string;
  status: number;
  openedAt: number;
  closedAt: number | undefined;
  socket: Socket;
}

/** A raw HTTP GET that stays open until the server closes it; resolves once the status line came. */
function rawGet(port: number, path: string, ip: string): Promise<RawPlayer> {
  return new Promise((resolve) => {
    const p: RawPlayer = { ip, status: 0, openedAt: Date.now(), closedAt: undefined, socket: connect({ port, host: '127.0.0.1', localAddress: ip }) };
    let head = '';
    p.socket.on('connect', () => p.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    p.socket.on('data', (d) => {
      if (p.status) return;
      head += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        p.status = Number(m[1]);
        resolve(p);
      }
    });
    p.socket.on('error', () => undefined);
    p.socket.on('close', () => {
      p.closedAt = Date.now();
      resolve(p);
    });
  });
}

describe('item 5: HTTP-FLV players of streams nobody publishes', () => {
  const MAX = 120;
  const PER_IP = 50;
  const TIMEOUT_S = 4;
  let server: RunningServer;
  let publisher: ReturnType<typeof ffmpegPublish>;
  let healthy: HealthyPlayer;
  const players: RawPlayer[] = [];

  before(async () => {
    server = await startServer((p) =>
      basicConf(
        p,
        `play { waiting_timeout ${TIMEOUT_S}; }`,
        // sockets are max_connections' business: here every GET reaches the players' bounds
        `max_connections 12000; request_limits { max_waiting_players ${MAX}; max_waiting_players_per_ip ${PER_IP}; }`,
      ),
    );
    publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { gop: 25 });
    await waitFor('stream live', () => server.output().includes('rtmp publish'), 10_000);
    healthy = await watchHealthyPlayer(server.httpUrl('/live/s.flv'));
  });

  after(async () => {
    for (const p of players) p.socket.destroy();
    healthy?.close();
    kill(publisher);
    await server.stop();
  });

  test('5,000 GETs held open: bounded waiting players and sources, 503 past the bounds, closed after waiting_timeout', { timeout: 240_000 }, async () => {
    const sourcesBefore = await metric(server, 'tsrs_sources');
    const rowsBefore = await settled(() => dbCount(server, 'SELECT COUNT(*) FROM ClientSession'));
    // The server's own view while the attack runs (players time out and free places meanwhile).
    const seen = { waiting: 0, sources: 0, listed: 0, perIp: 0 };
    let attacking = true;
    const watcher = (async () => {
      while (attacking) {
        seen.waiting = Math.max(seen.waiting, await metric(server, 'tsrs_waiting_players'));
        seen.sources = Math.max(seen.sources, await metric(server, 'tsrs_sources'));
        const listed = (await allClients(server)).filter((c) => c.name.startsWith('nobody-'));
        seen.listed = Math.max(seen.listed, listed.length);
        seen.perIp = Math.max(seen.perIp, byIp(listed));
        await sleep(100);
      }
    })();
    for (let wave = 0; wave < 20; wave++) {
      const batch = await Promise.all(
        Array.from({ length: 250 }, (_, i) => {
          const n = wave * 250 + i;
          return rawGet(server.ports.http, `/live/nobody-${n}.flv`, IPS[n % IPS.length]);
        }),
      );
      players.push(...batch);
    }
    await sleep(300);
    attacking = false;
    await watcher;
    const waiting = players.filter((p) => p.status === 200);
    const refused = players.filter((p) => p.status === 503);
    assert.equal(waiting.length + refused.length, players.length, `statuses: ${[...new Set(players.map((p) => p.status))]}`);
    assert.ok(waiting.length > 0 && refused.length > 0, `waiting ${waiting.length}, refused ${refused.length}`);
    assert.ok(seen.waiting > 0 && seen.waiting <= MAX, `waiting players at most ${seen.waiting}`);
    assert.ok(seen.listed <= MAX, `listed at most ${seen.listed}`);
    assert.ok(seen.perIp <= PER_IP, `from one IP at most ${seen.perIp}`);
    assert.ok(seen.sources <= sourcesBefore + MAX, `sources at most ${seen.sources}: one per waiting player at most`);
    // refused sockets are closed, not kept
    await waitFor('refused sockets closed', () => refused.every((p) => p.closedAt !== undefined), 10_000);

    healthy.assertAdvancing();

    // waiting_timeout: the server closes them, and their sources go
    await waitFor('waiting players closed', () => waiting.every((p) => p.closedAt !== undefined), (TIMEOUT_S + 6) * 1000, 200);
    for (const p of waiting) assert.ok(p.closedAt! - p.openedAt >= TIMEOUT_S * 1000 - 1500, `closed after ${p.closedAt! - p.openedAt} ms`);
    await waitFor('waiting players gone', async () => (await metric(server, 'tsrs_waiting_players')) === 0, 5_000);
    assert.equal(await metric(server, 'tsrs_sources'), sourcesBefore);
    assert.equal((await allClients(server)).filter((c) => c.name.startsWith('nobody-')).length, 0);
    assert.ok(!(await streams(server)).some((s) => s.name.startsWith('nobody-')));
    // a history row per admitted player, none for the refused
    const rows = await settled(() => dbCount(server, 'SELECT COUNT(*) FROM ClientSession'));
    assert.equal(rows - rowsBefore, waiting.length, 'history rows added');
    assertHealthy(server, healthy);
  });

  test('RTMP players wait under the same bounds and the same timeout', { timeout: 240_000 }, async () => {
    // fill 127.0.0.1's places (FFmpeg connects from there)
    const mine = await Promise.all(Array.from({ length: PER_IP }, (_, i) => rawGet(server.ports.http, `/live/full-${i}.flv`, '127.0.0.1')));
    players.push(...mine);
    assert.ok(mine.every((p) => p.status === 200));
    const t0 = Date.now();
    const refused = ffmpegPlay(server.rtmpUrl('/live/nobody-rtmp'));
    assert.notEqual(await exitOf(refused, 15_000), 0);
    assert.ok(Date.now() - t0 < TIMEOUT_S * 1000, 'refused at once, not after waiting');
    await waitFor('places free again', async () => (await metric(server, 'tsrs_waiting_players')) === 0, (TIMEOUT_S + 6) * 1000, 200);
    // now it may wait, and is closed after waiting_timeout
    const t1 = Date.now();
    const waits = ffmpegPlay(server.rtmpUrl('/live/nobody-rtmp'));
    await waitFor('RTMP player waiting', async () => (await metric(server, 'tsrs_waiting_players')) === 1, 10_000);
    assert.equal((await allClients(server)).filter((c) => c.type === 'rtmp-play').length, 1);
    await exitOf(waits, (TIMEOUT_S + 10) * 1000);
    assert.ok(Date.now() - t1 >= TIMEOUT_S * 1000 - 500, `closed after ${Date.now() - t1} ms`);
    assert.equal(await metric(server, 'tsrs_waiting_players'), 0);
    assertHealthy(server, healthy);
  });

  test('once the waiting players are gone, new ones are admitted again and a publisher ends their wait', { timeout: 240_000 }, async () => {
    const p = await rawGet(server.ports.http, '/live/late.flv', '127.0.0.2');
    players.push(p);
    assert.equal(p.status, 200);
    assert.equal(await metric(server, 'tsrs_waiting_players'), 1);
    const pub = ffmpegPublish(server.rtmpUrl('/live/late'), { gop: 25 });
    try {
      await waitFor('no longer waiting', async () => (await metric(server, 'tsrs_waiting_players')) === 0, 15_000);
      await sleep(TIMEOUT_S * 1000 + 500);
      assert.equal(p.closedAt, undefined, 'a player with a publisher is not timed out');
    } finally {
      kill(pub);
    }
    assertHealthy(server, healthy);
  });
});

describe('item 8: refused plays leave the counts alone', () => {
  let server: RunningServer;
  let refusing: HookServer;
  let slow: HookServer;
  let publisher: ReturnType<typeof ffmpegPublish>;

  before(async () => {
    refusing = await startHookServer(() => '{"code":403}');
    slow = await startHookServer(() => new Promise((r) => setTimeout(() => r('{"code":0}'), 1500)));
    server = await startServer(
      (p) =>
        basicConf(p, `hls { enabled on; hls_fragment 1; hls_window 8; hls_path ./html; } http_hooks { enabled on; on_play ${refusing.url}/play; }`) +
        `vhost slow.test { http_remux { enabled on; mount [vhost]/[app]/[stream].flv; } http_hooks { enabled on; on_play ${slow.url}/play; } }\n`,
    );
    publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { gop: 25 });
    await waitFor('playlist', async () => (await fetchBytes(server.httpUrl('/live/s.m3u8'))).status === 200, 30_000, 250);
    await waitFor('publisher listed', async () => (await streams(server)).some((x) => x.name === 's' && x.publish.active), 15_000);
  });

  after(async () => {
    kill(publisher);
    await server.stop();
    refusing.close();
    slow.close();
  });

  /** Every listed stream's `clients` is the number of listed clients on it. */
  async function assertConsistent(): Promise<{ streams: Stream[]; clients: Client[] }> {
    const ss = await streams(server);
    const cs = await allClients(server);
    for (const s of ss) assert.equal(s.clients, cs.filter((c) => c.stream === s.id).length, `stream ${s.name}`);
    const vhost = (await api<{ vhosts: { clients: number }[] }>(server, '/api/v1/vhosts/')).json.vhosts[0];
    assert.equal(vhost.clients, cs.length);
    return { streams: ss, clients: cs };
  }

  test('20 refused plays each over RTMP, HTTP-FLV and HLS: the stream keeps only its publisher', { timeout: 240_000 }, async () => {
    const sources = await metric(server, 'tsrs_sources');
    const rtmp = Array.from({ length: 20 }, () => ffmpegPlay(server.rtmpUrl('/live/s')));
    for (const p of rtmp) assert.notEqual(await exitOf(p, 20_000), 0);
    for (let i = 0; i < 20; i++) assert.equal((await fetchBytes(server.httpUrl('/live/s.flv'))).status, 401);
    for (let i = 0; i < 20; i++) {
      const m = /\n(\/live\/s\.m3u8\?hls_ctx=\w+)/.exec((await fetchBytes(server.httpUrl('/live/s.m3u8'))).body.toString());
      const media = (await fetchBytes(server.httpUrl(m![1]))).body.toString();
      const seg = media.split('\n').filter((l) => l.includes('.ts?')).pop()!;
      assert.equal((await fetchBytes(server.httpUrl(`/live/${seg}`))).status, 401);
    }
    // and 20 of a stream nobody publishes
    for (let i = 0; i < 20; i++) assert.equal((await fetchBytes(server.httpUrl('/live/ghost.flv'))).status, 401);
    const plays = refusing.calls.filter((c) => c.body.action === 'on_play');
    assert.equal(plays.filter((c) => String(c.body.tcUrl).startsWith('http')).length, 60, 'every HTTP-FLV and HLS play asked');
    // (an FFmpeg that gave up before its play command under load asks nothing: at least most)
    assert.ok(plays.filter((c) => String(c.body.tcUrl).startsWith('rtmp')).length >= 15, 'RTMP plays asked');

    const { streams: ss, clients: cs } = await assertConsistent();
    const s = ss.find((x) => x.name === 's')!;
    assert.equal(s.clients, 1, 'the publisher only');
    assert.deepEqual(cs.map((c) => c.publish), [true], 'only the publisher is listed');
    assert.ok(!ss.some((x) => x.name === 'ghost'));
    await waitFor('no source left by the refusals', async () => (await metric(server, 'tsrs_sources')) === sources, 10_000);
  });

  test('players that leave while a slow on_play decides are not counted when it allows', { timeout: 240_000 }, async () => {
    const sources = await metric(server, 'tsrs_sources');
    const rtmp = Array.from({ length: 10 }, (_, i) => ffmpegPlay(server.rtmpUrl(`/live/slow${i % 2}?vhost=slow.test`)));
    const flv = Array.from({ length: 10 }, (_, i) => {
      const ac = new AbortController();
      const done = fetch(server.httpUrl(`/slow.test/live/slow${i % 2}.flv`), { signal: ac.signal }).catch(() => undefined);
      return { ac, done };
    });
    await waitFor('the hooks were asked', () => slow.calls.length >= 20, 10_000);
    for (const p of rtmp) kill(p);
    for (const f of flv) f.ac.abort();
    // the hook allows after they left
    await sleep(2500);
    await assertConsistent();
    assert.ok(!(await allClients(server)).some((c) => c.name.startsWith('slow')));
    assert.ok(rtmp.every(exited));
    await waitFor('no source left', async () => (await metric(server, 'tsrs_sources')) === sources, 10_000);
    assert.equal(await metric(server, 'tsrs_waiting_players'), 0);
  });
});
