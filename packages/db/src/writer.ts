// Write-behind queue: callers enqueue operations and return at once; a pump writes them in
// batches, each batch in one transaction. The database being slow, locked, read-only or gone
// only delays (and, past the queue bound, drops) history rows - it never reaches the caller.
import type { HistoryLogger } from './logger.js';
import { errInfo } from './logger.js';

/** One queued write. `run` performs it on the current connection, inside the batch's transaction. */
export interface WriteOp<Db> {
  kind: string;
  run(db: Db): unknown;
}

export interface WriterOptions<Db> {
  /** Current client; may reopen the database and may throw (treated as transient). */
  connect(): Promise<Db>;
  /** Runs a batch of operations atomically (all of them or none). */
  transaction(db: Db, ops: WriteOp<Db>[]): unknown;
  /** true for errors retrying cannot fix (bad data, constraint): the op is dropped. */
  isPermanent(err: unknown): boolean;
  logger: HistoryLogger;
  batchSize?: number;
  intervalMs?: number;
  maxQueue?: number;
  maxBackoffMs?: number;
}

/** FIFO with O(1) push/shift (a plain array's shift is O(n) on a 100k queue). */
class Deque<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.length > 0) out.push(this.shift() as T);
    return out;
  }
  /** Puts items back at the front, keeping their order. */
  unshiftAll(vs: T[]): void {
    this.items = vs.concat(this.items.slice(this.head));
    this.head = 0;
  }
}

// Not unref()ed: a flush() waiting through a retry must keep the process alive.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BatchWriter<Db> {
  private readonly queue = new Deque<WriteOp<Db>>();
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly maxQueue: number;
  private readonly maxBackoffMs: number;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  /** >0 while someone waits in flush(): the pump then also writes partial batches. */
  private draining = 0;
  private closed = false;
  dropped = 0;
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly opts: WriterOptions<Db>) {
    this.batchSize = opts.batchSize ?? 200;
    this.intervalMs = opts.intervalMs ?? 250;
    this.maxQueue = opts.maxQueue ?? 100_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  }

  get queued(): number {
    return this.queue.length;
  }

  push(op: WriteOp<Db>): void {
    if (this.closed) {
      this.drop(1, 'store closed');
      return;
    }
    this.queue.push(op);
    this.trim();
    if (this.queue.length >= this.batchSize) this.kick();
    else this.schedule();
  }

  /** Resolves once everything queued so far is written (waits through retries). */
  async flush(): Promise<void> {
    this.draining++;
    try {
      while (this.queue.length > 0 || this.pumping) {
        if (this.closed && !this.pumping) break;
        await this.kick();
      }
    } finally {
      this.draining--;
    }
  }

  /** flush() bounded in time; false if writes are still pending when it gives up. */
  async flushWithin(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (t = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([this.flush().then(() => true as const), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Stops accepting writes after flushing for at most `ms`; reports what was lost. */
  async close(ms: number): Promise<void> {
    const done = await this.flushWithin(ms);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!done && this.queue.length > 0) {
      const lost = this.queue.length;
      this.drop(lost, 'store closed with the database unavailable');
      this.queue.take(lost);
    }
  }

  private drop(n: number, why: string): void {
    // Log the first drop and then every power of two, not every op.
    const before = this.dropped;
    this.dropped += n;
    if (before === 0 || Math.floor(Math.log2(before)) !== Math.floor(Math.log2(this.dropped))) {
      this.opts.logger.warn({ dropped: this.dropped, reason: why }, 'history writes dropped');
    }
  }

  /** Oldest writes go first when the database has been away for too long. */
  private trim(): void {
    const over = this.queue.length - this.maxQueue;
    if (over > 0) {
      this.queue.take(over);
      this.drop(over, 'queue full');
    }
  }

  private schedule(delay = this.intervalMs): void {
    if (this.timer || this.pumping || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.kick();
    }, delay);
    this.timer.unref();
  }

  private kick(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.pumping) {
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        if (this.queue.length > 0) this.schedule();
      });
    }
    return this.pumping;
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.take(this.batchSize);
      const left = await this.write(batch);
      if (left.length > 0 && this.closed) {
        this.drop(left.length, 'store closed with the database unavailable');
        break;
      }
      if (left.length > 0) {
        this.queue.unshiftAll(left);
        this.trim();
        this.failures++;
        const backoff = Math.min(this.maxBackoffMs, this.intervalMs * 2 ** Math.min(this.failures, 16));
        this.opts.logger.warn(
          { attempt: this.failures, retryInMs: backoff, queued: this.queue.length, error: this.lastError },
          'history database write failed; will retry',
        );
        await sleep(backoff);
        continue;
      }
      if (this.failures > 0) {
        this.opts.logger.info({ afterAttempts: this.failures }, 'history database writes recovered');
        this.failures = 0;
      }
      // Small remainders wait for the next tick so they get batched, unless someone flushes.
      if (this.queue.length < this.batchSize && this.draining === 0) break;
    }
  }

  /** Writes a batch; returns the ops still to retry (empty on success). */
  private async write(batch: WriteOp<Db>[]): Promise<WriteOp<Db>[]> {
    let db: Db;
    try {
      db = await this.opts.connect();
    } catch (err) {
      this.lastError = errInfo(err).err.message;
      return batch;
    }
    try {
      await this.opts.transaction(db, batch);
      return [];
    } catch (err) {
      this.lastError = errInfo(err).err.message;
      if (!this.opts.isPermanent(err)) return batch;
    }
    // A bad op must not block the rest: write one by one and drop those the database refuses.
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i];
      try {
        await this.opts.transaction(db, [op]);
      } catch (err) {
        this.lastError = errInfo(err).err.message;
        if (!this.opts.isPermanent(err)) return batch.slice(i);
        this.opts.logger.error({ op: op.kind, ...errInfo(err) }, 'history write rejected by the database; dropped');
        this.drop(1, 'rejected');
      }
    }
    return [];
  }
}
