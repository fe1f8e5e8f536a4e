// The history store on PostgreSQL: the shared store tests against a throwaway PostgreSQL server,
// plus what only PostgreSQL does (several nodes on one database). Skipped, with the reason in
// the test report, where PostgreSQL is not installed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pgSkipReason, startPostgres, type TestPostgres } from './pg-testing.js';
import { historyStoreContract, min, publish } from './store-contract.js';
import { DEFAULT_PG_MIGRATIONS_DIR as PG_MIGRATIONS } from './pg.js';
import { openHistoryStore, type OpenHistoryStoreOptions } from './store.js';
import { memoryLogger } from './testing.js';

let server: TestPostgres | null = null;
let databases = 0;

before(async () => {
  if (!pgSkipReason) server = await startPostgres({ after: () => {} });
});
after(() => server?.stop());

async function freshUrl(): Promise<string> {
  if (!server) throw new Error('PostgreSQL not started');
  return server.createDatabase(`tsrs_test_${++databases}`);
}

function open(url: string, extra: Partial<OpenHistoryStoreOptions> = {}) {
  const logger = memoryLogger();
  return openHistoryStore({ url, logger, flushIntervalMs: 40, maxBackoffMs: 80, ...extra }).then((store) => ({ store, logger }));
}

historyStoreContract(
  'PostgreSQL',
  async () => {
    const url = await freshUrl();
    return { open: (extra) => open(url, extra) };
  },
  pgSkipReason ?? false,
);

test('PostgreSQL: two nodes share one database; migrations run once; a start does not end the other node\'s live rows', { skip: pgSkipReason ?? false }, async (t) => {
  const url = await freshUrl();
  // Both nodes start at once: the advisory lock lets exactly one apply each migration.
  const [a, b] = await Promise.all([open(url), open(url)]);
  t.after(async () => {
    await a.store.close();
    await b.store.close();
  });
  const applied = [...a.logger.lines, ...b.logger.lines].filter((l) => /migration applied/.test(l.msg));
  // each migration once, by one of them
  const migrations = fs.readdirSync(PG_MIGRATIONS).filter((d) => fs.statSync(path.join(PG_MIGRATIONS, d)).isDirectory());
  assert.equal(applied.length, migrations.length);
  assert.equal(a.store.path, url, 'no password in the url: shown as is');
  publish(a.store, 'on-a', min(0));
  publish(b.store, 'on-b', min(1));
  b.store.clientStarted({ id: 'play-b', kind: 'play', type: 'flv-play', protocol: 'http-flv', ip: '10.0.0.2', vhost: 'v', app: 'live', stream: 's', url: 'http://h/live/s.flv', at: min(2) });
  await Promise.all([a.store.flush(), b.store.flush()]);
  // A third node starting must not close the first two's live sessions.
  const c = await open(url);
  t.after(() => c.store.close());
  const live = await c.store.listStreamSessions({ active: true });
  assert.deepEqual(live.items.map((s) => s.id), ['on-b', 'on-a']);
  assert.equal((await a.store.listClientSessions({ kind: 'play' })).items[0]?.id, 'play-b');
});

test('PostgreSQL: the url password never reaches status or logs', { skip: pgSkipReason ?? false }, async (t) => {
  const url = (await freshUrl()).replace('tsrs@', 'tsrs:s3cret@'); // trust auth ignores it
  const { store, logger } = await open(url);
  t.after(() => store.close());
  assert.doesNotMatch(store.status().path, /s3cret/);
  assert.doesNotMatch(JSON.stringify(logger.lines), /s3cret/);
});
