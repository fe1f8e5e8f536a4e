/**
 * A crashed node's history rows in a shared PostgreSQL: nodes A and B (`cluster { node_id }`)
 * each publish a stream; B is killed (-9), leaving its rows open. A restarting repairs only its
 * own rows (none open after its clean stop), so B's stay open; B restarting closes its own
 * (endReason 'error'). The history API of either node lists both nodes' rows, each naming its
 * node, and filters by node. Skipped, with the reason, where PostgreSQL is not installed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { pgSkipReason, startPostgres, type TestPostgres } from '@tsrs/db/pg-testing';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, streams } from './api-helpers.js';

let db: TestPostgres | null = null;
let url = '';
const running: RunningServer[] = [];
const procs: ReturnType<typeof ffmpegPublish>[] = [];

after(async () => {
  for (const p of procs) kill(p);
  for (const n of running) await n.stop('SIGKILL');
  await db?.stop();
});

async function startNode(node: string): Promise<RunningServer> {
  const s = await startServer((p) => basicConf(p, `cluster { node_id ${node}; }`), { env: { DATABASE_URL: url } });
  running.push(s);
  return s;
}

interface Row {
  node: string;
  stream: string;
  open: boolean;
  endReason: string | null;
}

async function rows(): Promise<Row[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<Row>(`SELECT "node", "stream", "endedAt" IS NULL AS "open", "endReason" FROM "StreamSession" ORDER BY "node", "stream"`);
    return r.rows;
  } finally {
    await c.end();
  }
}

test("a node's startup repair closes only its own open rows", { skip: pgSkipReason ?? false }, async () => {
  db = await startPostgres({ after: () => {} });
  url = await db.createDatabase('tsrs_nodes');
  const a = await startNode('node-a');
  const b = await startNode('node-b');
  for (const [node, name] of [[a, 'on_a'], [b, 'on_b']] as const) {
    procs.push(ffmpegPublish(node.rtmpUrl(`/live/${name}`), { bitrate: '200k' }));
    await waitFor(`${name} published`, async () => (await streams(node)).some((s) => s.publish.active), 20_000);
  }
  await waitFor('both rows written, open', async () => {
    const r = await rows();
    return r.length === 2 && r.every((x) => x.open) && r;
  }, 15_000);
  assert.deepEqual((await rows()).map((r) => [r.node, r.stream]), [['node-a', 'on_a'], ['node-b', 'on_b']]);

  await b.stop('SIGKILL');
  for (const p of procs) kill(p);
  await a.stop();
  await waitFor("A's row ended by its clean stop", async () => (await rows()).find((r) => r.node === 'node-a' && !r.open), 15_000);
  const a2 = await startNode('node-a');
  const afterA = await rows();
  assert.deepEqual(afterA.map((r) => [r.node, r.open]), [['node-a', false], ['node-b', true]], "B's row stays open across A's restart");
  assert.equal(afterA[0].endReason, 'normal');

  // node A's history API names the node that recorded each row, and filters by it
  type Named = { stream: string; node: string };
  const listed = async (path: string) => (await api<{ streams?: Named[]; clients?: Named[] }>(a2, path)).json;
  const pairs = (r: Named[] = []) => r.map((x) => `${x.stream}@${x.node}`).sort();
  assert.deepEqual(pairs((await listed('/api/v1/history/streams')).streams), ['on_a@node-a', 'on_b@node-b']);
  assert.deepEqual(pairs((await listed('/api/v1/history/clients?kind=publish')).clients), ['on_a@node-a', 'on_b@node-b']);
  assert.deepEqual(pairs((await listed('/api/v1/history/streams?node=node-b')).streams), ['on_b@node-b']);
  assert.deepEqual(pairs((await listed('/api/v1/history/clients?kind=publish&node=node-a')).clients), ['on_a@node-a']);

  await startNode('node-b');
  const afterB = await rows();
  assert.deepEqual(afterB.map((r) => [r.node, r.open, r.endReason]), [['node-a', false, 'normal'], ['node-b', false, 'error']]);
});
