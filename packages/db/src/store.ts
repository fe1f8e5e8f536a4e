// HistoryStore: the server's handle on the history database.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { Prisma, PrismaClient } from './generated/prisma/client.js';
import { timeOrNow, toBig, toInt32, toJsonText, recordingRow } from './convert.js';
import type { HistoryLogger } from './logger.js';
import { errInfo, stderrLogger } from './logger.js';
import { resolveDatabasePath } from './location.js';
import { runMigrations } from './migrate.js';
import * as queries from './queries.js';
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
  /** The server's `database` directive; DATABASE_URL wins over it. Default ./objs/tsrs.db. */
  url?: string;
  logger?: HistoryLogger;
  /** Default: the repo's prisma/migrations. */
  migrationsDir?: string;
  /** Close sessions/recordings left open by a crash (default true). */
  repairOnOpen?: boolean;
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
  if (err instanceof Prisma.PrismaClientValidationError) return true;
  return err instanceof Prisma.PrismaClientKnownRequestError && PERMANENT_CODES.has(err.code);
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

type Op = WriteOp<PrismaClient>;

export class HistoryStore {
  private client: PrismaClient | null = null;
  private openedFile: FileId | null = null;
  private reopening: Promise<PrismaClient> | null = null;
  private readonly writer: BatchWriter<PrismaClient>;
  private closed = false;

