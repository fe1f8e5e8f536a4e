/**
 * Shared history in PostgreSQL: two tsrs nodes with DATABASE_URL=postgresql://... (one throwaway
 * PostgreSQL server on a free port) each get an FFmpeg publisher and an HTTP-FLV player; either
 * node's /api/v1/history/* then lists the publishes and plays of both. Skipped, with the reason
 * in the report, where PostgreSQL is not installed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HistoryClientSession, HistoryStreamSession } from '@tsrs/api-types';
import { pgSkipReason, startPostgres, type TestPostgres } from '@tsrs/db/pg-testing';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, streams } from './api-helpers.js';

type StreamsAnswer = { streams: HistoryStreamSession[]; total: number };
type ClientsAnswer = { clients: HistoryClientSession[]; total: number };

let pg: TestPostgres | null = null;
const nodes: RunningServer[] = [];
const procs: ReturnType<typeof ffmpegPublish>[] = [];

before(async () => {
  if (pgSkipReason) return;
  pg = await startPostgres({ after: () => {} });
  const url = await pg.createDatabase('tsrs_history');
  for (const name of ['a', 'b']) {
    const node = await startServer((p) => basicConf(p), { env: { DATABASE_URL: url } });
    nodes.push(node);
    procs.push(ffmpegPublish(node.rtmpUrl(`/live/on_${name}`), { bitrate: '300k' }));
    await waitFor(`stream on node ${name}`, async () => (await streams(node)).some((s) => s.publish.active && s.video), 20_000);
    procs.push(ffmpegPlay(node.httpUrl(`/live/on_${name}.flv`)));
    await waitFor(`player on node ${name}`, async () => (await clients(node)).length === 2, 20_000);
  }
});

after(async () => {
  for (const p of procs) kill(p);
  for (const n of nodes) await n.stop();
  await pg?.stop();
});

test('either node lists the live publishes and plays of both nodes from one PostgreSQL', { skip: pgSkipReason ?? false }, async () => {
  for (const node of nodes) {
    const s = await waitFor('both stream sessions', async () => {
      const r = await api<StreamsAnswer>(node, '/api/v1/history/streams?active=true');
      return r.json.total === 2 && r.json;
    }, 15_000);
    assert.deepEqual(s.streams.map((x) => x.stream).sort(), ['on_a', 'on_b']);
    const c = await waitFor('both players', async () => {
      const r = await api<ClientsAnswer>(node, '/api/v1/history/clients?kind=play&active=true');
      return r.json.total === 2 && r.json;
    }, 15_000);
    assert.deepEqual(c.clients.map((x) => x.stream).sort(), ['on_a', 'on_b']);
  }
});

test('a node that stops ends only its own rows', { skip: pgSkipReason ?? false }, async () => {
  await nodes[1].stop();
  const s = await waitFor('node b\'s session ended', async () => {
    const r = await api<StreamsAnswer>(nodes[0], '/api/v1/history/streams');
    return r.json.streams.every((x) => (x.stream === 'on_b') === (x.end !== null)) && r.json;
  }, 15_000);
  assert.equal(s.total, 2);
  assert.equal(s.streams.find((x) => x.stream === 'on_a')?.end, null);
});
