import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { historyStoreContract, min, publish } from './store-contract.js';
import { openHistoryStore, type OpenHistoryStoreOptions } from './store.js';
import type { SqlWriter } from './sql-writer.js';
import { memoryLogger, sleep, tempDir, until } from './testing.js';


function open(file: string, extra: Partial<OpenHistoryStoreOptions> = {}) {
  const logger = memoryLogger();
  return openHistoryStore({ url: `file:${file}`, logger, flushIntervalMs: 40, maxBackoffMs: 80, ...extra }).then((store) => ({ store, logger }));
}

/** Reads with a separate connection, i.e. only what the store has committed. */
function countRows(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}


historyStoreContract('SQLite', async (t) => {
  const file = path.join(tempDir(t), 'objs', 'tsrs.db');
  return { open: (extra) => open(file, extra) };
});

test('writes are queued and flushed in batches without blocking the caller', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store } = await open(file, { flushIntervalMs: 150, batchSize: 50 });
  t.after(() => store.close());
  for (let i = 0; i < 5; i++) store.event({ type: 'tick', data: { i } });
  assert.equal(store.status().queued, 5);
  assert.equal(countRows(file, 'Event'), 0, 'nothing written synchronously');
  await until(() => countRows(file, 'Event') === 5);
  assert.equal(store.status().queued, 0);

});

test('full batches are written at once; the remainder waits for the timer or flush()', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store } = await open(file, { flushIntervalMs: 60_000, batchSize: 50 });
  t.after(() => store.close());
  for (let i = 0; i < 120; i++) store.event({ type: 'burst' });
  await until(() => countRows(file, 'Event') === 100);
  await sleep(50);
  assert.equal(countRows(file, 'Event'), 100);
  assert.equal(store.status().queued, 20);
  await store.flush();
  assert.equal(countRows(file, 'Event'), 120);
});

test('a read-only database is logged and retried; callers never see an error', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store, logger } = await open(file);
  t.after(() => store.close());
  // Root ignores file modes, so make the (write) connection itself read-only (SQLITE_READONLY).
  const db = ((await store.writeConnection()) as SqlWriter).conn;
  db.pragma('query_only = 1');
  publish(store, 'ro', min(0));
  store.event({ type: 'while-readonly' });
  await until(() => store.status().failures >= 2);
  assert.equal(countRows(file, 'StreamSession'), 0);
  assert.match(store.status().lastError ?? '', /readonly/i);
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /will retry/.test(l.msg)));

  db.pragma('query_only = 0');
  await store.flush();
  assert.equal(countRows(file, 'StreamSession'), 1);
  assert.equal(countRows(file, 'Event'), 1);
  assert.equal(store.status().failures, 0);
});

test('a database file removed mid-run is recreated and writing goes on', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'objs', 'h.db');
  const { store, logger } = await open(file);
  t.after(() => store.close());
  publish(store, 'before', min(0));
  await store.flush();
  fs.rmSync(path.dirname(file), { recursive: true });
  publish(store, 'after', min(1));
  await store.flush();
  assert.ok(fs.existsSync(file));
  assert.deepEqual((await store.listStreamSessions()).items.map((s) => s.id), ['after']);
  assert.ok(logger.lines.some((l) => l.level === 'error' && /disappeared/.test(l.msg)));
});

test('an unopenable path is retried until it clears, then the backlog is written', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'objs', 'h.db');
  const { store } = await open(file);
  t.after(() => store.close());
  fs.rmSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(path.dirname(file), 'not a directory'); // mkdir and open both fail now
  for (let i = 0; i < 3; i++) store.event({ type: 'blocked', data: { i } });
  await until(() => store.status().failures >= 3);
  assert.equal(store.status().queued, 3);
  await sleep(100);
  fs.rmSync(path.dirname(file));
  await store.flush();
  assert.equal(countRows(file, 'Event'), 3);
});

test('the queue is bounded: the oldest writes are dropped and counted', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store, logger } = await open(file, { maxQueue: 10 });
  t.after(() => store.close());
  ((await store.writeConnection()) as SqlWriter).conn.pragma('query_only = 1');
  for (let i = 0; i < 25; i++) store.event({ type: 'e', data: i });
  assert.equal(store.status().queued, 10);
  assert.equal(store.status().dropped, 15);
  assert.ok(logger.lines.some((l) => /dropped/.test(l.msg)));
  ((await store.writeConnection()) as SqlWriter).conn.pragma('query_only = 0');
  const events = await store.listEvents({ limit: 100 });
  assert.deepEqual(events.items.map((e) => e.data), [24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
});

test('close gives up on an unavailable database after its timeout and loses only the backlog', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store, logger } = await open(file);
  ((await store.writeConnection()) as SqlWriter).conn.pragma('query_only = 1');
  store.event({ type: 'lost' });
  const t0 = Date.now();
  await store.close(300);
  assert.ok(Date.now() - t0 < 2_000);
  assert.equal(store.status().dropped, 1);
  store.event({ type: 'after-close' }); // still must not throw
  assert.ok(logger.lines.some((l) => /closed/.test(JSON.stringify(l))));
});

test('queued writes store exactly what Prisma writes (so Prisma reads them back)', async (t) => {
  const file = path.join(tempDir(t), 'h.db');
  const { store, logger } = await open(file);
  t.after(() => store.close());
  store.event({ type: 'queued', vhost: 'v', at: min(0), data: { n: 1 } });
  await store.flush();
  await (await store.db()).event.create({ data: { type: 'prisma', vhost: 'v', at: new Date(min(0)), data: '{"n":1}' } });
  const rec = await store.recordingStarted({ vhost: 'v', app: 'live', stream: 's', path: '/r/a.flv', format: 'flv', at: min(0) });
  store.recordingEnded(rec, { at: min(1), size: 5_000_000_000, durationMs: 60_000, complete: true });
  // A value of the wrong type is rejected like Prisma's validation did, alone.
  publish(store, 'st', min(0));
  store.streamUpdated('st', { width: 'wide' as never });
  store.streamUpdated('st', { nope: 1 } as never);
  store.streamUpdated('st', { width: 640.7, frameRate: 25.5, videoCodec: 'H264' });
  await store.flush();
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const [a, b] = db.prepare(`SELECT "at", "type", "data", typeof("at") AS t FROM "Event" ORDER BY "id"`).all() as { at: string; type: string; data: string; t: string }[];
    assert.deepEqual([a.at, a.t, a.data], [b.at, b.t, b.data]);
    assert.equal(a.at, '2026-01-01T00:00:00.000+00:00');
    const r = db.prepare(`SELECT "size", "complete", typeof("size") AS ts FROM "Recording"`).get() as { size: bigint; complete: bigint; ts: string };
    assert.deepEqual([r.size, r.complete, r.ts], [5_000_000_000n, 1n, 'integer']);
  } finally {
    db.close();
  }
  const s = (await store.listStreamSessions()).items[0];
  assert.deepEqual([s.width, s.frameRate, s.videoCodec], [640, 25.5, 'H264']);
  assert.equal(store.status().dropped, 2);
  assert.equal(logger.lines.filter((l) => /rejected/.test(l.msg)).length, 2);
  assert.equal((await store.getRecording(rec))?.complete, true);
});
