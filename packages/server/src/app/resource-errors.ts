/**
 * Resource errors (out of descriptors, disk or memory) are conditions of the machine, not bugs:
 * the code path that meets one gives up that piece of work, logs, and the process goes on.
 * `Episode` keeps the log to one line when such a condition starts and one when it is over,
 * however many sockets or timer ticks hit it in between.
 */
import type { Logger } from '../log.js';

/** errno codes that mean "the machine ran out of something", never "tsrs has a bug". */
export const RESOURCE_ERROR_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'ENOMEM', 'ENOBUFS']);

/** Whether `err` is a resource error (by its errno `code`, or its cause's: fetch wraps them). */
export function isResourceError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && RESOURCE_ERROR_CODES.has(code);
}

/** Returns `fn()`, or `fallback` when it throws a resource error (anything else is rethrown). */
export function orOnResourceError<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    if (isResourceError(err)) return fallback;
    throw err;
  }
}

/**
 * A recurring condition logged once per episode: the first `hit()` logs `message` at warn with
 * its fields; later hits only count; once no hit came for `quietMs`, one info line says the
 * episode is over and how many hits it had.
 */
export class Episode {
  private hits = 0;
  private startedAt = 0;
  private lastHitAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** hits over the process's life (for metrics) */
  total = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly quietMs = 10_000,
  ) {}

  get active(): boolean {
    return this.hits > 0;
  }

  /** Count one occurrence; returns true when it started a new episode (and was logged). */
  hit(fields: Record<string, unknown> = {}): boolean {
    const now = Date.now();
    this.total++;
    this.lastHitAt = now;
    if (this.hits++ > 0) return false;
    this.startedAt = now;
    this.log.warn(fields, this.message);
    this.arm(this.quietMs);
    return true;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const quietFor = Date.now() - this.lastHitAt;
      if (quietFor < this.quietMs) return this.arm(this.quietMs - quietFor);
      this.log.info({ count: this.hits, ms: this.lastHitAt - this.startedAt }, `${this.message}: over`);
      this.hits = 0;
      this.timer = undefined;
    }, ms).unref();
  }

  /** Forget the episode without logging its end (shutdown, tests). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.hits = 0;
  }
}

/** A peer that reset or left mid-write: an ordinary end of a connection, not an error of ours. */
export function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
