// The store's write connection: the batched history writes as better-sqlite3 prepared
// statements, one synchronous transaction per batch. Prisma stays the read side; going through
// its query compiler and async driver adapter for every queued insert made each player's
// connect cost several Prisma calls. The rows written here are exactly what Prisma writes
// (DateTime as ISO-8601 text with "+00:00", BigInt as INTEGER, Boolean as 0/1), so Prisma
// reads them back unchanged.
import Database, { type Database as Connection, type Statement } from 'better-sqlite3';

export type SqlValue = string | number | bigint | null;

/** A column of a dynamic UPDATE (streamUpdated): its SQLite kind and whether NULL is allowed. */
export type ColumnKind = 'text' | 'int' | 'float';

/** Prisma's DateTime encoding in SQLite (the adapter's default `iso8601` timestampFormat). */
export function sqlTime(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/** Bound values: undefined becomes NULL (a NOT NULL column then rejects the row, as Prisma would). */
const v = (x: unknown): SqlValue => (x === undefined ? null : (x as SqlValue));

export class SqlWriter {
  readonly conn: Connection;
  private readonly statements = new Map<string, Statement>();
  private readonly inTx: (fn: () => void) => void;

  constructor(file: string) {
    this.conn = new Database(file, { timeout: 5_000 });
    this.inTx = this.conn.transaction((fn: () => void) => fn());
  }

  /** Runs `sql` (prepared once per connection) with positional parameters; returns the rows changed. */
  run(sql: string, params: readonly unknown[]): number {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.conn.prepare(sql);
      this.statements.set(sql, st);
    }
    return st.run(...params.map(v)).changes;
  }

  /** Runs the statements in one transaction; returns each one's rows changed. */
  async batch(statements: ReadonlyArray<readonly [string, readonly unknown[]]>): Promise<number[]> {
    const counts: number[] = [];
    this.inTx(() => {
      for (const [sql, params] of statements) counts.push(this.run(sql, params));
    });
    return counts;
  }

  /** Runs `fn` in one transaction (BEGIN ... COMMIT; ROLLBACK if it throws). */
  transaction(fn: () => void): void {
    this.inTx(fn);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** `INSERT ... ON CONFLICT(id) DO UPDATE` that sets `columns` and the `reset` SQL (Prisma upsert). */
export function upsertSql(table: string, columns: readonly string[], reset: string): string {
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const marks = columns.map(() => '?').join(', ');
  const set = columns.filter((c) => c !== 'id').map((c) => `"${c}" = excluded."${c}"`);
  return `INSERT INTO "${table}" (${cols}) VALUES (${marks}) ON CONFLICT("id") DO UPDATE SET ${[...set, reset].join(', ')}`;
}

/** `UPDATE table SET a = ?, b = ? WHERE id = ?` for the given columns. */
export function updateSql(table: string, columns: readonly string[]): string {
  return `UPDATE "${table}" SET ${columns.map((c) => `"${c}" = ?`).join(', ')} WHERE "id" = ?`;
}

/**
 * Checks a value for a column as Prisma's validation would: a wrong type is a caller bug and
 * the write is rejected (permanent), never stored where Prisma could not read it back.
 */
export function checkColumn(column: string, kind: ColumnKind | undefined, value: unknown): SqlValue {
  if (kind === undefined) throw new TypeError(`unknown column ${column}`);
  if (value === null) return null;
  const ok =
    kind === 'text' ? typeof value === 'string'
    : kind === 'int' ? typeof value === 'number' && Number.isInteger(value)
    : typeof value === 'number' && Number.isFinite(value);
  if (!ok) throw new TypeError(`invalid value for ${column}: ${String(value)}`);
  return value as SqlValue;
}

/** SQLite result codes retrying cannot fix (the row itself is bad); TypeError/RangeError: bad binding. */
export function isPermanentSqlError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE');
}
