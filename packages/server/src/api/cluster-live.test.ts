import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveSummary } from '@tsrs/api-types';
import { MAX_ROWS, nodeLiveMessage, RemoteNodes } from './cluster-live.js';

const summary = { node: 'x', now_ms: 0, uptime_s: 0, version: 't', cpu_percent: 0, mem_rss_kbyte: 0, mem_percent: 0, connections: 0, streams: 0, kbps: { recv: 0, send: 0 } } as LiveSummary;
const stream = (name: string) => ({ id: `vid-${name}`, name, app: 'live' });
const msg = (node: string, streams = [stream('s')], clients: object[] = [{ id: 'c1' }]) =>
  nodeLiveMessage(node, summary, [], streams, clients);

test("a node's message is kept until the TTL and its rows name that node", () => {
  const r = new RemoteNodes('me', 5000);
  assert.equal(r.put(msg('b'), 1000), true);
  const c = r.cluster(3000);
  assert.equal(c.node, 'me');
  assert.deepEqual(c.nodes.map((n) => [n.node, n.age_ms, n.summary.node]), [['b', 2000, 'b']]);
  assert.deepEqual(c.nodes[0].streams.map((s) => [s.node, s.name]), [['b', 's']]);
  assert.deepEqual(c.nodes[0].clients.map((x) => x.node), ['b']);
  assert.equal(r.cluster(6000).nodes.length, 1, 'at the TTL still there');
  assert.deepEqual(r.cluster(6001).nodes, [], 'past it, dropped');
  assert.equal(r.size, 0);
});

test('rows are re-tagged with the sender, so a node cannot speak for another', () => {
  const r = new RemoteNodes('me');
  r.put({ ...msg('b'), live: [{ id: 'v', node: 'c' }], streams: [{ id: 'v', node: 'c' }] }, 0);
  const n = r.cluster(0).nodes[0];
  assert.deepEqual([n.streams[0].node, r.liveStreams(0)[0].node], ['b', 'b']);
});

test('malformed messages, bad node ids and this node\'s own id are refused', () => {
  const r = new RemoteNodes('me');
  for (const bad of [null, 'b', [], {}, { node: 'b' }, { node: 7, summary }, { ...msg('b'), node: 'a b' }, { ...msg('b'), node: 'x'.repeat(65) }, msg('me')]) {
    assert.equal(r.put(bad, 0), false, JSON.stringify(bad)?.slice(0, 60));
  }
  assert.equal(r.size, 0);
  assert.equal(r.put({ node: 'b', summary, streams: 'no', clients: [1, null, { id: 'c' }] }, 0), true);
  const n = r.cluster(0).nodes[0];
  assert.deepEqual([n.streams.length, n.clients.length, n.streams_total, n.clients_total], [0, 1, 0, 1]);
});

test('lists are cut to MAX_ROWS (totals kept) and new nodes beyond the bound are refused', () => {
  const many = Array.from({ length: MAX_ROWS + 20 }, (_, i) => stream(`s${i}`));
  const m = msg('b', many, many);
  assert.deepEqual([m.streams.length, m.clients.length, m.streams_total, m.clients_total], [MAX_ROWS, MAX_ROWS, MAX_ROWS + 20, MAX_ROWS + 20]);
  const r = new RemoteNodes('me', 5000, 2);
  const oversized = { ...m, streams: many, clients: many };
  assert.equal(r.put(oversized, 0), true);
  assert.equal(r.cluster(0).nodes[0].streams.length, MAX_ROWS);
  assert.equal(r.cluster(0).nodes[0].streams_total, MAX_ROWS + 20);
  assert.equal(r.put(msg('c'), 0), true);
  assert.equal(r.put(msg('d'), 0), false, 'a third node');
  assert.equal(r.put(msg('b'), 100), true, 'a known node still updates');
  assert.equal(r.put(msg('d'), 5001), true, 'once one expired, room again');
  assert.deepEqual(r.cluster(5001).nodes.map((n) => n.node), ['b', 'd']);
});
