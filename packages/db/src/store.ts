// HistoryStore: the server's handle on the history database.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client.js';
import { PrismaClient as PgPrismaClient } from './generated/prisma-pg/client.js';
import { createPool, isPermanentPgError, isPostgresUrl, PgWriter, redactUrl, runPgMigrations } from './pg.js';
import { timeOrNow, toBig, toInt32, toJsonText, recordingRow } from './convert.js';
import type { HistoryLogger } from './logger.js';
import { errInfo, stderrLogger } from './logger.js';
import { resolveDatabasePath } from './location.js';
import { runMigrations } from './migrate.js';
import * as queries from './queries.js';
import { checkColumn, isPermanentSqlError, SqlWriter, sqlTime, updateSql, upsertSql, type ColumnKind } from './sql-writer.js';
import type {
  ClientSessionQuery,
  ClientSessionRow,
  ClientStartInput,
  EventInput,
  EventQuery,
  EventRow,
  Page,
  RecordingEndInput,
  RecordingProgressInput,
  RecordingQuery,
  RecordingRow,
  RecordingStartInput,
  RepairResult,
  SessionEndInput,
  StoreStatus,
  StreamMediaInput,
  StreamSessionQuery,
  StreamSessionRow,
  StreamStartInput,
  TimeInput,
} from './types.js';
import { BatchWriter, type WriteOp } from './writer.js';

export interface OpenHistoryStoreOptions {
  /**
   * The server's `database` directive; DATABASE_URL wins over it. Default ./objs/tsrs.db.
   * A `postgresql://` (or `postgres://`) URL stores history in PostgreSQL instead of SQLite.
   */
  url?: string;
  logger?: HistoryLogger;
  /** Default: the repo's prisma/migrations (SQLite) or prisma/postgresql/migrations. */
  migrationsDir?: string;
  /**
   * Close sessions/recordings left open by a crash. SQLite (one server per file; default true)
   * closes every open row; PostgreSQL, which several nodes share (default: when `node` is given),
   * only the rows of `node`: one node's start must not end the live rows of the others.
   */
  repairOnOpen?: boolean;
  /**
   * The cluster node this server is (stored in the `node` column of its sessions and recordings);
   * default ''. At most 64 characters.
   */
  node?: string;
  /** Batch tuning (defaults: 200 ops, 250 ms, 100k queued ops, 5 s max retry delay). */
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  maxBackoffMs?: number;
  /** How long queries wait for pending writes before reading (default 1000 ms). */
  readWaitMs?: number;
}

