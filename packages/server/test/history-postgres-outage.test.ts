/**
 * PostgreSQL history that is down at start and goes away mid-run: tsrs serves media all along
 * (it starts without history, then attaches the database once it answers; a later outage only
 * delays rows). PostgreSQL is reached through a loopback TCP relay the test opens and cuts.
 * Skipped, with the reason in the report, where PostgreSQL is not installed.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import type { HistoryStreamSession } from '@tsrs/api-types';
import { pgSkipReason, startPostgres } from '@tsrs/db/pg-testing';
import { api, streams } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { playFlv } from './http-players.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A relay on `port` to `target`: while down, it refuses (closes) every connection and cuts those it carries. */
async function relay(port: number, target: number) {
  let up = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) return void client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return {
    set(on: boolean) {
      up = on;
      if (!on) for (const s of open) s.destroy();
    },
  };
}

async function historyStreams(node: RunningServer): Promise<string[] | undefined> {
  const r = await api<{ streams: HistoryStreamSession[] }>(node, '/api/v1/history/streams?count=100');
  return r.json.streams?.map((s) => s.stream);
}

/** A publish on `node` that an HTTP-FLV player plays (its video frames counted). */
async function liveStream(node: RunningServer, name: string) {
  const ff = ffmpegPublish(node.rtmpUrl(`/live/${name}`), { bitrate: '300k' });
  cleanups.push(() => kill(ff));
  await waitFor(`${name} published`, async () => (await streams(node)).some((s) => s.name === name && s.publish.active && s.video), 20_000);
  const player = await playFlv(node.httpUrl(`/live/${name}.flv`));
  assert.equal(player.status, 200);
  await waitFor(`${name} plays`, () => player.video.length >= 25, 20_000);
}

test('PostgreSQL down at start and mid-run: media is served all along, history follows once it answers', { skip: pgSkipReason ?? false, timeout: 240_000 }, async () => {
  const pg = await startPostgres({ after: (fn) => cleanups.push(fn) });
  const url = new URL(await pg.createDatabase('tsrs_outage'));
  const port = await freePort();
  const db = await relay(port, Number(url.port));
  url.port = String(port);

  // down at start: tsrs starts and serves
  const node = await startServer((p) => basicConf(p), { env: { DATABASE_URL: url.toString() } });
  cleanups.push(() => node.stop());
  assert.match(node.output(), /history database unreachable/);
  await liveStream(node, 'before_db');

  // up: the store opens (the next retry is at most 30 s away) and records what comes next
  db.set(true);
  await waitFor('history database open', () => node.output().includes('history database open'), 60_000, 250);
  await liveStream(node, 'with_db');
  await waitFor('with_db in the history', async () => (await historyStreams(node))?.includes('with_db'), 30_000, 500);

  // down mid-run: a new stream still plays at once; its row comes once the database is back
  db.set(false);
  await liveStream(node, 'mid_outage');
  db.set(true);
  await waitFor('mid_outage in the history', async () => (await historyStreams(node))?.includes('mid_outage'), 60_000, 500);
});
