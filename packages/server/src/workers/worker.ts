/**
 * The worker side of `tsrs --workers N` (primary.ts): the one IPC message a worker sends, and the
 * watch that ends a worker whose primary is gone (its IPC channel closed, or its parent pid
 * changed: a primary killed by SIGKILL leaves no worker behind).
 */
import cluster from 'node:cluster';

/** The environment variable that carries a worker's index (1..N). */
export const WORKER_ENV = 'TSRS_WORKER';
/** ...and the one that carries N, the number of workers. */
export const WORKERS_ENV = 'TSRS_WORKERS';

/** worker -> primary: started; `apiPort` is its loopback API port (null without http_api). */
export interface ReadyMessage {
  type: 'tsrs-worker-ready';
  apiPort: number | null;
}

/** Only this shape is taken from a worker; anything else is ignored. */
export function isReadyMessage(m: unknown): m is ReadyMessage {
  if (!m || typeof m !== 'object') return false;
  const r = m as Record<string, unknown>;
  const port = r.apiPort;
  return r.type === 'tsrs-worker-ready' && (port === null || (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536));
}

/** This process's worker index (1..N), or undefined when it is not a worker of a tsrs primary. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(env[WORKER_ENV]);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** N, the number of workers of this worker's primary (1 when not told). */
export function workerCount(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env[WORKERS_ENV]);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * Worker `index`'s (1..`workers`) share of a limit of the whole server (max_connections): the
 * limit divided by the number of workers, rounded down, the first `limit % workers` workers one
 * more, so the shares add up to the limit; at least 1.
 */
export function workerShare(limit: number, workers: number, index: number): number {
  const base = Math.floor(limit / workers);
  return Math.max(1, base + (index <= limit % workers ? 1 : 0));
}

/** Tell the primary this worker is up. */
export function reportReady(apiPort: number | undefined): void {
  const m: ReadyMessage = { type: 'tsrs-worker-ready', apiPort: apiPort ?? null };
  process.send?.(m);
}

/** Call `gone` once when the primary is gone (IPC closed, or the parent pid changed; checked each second). */
export function watchPrimary(gone: () => void): void {
  const parent = process.ppid;
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    gone();
  };
  process.once('disconnect', once);
  setInterval(() => {
    if (process.ppid !== parent) once();
  }, 1000).unref();
}
