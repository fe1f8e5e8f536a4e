// Applies prisma/migrations/*/migration.sql with better-sqlite3, without Prisma's schema engine
// (its binary cannot be downloaded offline and Prisma 7's CLI has no driver-adapter migrate).
// Applied migrations are recorded in Prisma's own `_prisma_migrations` table layout and
// checksum (sha256 of the SQL file), so `prisma migrate status|deploy` agree where the engine
// is available.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { HistoryLogger } from './logger.js';

/** Repo-root prisma/migrations, found from both src/ (tsx) and dist/ (compiled). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  total: number;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/** Migration directories in name (= timestamp) order. */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  if (!fs.existsSync(dir)) throw new Error(`migrations directory not found: ${dir}`);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
}

/**
 * Brings the database file up to date, creating it (and its directory) if needed.
 * Each migration runs in its own IMMEDIATE transaction together with its bookkeeping row, so a
 * failure leaves the file at the previous migration and a concurrent starter waits, then skips.
 */
export function runMigrations(
  dbPath: string,
  opts: { migrationsDir?: string; logger?: HistoryLogger } = {},
): MigrateResult {
  const migrations = readMigrations(opts.migrationsDir);
  fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const db = new Database(dbPath, { timeout: 10_000 });
  try {
    // WAL lets API reads run while the writer commits; the mode is stored in the file.
    db.pragma('journal_mode = WAL');
    db.exec(CREATE_TABLE);
    const isApplied = db.prepare(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
        WHERE migration_name = ? AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const record = db.prepare(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
    );
    const applied: string[] = [];
    for (const m of migrations) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const row = isApplied.get(m.name) as AppliedRow | undefined;
        if (row) {
          if (row.checksum !== m.checksum) {
            opts.logger?.warn({ migration: m.name }, 'applied migration was edited since (checksum differs); not re-applied');
          }
          db.exec('COMMIT');
          continue;
        }
        const startedAt = Date.now();
        db.exec(m.sql);
        record.run(randomUUID(), m.checksum, Date.now(), m.name, startedAt);
        db.exec('COMMIT');
        applied.push(m.name);
        opts.logger?.info({ migration: m.name, path: dbPath }, 'database migration applied');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw new Error(`migration ${m.name} failed on ${dbPath}: ${(err as Error).message}`, { cause: err });
      }
    }
    const known = new Set(migrations.map((m) => m.name));
    const rows = db.prepare(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`).all() as AppliedRow[];
    const unknown = rows.map((r) => r.migration_name).filter((n) => !known.has(n));
    if (unknown.length) {
      opts.logger?.warn({ unknown }, 'database has migrations this build does not know (newer version?)');
    }
    return { applied, total: migrations.length };
  } finally {
    db.close();
  }
}
