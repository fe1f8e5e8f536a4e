// PostgreSQL side of the history store: the migrator for prisma/postgresql/migrations and the
// write connection (the queued writes as SQL on a node-postgres pool, one transaction per batch).
// Prisma stays the read side, through @prisma/adapter-pg and the client generated from
// prisma/postgresql/schema.prisma.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { HistoryLogger } from './logger.js';
import { errInfo } from './logger.js';
import { readMigrations, type MigrateResult } from './migrate.js';

/** Repo-root prisma/postgresql/migrations, found from both src/ and dist/. */
export const DEFAULT_PG_MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/postgresql/migrations/', import.meta.url));

/** True for `postgres://` and `postgresql://` URLs (the `database` directive or DATABASE_URL). */
export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url.trim());
}

/** The URL without its password, for logs and status. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql://(unparsable url)';
  }
}

/** Prisma's `_prisma_migrations` table in its PostgreSQL layout. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Any fixed key: the advisory lock that serialises migrating nodes sharing one database. */
const MIGRATION_LOCK_KEY = 7_411_503_215;

/**
 * Brings the PostgreSQL database up to date. Each migration runs in one transaction with its
 * bookkeeping row, under a transaction-scoped advisory lock, so several tsrs nodes starting at
 * once against one database apply each migration exactly once.
 * Errors: a failing migration rolls back and throws `migration NAME failed: ...`.
 */
export async function runPgMigrations(
  pool: pg.Pool,
  opts: { migrationsDir?: string; logger?: HistoryLogger } = {},
): Promise<MigrateResult> {
  const migrations = readMigrations(opts.migrationsDir ?? DEFAULT_PG_MIGRATIONS_DIR);
  const conn = await pool.connect();
  try {
    await conn.query('BEGIN');
    await conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await conn.query(CREATE_TABLE);
    await conn.query('COMMIT');
    const applied: string[] = [];
    for (const m of migrations) {
      await conn.query('BEGIN');
      try {
        await conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const { rows } = await conn.query<{ checksum: string }>(
          `SELECT checksum FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
          [m.name],
        );
        if (rows.length > 0) {
          if (rows[0].checksum !== m.checksum) {
            opts.logger?.warn({ migration: m.name }, 'applied migration was edited since (checksum differs); not re-applied');
          }
          await conn.query('COMMIT');
          continue;
        }
        const startedAt = new Date();
        await conn.query(m.sql);
        await conn.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, $4, 1)`,
          [randomUUID(), m.checksum, m.name, startedAt],
        );
        await conn.query('COMMIT');
        applied.push(m.name);
        opts.logger?.info({ migration: m.name }, 'database migration applied');
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return { applied, total: migrations.length };
  } finally {
    conn.release();
  }
}

/** `?` placeholders (the SQLite statements' style) as PostgreSQL's `$1, $2, ...`. */
export function pgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Bound values: undefined is NULL; bigint goes as text (PostgreSQL casts it to BIGINT). */
const value = (x: unknown): unknown => (x === undefined ? null : typeof x === 'bigint' ? x.toString() : x);

/**
 * The write connection over a pg pool. `run` inside `transaction(fn)` only collects the
 * statement; `transaction` then sends them in order in one BEGIN ... COMMIT (ROLLBACK on any
 * error, which rejects the returned promise).
 */
export class PgWriter {
  private pending: Array<[string, unknown[]]> | null = null;

  constructor(readonly pool: pg.Pool) {}

  run(sql: string, params: readonly unknown[]): void {
    if (!this.pending) throw new Error('PgWriter.run outside transaction()');
    this.pending.push([sql, [...params]]);
  }

  async transaction(fn: () => void): Promise<void> {
    this.pending = [];
    let statements: Array<[string, unknown[]]>;
    try {
      fn();
    } finally {
      statements = this.pending;
      this.pending = null;
    }
    await this.batch(statements);
  }

  /** Runs the statements in one transaction; returns each one's row count. */
  async batch(statements: ReadonlyArray<readonly [string, readonly unknown[]]>): Promise<number[]> {
    const conn = await this.pool.connect();
    try {
      await conn.query('BEGIN');
      const counts: number[] = [];
      for (const [sql, params] of statements) {
        const r = await conn.query(pgPlaceholders(sql), params.map(value));
        counts.push(r.rowCount ?? 0);
      }
      await conn.query('COMMIT');
      return counts;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      conn.release();
    }
  }

  close(): void {
    this.pool.end().catch(() => {});
  }
}

/** A pool that logs (instead of crashing the process on) errors of idle connections. */
export function createPool(url: string, logger: HistoryLogger, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  pool.on('error', (err) => logger.warn({ ...errInfo(err) }, 'history database connection lost'));
  return pool;
}

/**
 * SQLSTATE classes retrying will not fix: 22 (data exception), 23 (integrity constraint), 42
 * (syntax or undefined column: a caller bug).
 */
export function isPermanentPgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|42)[0-9A-Z]{3}$/.test(code);
}