  /** Use openHistoryStore(). */
  constructor(
    readonly path: string,
    private readonly logger: HistoryLogger,
    private readonly opts: OpenHistoryStoreOptions,
  ) {
    this.writer = new BatchWriter<PrismaClient>({
      connect: () => this.db(),
      transaction: (db, ops) => db.$transaction(ops as Prisma.PrismaPromise<unknown>[]),
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
    const now = fileId(this.path);
    if (this.client && now && this.openedFile && now.dev === this.openedFile.dev && now.ino === this.openedFile.ino) {
      return this.client;
    }
    this.reopening ??= this.reopen().finally(() => (this.reopening = null));
    return this.reopening;
  }

  private async reopen(): Promise<PrismaClient> {
    if (this.client) {
      this.logger.error({ path: this.path }, 'history database file disappeared or was replaced; recreating it');
      const old = this.client;
      this.client = null;
      await old.$disconnect().catch(() => {});
    }
    runMigrations(this.path, { migrationsDir: this.opts.migrationsDir, logger: this.logger });
    const id = fileId(this.path);
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${this.path}`, timeout: 5_000 }) });
    await client.$connect();
    this.client = client;
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
    const data = {
      id: s.id,
      vhost: s.vhost,
      app: s.app,
      stream: s.stream,
      clientId: s.clientId,
      ip: s.ip,
      protocol: s.protocol,
      startedAt: timeOrNow(s.at),
    };
    // Upsert so a retried batch (or a reused id) cannot fail on the primary key.
    const reset = { ...data, endedAt: null, endReason: null, bytesIn: 0n, bytesOut: null };
    this.enqueue('streamStarted', (db) => db.streamSession.upsert({ where: { id: s.id }, create: data, update: reset }));
  }

  streamUpdated(id: string, media: StreamMediaInput): void {
    const data: Prisma.StreamSessionUpdateManyMutationInput = {};
    for (const [k, v] of Object.entries(media)) {
      if (v !== undefined) (data as Record<string, unknown>)[k] = v;
    }
    for (const k of ['width', 'height', 'audioSampleRate', 'audioChannels'] as const) {
      if (typeof data[k] === 'number') data[k] = toInt32(data[k] as number);
    }
    this.enqueue('streamUpdated', (db) => db.streamSession.updateMany({ where: { id }, data }));
  }

  streamEnded(id: string, e: SessionEndInput = {}): void {
    const data: Prisma.StreamSessionUpdateManyMutationInput = {
      endedAt: timeOrNow(e.at),
      endReason: e.reason ?? 'normal',
    };
    if (e.bytesIn !== undefined) data.bytesIn = toBig(e.bytesIn);
    if (e.bytesOut !== undefined) data.bytesOut = toBig(e.bytesOut);
    this.enqueue('streamEnded', (db) => db.streamSession.updateMany({ where: { id }, data }));
  }

  clientStarted(c: ClientStartInput): void {
    const data = {
      id: c.id,
      kind: c.kind,
      type: c.type,
      protocol: c.protocol,
      ip: c.ip,
      vhost: c.vhost,
      app: c.app,
      stream: c.stream,
      url: c.url,
      startedAt: timeOrNow(c.at),
    };
    const reset = { ...data, endedAt: null, endReason: null, bytesIn: 0n, bytesOut: 0n };
    this.enqueue('clientStarted', (db) => db.clientSession.upsert({ where: { id: c.id }, create: data, update: reset }));
  }

  clientEnded(id: string, e: SessionEndInput = {}): void {
    const data: Prisma.ClientSessionUpdateManyMutationInput = {
      endedAt: timeOrNow(e.at),
      endReason: e.reason ?? 'normal',
    };
    if (e.bytesIn !== undefined) data.bytesIn = toBig(e.bytesIn);
    if (e.bytesOut !== undefined) data.bytesOut = toBig(e.bytesOut);
    this.enqueue('clientEnded', (db) => db.clientSession.updateMany({ where: { id }, data }));
  }

  /**
   * Returns the new recording's id at once (generated here, so the DVR never waits on the
   * database); the row itself is queued like every other write.
   */
  async recordingStarted(r: RecordingStartInput): Promise<string> {
    const id = r.id ?? randomUUID();
    const data = {
      id,
      vhost: r.vhost,
      app: r.app,
      stream: r.stream,
      path: r.path,
      format: r.format,
      startedAt: timeOrNow(r.at),
    };
    const reset = { ...data, endedAt: null, durationMs: 0, size: 0n, complete: false };
    this.enqueue('recordingStarted', (db) => db.recording.upsert({ where: { id }, create: data, update: reset }));
    return id;
  }

  recordingUpdated(id: string, p: RecordingProgressInput): void {
    const data = { size: toBig(p.size), durationMs: toInt32(p.durationMs) };
    this.enqueue('recordingUpdated', (db) => db.recording.updateMany({ where: { id }, data }));
  }

  recordingEnded(id: string, e: RecordingEndInput): void {
    const data = {
      endedAt: timeOrNow(e.at),
      size: toBig(e.size),
      durationMs: toInt32(e.durationMs),
      complete: e.complete === true,
    };
    this.enqueue('recordingEnded', (db) => db.recording.updateMany({ where: { id }, data }));
  }

  event(e: EventInput): void {
    const data = {
      at: timeOrNow(e.at),
      type: String(e.type),
      vhost: e.vhost ?? null,
      app: e.app ?? null,
      stream: e.stream ?? null,
      clientId: e.clientId ?? null,
      data: toJsonText(e.data),
    };
    this.enqueue('event', (db) => db.event.create({ data }));
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
    await client?.$disconnect().catch(() => {});
  }

  // ---- startup repair ----

  /**
   * Ends whatever a crash (kill -9, power loss) left open: sessions get endReason 'error',
   * recordings complete=false. Call before the server accepts clients.
   */
  async closeDanglingSessions(at: TimeInput = new Date()): Promise<RepairResult> {
    await this.writer.flushWithin(this.readWaitMs);
    const endedAt = timeOrNow(at);
    const db = await this.db();
    const [streams, clients, recordings] = await db.$transaction([
      db.streamSession.updateMany({ where: { endedAt: null }, data: { endedAt, endReason: 'error' } }),
      db.clientSession.updateMany({ where: { endedAt: null }, data: { endedAt, endReason: 'error' } }),
      db.recording.updateMany({ where: { endedAt: null }, data: { endedAt, complete: false } }),
    ]);
    const result = { streams: streams.count, clients: clients.count, recordings: recordings.count };
    if (result.streams + result.clients + result.recordings > 0) {
      this.logger.warn(result, 'closed history rows left open by an unclean shutdown');
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

  /** Deletes the row and returns it (so the caller can remove the file), or null if unknown. */
  async deleteRecording(id: string): Promise<RecordingRow | null> {
    const db = await this.reader();
    const row = await db.recording.findUnique({ where: { id: String(id) } });
    if (!row) return null;
    await db.recording.deleteMany({ where: { id: row.id } });
    return recordingRow(row);
  }
}

/** Migrates (creating the file and its directory if needed), connects and repairs. */
export async function openHistoryStore(opts: OpenHistoryStoreOptions = {}): Promise<HistoryStore> {
  const logger = opts.logger ?? stderrLogger;
  const file = resolveDatabasePath(opts.url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const store = new HistoryStore(file, logger, opts);
  await store.db();
  logger.info({ path: file }, 'history database open');
  if (opts.repairOnOpen !== false) await store.closeDanglingSessions();
  return store;
}
