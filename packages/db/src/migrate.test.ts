import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { resolveDatabasePath } from './location.js';
import { DEFAULT_MIGRATIONS_DIR, readMigrations, runMigrations } from './migrate.js';
import { tempDir } from './testing.js';

const tables = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

test('migrations create the schema on a fresh file, in a new directory', (t) => {
  const file = path.join(tempDir(t), 'nested', 'objs', 'tsrs.db');
  const r = runMigrations(file);
  assert.ok(r.applied.length >= 1);
  assert.deepEqual(r.applied, readMigrations().map((m) => m.name));
  for (const name of ['ClientSession', 'Event', 'Recording', 'StreamSession', '_prisma_migrations']) {
    assert.ok(tables(file).includes(name), name);
  }
  const db = new Database(file, { readonly: true });
  const row = db.prepare(`SELECT checksum, finished_at, applied_steps_count FROM _prisma_migrations`).get() as {
    checksum: string;
    finished_at: number;
    applied_steps_count: number;
  };
  db.close();
  assert.equal(row.checksum, readMigrations()[0].checksum);
  assert.match(row.checksum, /^[0-9a-f]{64}$/);
  assert.equal(row.applied_steps_count, 1);
});

test('migrations are idempotent and apply only what is new', (t) => {
  const dir = tempDir(t);
  const migrations = path.join(dir, 'migrations');
  fs.cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
  const file = path.join(dir, 'h.db');
  runMigrations(file, { migrationsDir: migrations });
  assert.deepEqual(runMigrations(file, { migrationsDir: migrations }).applied, []);

  fs.mkdirSync(path.join(migrations, '99990101000000_extra'));
  fs.writeFileSync(path.join(migrations, '99990101000000_extra', 'migration.sql'), 'CREATE TABLE "Extra" ("id" INTEGER NOT NULL PRIMARY KEY);\n');
  assert.deepEqual(runMigrations(file, { migrationsDir: migrations }).applied, ['99990101000000_extra']);
  assert.deepEqual(runMigrations(file, { migrationsDir: migrations }).applied, []);
  assert.ok(tables(file).includes('Extra'));
});

test('a failing migration rolls back completely and is not recorded', (t) => {
  const dir = tempDir(t);
  const migrations = path.join(dir, 'migrations');
  fs.cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
  fs.mkdirSync(path.join(migrations, '99990101000000_broken'));
  fs.writeFileSync(
    path.join(migrations, '99990101000000_broken', 'migration.sql'),
    'CREATE TABLE "Half" ("id" INTEGER);\nTHIS IS NOT SQL;\n',
  );
  const file = path.join(dir, 'h.db');
  assert.throws(() => runMigrations(file, { migrationsDir: migrations }), /99990101000000_broken/);
  assert.ok(!tables(file).includes('Half'));
  assert.ok(tables(file).includes('StreamSession'), 'earlier migrations stay applied');
  const db = new Database(file, { readonly: true });
  const names = (db.prepare(`SELECT migration_name FROM _prisma_migrations`).all() as { migration_name: string }[]).map((r) => r.migration_name);
  db.close();
  assert.ok(!names.includes('99990101000000_broken'));
});

test('database location: DATABASE_URL, then the directive, then ./objs/tsrs.db', () => {
  const cwd = '/srv/tsrs';
  assert.equal(resolveDatabasePath(undefined, {}, cwd), '/srv/tsrs/objs/tsrs.db');
  assert.equal(resolveDatabasePath('./data/h.db', {}, cwd), '/srv/tsrs/data/h.db');
  assert.equal(resolveDatabasePath('file:./data/h.db', {}, cwd), '/srv/tsrs/data/h.db');
  assert.equal(resolveDatabasePath('/var/lib/h.db', {}, cwd), '/var/lib/h.db');
  assert.equal(resolveDatabasePath('./data/h.db', { DATABASE_URL: 'file:/tmp/env.db?mode=rwc' }, cwd), '/tmp/env.db');
  assert.equal(resolveDatabasePath(undefined, { DATABASE_URL: 'file:///tmp/u.db' }, cwd), '/tmp/u.db');
  assert.throws(() => resolveDatabasePath(':memory:', {}, cwd));
});