/** Prisma error codes that retrying will not fix: bad values, constraints, missing rows. */
const PERMANENT_CODES = new Set(['P2000', 'P2002', 'P2003', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2025']);

function isPermanent(err: unknown): boolean {
  if (isPermanentSqlError(err) || isPermanentPgError(err)) return true;
  if (err instanceof Prisma.PrismaClientValidationError) return true;
  return err instanceof Prisma.PrismaClientKnownRequestError && PERMANENT_CODES.has(err.code);
}

// The queued writes, as SQL on the write connection (see sql-writer.ts). Upserts reset what a
// Prisma upsert's `update` did: the given columns plus the end/counter columns.
const STREAM_COLUMNS = ['id', 'vhost', 'app', 'stream', 'clientId', 'ip', 'protocol', 'startedAt', 'node'] as const;
const UPSERT_STREAM = upsertSql('StreamSession', STREAM_COLUMNS, '"endedAt" = NULL, "endReason" = NULL, "bytesIn" = 0, "bytesOut" = NULL');
const CLIENT_COLUMNS = ['id', 'kind', 'type', 'protocol', 'ip', 'vhost', 'app', 'stream', 'url', 'startedAt', 'node'] as const;
const UPSERT_CLIENT = upsertSql('ClientSession', CLIENT_COLUMNS, '"endedAt" = NULL, "endReason" = NULL, "bytesIn" = 0, "bytesOut" = 0');
const RECORDING_COLUMNS = ['id', 'vhost', 'app', 'stream', 'path', 'format', 'startedAt', 'node'] as const;
const UPSERT_RECORDING = upsertSql('Recording', RECORDING_COLUMNS, '"endedAt" = NULL, "durationMs" = 0, "size" = 0, "complete" = false');
const UPDATE_RECORDING_PROGRESS = updateSql('Recording', ['size', 'durationMs']);
const UPDATE_RECORDING_END = updateSql('Recording', ['endedAt', 'size', 'durationMs', 'complete']);
const INSERT_EVENT = 'INSERT INTO "Event" ("at", "type", "vhost", "app", "stream", "clientId", "data") VALUES (?, ?, ?, ?, ?, ?, ?)';
const MEDIA_COLUMNS: Record<keyof StreamMediaInput, ColumnKind> = {
  videoCodec: 'text', videoProfile: 'text', videoLevel: 'text', width: 'int', height: 'int', frameRate: 'float',
  audioCodec: 'text', audioSampleRate: 'int', audioChannels: 'int', audioProfile: 'text',
};

/** endedAt/endReason and the optional byte counters of a session end, as an UPDATE. */
function endUpdate(table: string, id: string, e: SessionEndInput): [string, unknown[]] {
  const cols = ['endedAt', 'endReason'];
  const vals: unknown[] = [sqlTime(timeOrNow(e.at)), e.reason ?? 'normal'];
  if (e.bytesIn !== undefined) cols.push('bytesIn'), vals.push(toBig(e.bytesIn));
  if (e.bytesOut !== undefined) cols.push('bytesOut'), vals.push(toBig(e.bytesOut));
  return [updateSql(table, cols), [...vals, id]];
}

/** Identity of the open database file, to notice it being deleted or replaced under us. */
interface FileId {
  dev: number;
  ino: number;
}

function fileId(p: string): FileId | null {
  try {
    const st = fs.statSync(p);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** The queued writes' connection: better-sqlite3 (SQLite) or a pg pool (PostgreSQL). */
type WriteConnection = SqlWriter | PgWriter;
type Op = WriteOp<WriteConnection>;

/** Where the history lives: a SQLite file or a PostgreSQL server. */
export type HistoryTarget = { kind: 'sqlite'; path: string } | { kind: 'postgresql'; url: string };

export class HistoryStore {
  /** Reads and queries (and the rare repair/delete) go through Prisma... */
  private client: PrismaClient | null = null;
  /** ...the queued writes through their own better-sqlite3 connection to the same (WAL) file. */
  private sql: WriteConnection | null = null;
  private openedFile: FileId | null = null;
  private reopening: Promise<PrismaClient> | null = null;
  private readonly writer: BatchWriter<WriteConnection>;
  private closed = false;
  /** the `node` column of the rows this server writes */
  private readonly node: string;

  /** Use openHistoryStore(). */
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly path: string;

  constructor(
    readonly target: HistoryTarget,
    private readonly logger: HistoryLogger,
    private readonly opts: OpenHistoryStoreOptions,
  ) {
    this.path = target.kind === 'sqlite' ? target.path : redactUrl(target.url);
    this.node = (opts.node ?? '').slice(0, 64);
    this.writer = new BatchWriter<WriteConnection>({
      connect: () => this.writeConnection(),
      transaction: (sql, ops) => sql.transaction(() => {
        for (const op of ops) op.run(sql);
      }),
      isPermanent,
      logger,
      batchSize: opts.batchSize,
      intervalMs: opts.flushIntervalMs,
      maxQueue: opts.maxQueue,
      maxBackoffMs: opts.maxBackoffMs,
    });
  }

  /**
   * The Prisma client for the current file. If the file was deleted or replaced while open
   * (SQLite would keep writing to the unlinked inode and lose everything), it is recreated.
   */
  async db(): Promise<PrismaClient> {
    if (this.closed) throw new Error('history store closed');
    if (this.target.kind === 'postgresql') {
      if (this.client) return this.client;
      this.reopening ??= this.openPg(this.target.url).finally(() => (this.reopening = null));
      return this.reopening;
    }
    const now = fileId(this.path);
    if (this.client && now && this.openedFile && now.dev === this.openedFile.dev && now.ino === this.openedFile.ino) {
      return this.client;
    }
    this.reopening ??= this.reopen().finally(() => (this.reopening = null));
    return this.reopening;
  }

  /** The write connection for the current file (reopened with the Prisma client). */
  async writeConnection(): Promise<WriteConnection> {
    await this.db();
    if (!this.sql) throw new Error('history store closed');
    return this.sql;
  }

  /** Migrates (advisory-locked against other nodes) and connects both pools. */
  private async openPg(url: string): Promise<PrismaClient> {
    const pool = createPool(url, this.logger);
    try {
      await runPgMigrations(pool, { migrationsDir: this.opts.migrationsDir, logger: this.logger });
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    // The two generated clients share the models; queries.ts is written against the SQLite one.
    const client = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }) }) as unknown as PrismaClient;
    try {
      await client.$connect();
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    this.client = client;
    this.sql = new PgWriter(pool);
    return client;
  }

  private async reopen(): Promise<PrismaClient> {
    if (this.client) {
      this.logger.error({ path: this.path }, 'history database file disappeared or was replaced; recreating it');
      const old = this.client;
      this.client = null;
      this.sql?.close();
      this.sql = null;
      await old.$disconnect().catch(() => {});
    }
    runMigrations(this.path, { migrationsDir: this.opts.migrationsDir, logger: this.logger });
    const id = fileId(this.path);
    const sql = new SqlWriter(this.path);
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${this.path}`, timeout: 5_000 }) });
    try {
      await client.$connect();
    } catch (err) {
      sql.close();
      throw err;
    }
    this.client = client;
    this.sql = sql;
    this.openedFile = id;
    return client;
  }

  private enqueue(kind: string, run: Op['run']): void {
    try {
      this.writer.push({ kind, run });
    } catch (err) {
      // Defensive: a write method must never throw into media code.
      this.logger.error({ op: kind, ...errInfo(err) }, 'history write could not be queued');
    }
  }

  // ---- writes (queued; never throw) ----

  streamStarted(s: StreamStartInput): void {
    // Upsert so a retried batch (or a reused id) cannot fail on the primary key.
    const row = [s.id, s.vhost, s.app, s.stream, s.clientId, s.ip, s.protocol, sqlTime(timeOrNow(s.at)), this.node];
    this.enqueue('streamStarted', (db) => db.run(UPSERT_STREAM, row));
  }

  streamUpdated(id: string, media: StreamMediaInput): void {
    const cols: string[] = [];
    const vals: unknown[] = [];
    for (const [k, v] of Object.entries(media)) {
      if (v === undefined) continue;
      cols.push(k);
      vals.push((k === 'width' || k === 'height' || k === 'audioSampleRate' || k === 'audioChannels') && typeof v === 'number' ? toInt32(v) : v);
    }
    this.enqueue('streamUpdated', (db) => {
      // Checked when written, like Prisma's validation: a bad value rejects this write only.
      const checked = cols.map((c, i) => checkColumn(c, Object.hasOwn(MEDIA_COLUMNS, c) ? MEDIA_COLUMNS[c as keyof StreamMediaInput] : undefined, vals[i]));
      if (cols.length > 0) db.run(updateSql('StreamSession', cols), [...checked, id]);
    });
  }

  streamEnded(id: string, e: SessionEndInput = {}): void {
    const [sql, params] = endUpdate('StreamSession', id, e);
    this.enqueue('streamEnded', (db) => db.run(sql, params));
  }

  clientStarted(c: ClientStartInput): void {
    const row = [c.id, c.kind, c.type, c.protocol, c.ip, c.vhost, c.app, c.stream, c.url, sqlTime(timeOrNow(c.at)), this.node];
    this.enqueue('clientStarted', (db) => db.run(UPSERT_CLIENT, row));
  }

  clientEnded(id: string, e: SessionEndInput = {}): void {
    const [sql, params] = endUpdate('ClientSession', id, e);
    this.enqueue('clientEnded', (db) => db.run(sql, params));
  }

  /**
   * Returns the new recording's id at once (generated here, so the DVR never waits on the
   * database); the row itself is queued like every other write.
   */
  async recordingStarted(r: RecordingStartInput): Promise<string> {
    const id = r.id ?? randomUUID();
    const row = [id, r.vhost, r.app, r.stream, r.path, r.format, sqlTime(timeOrNow(r.at)), this.node];
    this.enqueue('recordingStarted', (db) => db.run(UPSERT_RECORDING, row));
    return id;
  }

  recordingUpdated(id: string, p: RecordingProgressInput): void {
    const params = [toBig(p.size), toInt32(p.durationMs), id];
    this.enqueue('recordingUpdated', (db) => db.run(UPDATE_RECORDING_PROGRESS, params));
  }

  recordingEnded(id: string, e: RecordingEndInput): void {
    const params = [sqlTime(timeOrNow(e.at)), toBig(e.size), toInt32(e.durationMs), e.complete === true ? 1 : 0, id];
    this.enqueue('recordingEnded', (db) => db.run(UPDATE_RECORDING_END, params));
  }

  event(e: EventInput): void {
    const row = [sqlTime(timeOrNow(e.at)), String(e.type), e.vhost ?? null, e.app ?? null, e.stream ?? null, e.clientId ?? null, toJsonText(e.data)];
    this.enqueue('event', (db) => db.run(INSERT_EVENT, row));
  }

  /** Waits until every write queued so far is in the database (through retries). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  status(): StoreStatus {
    return {
      path: this.path,
      queued: this.writer.queued,
      dropped: this.writer.dropped,
      failures: this.writer.failures,
      lastError: this.writer.lastError,
    };
  }

  /** Flushes (for at most `timeoutMs`, default 5 s) and closes the database. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    await this.writer.close(timeoutMs);
    this.closed = true;
    const client = this.client;
    this.client = null;
    this.sql?.close();
    this.sql = null;
    await client?.$disconnect().catch(() => {});
  }

  // ---- startup repair ----

  /**
   * Ends whatever a crash (kill -9, power loss) left open: sessions get endReason 'error',
   * recordings complete=false. Call before the server accepts clients. `onlyNode`: just the rows
   * that node wrote (a shared PostgreSQL: the other nodes' open rows are live).
   */
  async closeDanglingSessions(at: TimeInput = new Date(), onlyNode?: string): Promise<RepairResult> {
    await this.writer.flushWithin(this.readWaitMs);
    const endedAt = sqlTime(timeOrNow(at));
    // On the write connection, like every write: Prisma's connection only reads, so the two
    // never wait on each other's locks.
    const sql = await this.writeConnection();
    const end = (table: string, set: string) =>
      onlyNode === undefined
        ? ([`UPDATE "${table}" SET ${set} WHERE "endedAt" IS NULL`, [endedAt]] as const)
        : ([`UPDATE "${table}" SET ${set} WHERE "endedAt" IS NULL AND "node" = ?`, [endedAt, onlyNode]] as const);
    const [streams, clients, recordings] = await sql.batch([
      end('StreamSession', `"endedAt" = ?, "endReason" = 'error'`),
      end('ClientSession', `"endedAt" = ?, "endReason" = 'error'`),
      end('Recording', `"endedAt" = ?, "complete" = false`),
    ]);
    const result = { streams, clients, recordings };
    if (result.streams + result.clients + result.recordings > 0) {
      this.logger.warn({ ...result, node: onlyNode }, 'closed history rows left open by an unclean shutdown');
    }
    return result;
  }

  // ---- queries (newest first; they first give pending writes a moment to land) ----

  private get readWaitMs(): number {
    return this.opts.readWaitMs ?? 1_000;
  }

  private async reader(): Promise<PrismaClient> {
    await this.writer.flushWithin(this.readWaitMs);
    return this.db();
  }

  async listStreamSessions(q: StreamSessionQuery = {}): Promise<Page<StreamSessionRow>> {
    return queries.listStreamSessions(await this.reader(), q);
  }

  async listClientSessions(q: ClientSessionQuery = {}): Promise<Page<ClientSessionRow>> {
    return queries.listClientSessions(await this.reader(), q);
  }

  async listRecordings(q: RecordingQuery = {}): Promise<Page<RecordingRow>> {
    return queries.listRecordings(await this.reader(), q);
  }

  async listEvents(q: EventQuery = {}): Promise<Page<EventRow>> {
    return queries.listEvents(await this.reader(), q);
  }

  async getRecording(id: string): Promise<RecordingRow | null> {
    const row = await (await this.reader()).recording.findUnique({ where: { id: String(id) } });
    return row ? recordingRow(row) : null;
  }

  /**
   * History retention: keeps at most `maxRows` ended stream sessions, ended client sessions and
   * events each, deleting the oldest beyond it (open sessions and recordings are never deleted).
   * Returns the rows deleted per table. One statement per table, on the write connection.
   */
  async prune(maxRows: number): Promise<{ streams: number; clients: number; events: number }> {
    const sql = await this.writeConnection();
    // SQLite's two-argument max() is PostgreSQL's GREATEST().
    const greatest = this.target.kind === 'sqlite' ? 'max' : 'GREATEST';
    const over = (table: string, time: string, ended: string) =>
      [
        `DELETE FROM "${table}" WHERE "id" IN (SELECT "id" FROM "${table}" WHERE ${ended} ORDER BY "${time}" ASC ` +
          `LIMIT ${greatest}(0, (SELECT COUNT(*) FROM "${table}" WHERE ${ended}) - ?))`,
        [maxRows],
      ] as const;
    const [streams, clients, events] = await sql.batch([
      over('StreamSession', 'startedAt', '"endedAt" IS NOT NULL'),
      over('ClientSession', 'startedAt', '"endedAt" IS NOT NULL'),
      over('Event', 'at', 'TRUE'),
    ]);
    return { streams, clients, events };
  }

  /** Deletes the row and returns it (so the caller can remove the file), or null if unknown. */
  async deleteRecording(id: string): Promise<RecordingRow | null> {
    const db = await this.reader();
    const row = await db.recording.findUnique({ where: { id: String(id) } });
    if (!row) return null;
    await (await this.writeConnection()).batch([['DELETE FROM "Recording" WHERE "id" = ?', [row.id]]]);
    return recordingRow(row);
  }
}

/**
 * Migrates (creating the SQLite file and its directory if needed), connects and repairs.
 * DATABASE_URL wins over `opts.url`; a `postgresql://` URL selects PostgreSQL.
 * Errors: an unreachable PostgreSQL server or a failing migration rejects.
 */
export async function openHistoryStore(opts: OpenHistoryStoreOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<HistoryStore> {
  const logger = opts.logger ?? stderrLogger;
  const raw = env.DATABASE_URL?.trim() || opts.url?.trim();
  let target: HistoryTarget;
  if (isPostgresUrl(raw)) {
    target = { kind: 'postgresql', url: raw };
  } else {
    const file = resolveDatabasePath(opts.url, env);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    target = { kind: 'sqlite', path: file };
  }
  const store = new HistoryStore(target, logger, opts);
  await store.db();
  logger.info({ path: store.path }, 'history database open');
  // A shared PostgreSQL is repaired per node: only a store that knows its node closes (its own) rows.
  if (target.kind === 'sqlite') {
    if (opts.repairOnOpen ?? true) await store.closeDanglingSessions();
  } else if (opts.repairOnOpen ?? !!opts.node) {
    await store.closeDanglingSessions(new Date(), opts.node ?? '');
  }
  return store;
}
