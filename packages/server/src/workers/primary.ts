/**
 * `tsrs -c edge.conf --workers N`: the primary process. It forks N workers (node:cluster), each a
 * whole tsrs edge that pulls from the origin on its own; the workers share the RTMP and HTTP
 * server ports (the primary accepts and hands connections out round-robin, Node's cluster
 * default on Linux). The primary holds the pid file and the history database's lock (it migrates
 * and repairs the database before the workers start; each worker records into it), answers the API port for all workers
 * (api-proxy.ts), passes each worker's live rows and events to the others (api/socket-workers.ts:
 * every worker's socket.io shows all of them), restarts a worker that dies (backoff 0.5 s doubling to 30 s; reset after a
 * worker ran 30 s), passes SIGHUP to every worker, and stops them all on SIGTERM/SIGINT
 * (graceful, SIGKILL after 8 s) or SIGQUIT (fast). Workers end when the primary goes, even by
 * SIGKILL (worker.ts watches the IPC channel and the parent pid).
 *
 * SRS runs several edge processes on one port with SO_REUSEPORT (start each with its own pid
 * file); Node.js 20 cannot set it on TCP servers, so tsrs uses its cluster module instead.
 */
import cluster, { type Worker } from 'node:cluster';
import { loadConfig } from '../config/index.js';
import { releaseEarlySignals } from '../early-signals.js';
import { createLogger, pinoLevel, type Logger } from '../log.js';
import { historyIsPostgres, isUnreachable, lockHistoryDatabase, openHistory } from '../history/database.js';
import { acquirePidFile } from '../pid-file.js';
import { VERSION } from '../version.js';
import { isSiblingMessage } from '../api/socket-workers.js';
import { WorkersApi, type WorkerApi } from './api-proxy.js';
import { workersRefusals } from './edge-safe.js';
import { isReadyMessage, WORKER_ENV, WORKERS_ENV } from './worker.js';

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** a worker that ran this long before it died is restarted at the first backoff again */
const HEALTHY_MS = 30_000;
const STOP_GRACE_MS = 8_000;

interface Slot {
  index: number;
  worker: Worker | undefined;
  apiPort: number | undefined;
  startedAt: number;
  /** consecutive quick deaths */
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

export interface PrimaryOptions {
  configPath: string;
  workers: number;
  env?: NodeJS.ProcessEnv;
}

/** The restart delay after `failures` consecutive quick deaths (1, 2, ...). */
export function restartDelayMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, Math.min(16, failures - 1)));
}

/**
 * Runs the primary until a stop signal; resolves the exit code: 1 when the config cannot run
 * in workers (each reason printed) or the API port cannot be bound; -1 while running.
 */
export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  const env = opts.env ?? process.env;
  let config;
  try {
    config = loadConfig(opts.configPath, env).config;
  } catch (err) {
    console.error(`tsrs: ${(err as Error).message}`);
    return 1;
  }
  const refusals = workersRefusals(config);
  if (refusals.length) {
    for (const r of refusals) console.error(`tsrs: --workers: ${r}`);
    console.error('tsrs: --workers runs edges only; run this config without --workers');
    return 1;
  }
  const log: Logger = createLogger({ level: pinoLevel(config.global.srs_log_level) }).child({ role: 'primary' });
  // Workers start where tsrs was started (they go to work_dir themselves) with the file's full path.
  cluster.setupPrimary({ exec: process.argv[1], args: ['-c', opts.configPath], cwd: process.cwd() });
  if (config.global.work_dir && config.global.work_dir !== './') process.chdir(config.global.work_dir);
  let releasePid: () => void;
  try {
    releasePid = acquirePidFile(config.global.pid);
  } catch (err) {
    console.error(`tsrs: ${(err as Error).message}`);
    return 1;
  }
  // The workers share one history database: the primary holds its lock, migrates it and closes
  // what a crash left open before any worker starts (the workers open it without repairing).
  let releaseDb = () => {};
  try {
    releaseDb = lockHistoryDatabase(config, env);
    await (await openHistory(config, env, log.child({ mod: 'db' }))).close();
  } catch (err) {
    // PostgreSQL unreachable: the workers start without history and open it once it answers.
    if (historyIsPostgres(config, env) && isUnreachable(err)) {
      log.warn({ err: (err as Error).message }, 'history database unreachable: the workers start without it and retry');
    } else {
      releaseDb();
      releasePid();
      console.error(`tsrs: history database: ${(err as Error).message}`);
      return 1;
    }
  }
  const releaseAll = () => {
    releaseDb();
    releasePid();
  };

  const slots: Slot[] = Array.from({ length: opts.workers }, (_, i) => ({ index: i + 1, worker: undefined, apiPort: undefined, startedAt: 0, failures: 0, timer: undefined }));
  let stopping = false;
  let started = false;
  const ready = (): WorkerApi[] => slots.filter((s) => s.apiPort !== undefined).map((s) => ({ worker: s.index, port: s.apiPort! }));

  /** workers that said ready at least once: the primary says "started" when all have */
  const readySeen = new Set<number>();
  const fork = (slot: Slot) => {
    slot.timer = undefined;
    if (stopping) return;
    const w = cluster.fork({ [WORKER_ENV]: String(slot.index), [WORKERS_ENV]: String(opts.workers) });
    slot.worker = w;
    slot.apiPort = undefined;
    slot.startedAt = Date.now();
    w.on('message', (m: unknown) => {
      if (isSiblingMessage(m)) {
        // The live feed's rows and events of one worker, to the others (api/socket-workers.ts).
        const out = { ...m, worker: slot.index };
        for (const s of slots) if (s !== slot && s.worker?.isConnected()) s.worker.send(out, undefined, () => {});
        return;
      }
      if (!isReadyMessage(m)) return;
      slot.apiPort = m.apiPort ?? undefined;
      log.info({ worker: slot.index, workerPid: w.process.pid }, 'worker ready');
      readySeen.add(slot.index);
      if (!started && slots.every((s) => readySeen.has(s.index))) announce();
    });
    w.on('exit', (code, signal) => {
      if (slot.worker === w) {
        slot.worker = undefined;
        slot.apiPort = undefined;
      }
      if (stopping) return;
      slot.failures = Date.now() - slot.startedAt >= HEALTHY_MS ? 1 : slot.failures + 1;
      const delay = restartDelayMs(slot.failures);
      log.warn({ worker: slot.index, code, signal, restartInMs: delay }, 'worker died, restarting');
      slot.timer = setTimeout(() => fork(slot), delay);
    });
  };
  const announce = () => {
    started = true;
    log.info({ version: VERSION, workers: opts.workers, pid: process.pid, config: opts.configPath }, `tsrs ${VERSION} started`);
  };

  const api = config.http_api.enabled ? new WorkersApi(config.http_api.listen, ready, log.child({ mod: 'api' })) : undefined;
  try {
    await api?.start();
  } catch (err) {
    releaseAll();
    console.error(`tsrs: http_api listener cannot start: ${(err as Error).message}`);
    return 1;
  }
  for (const s of slots) fork(s);

  const stop = (graceful: boolean) => {
    if (stopping) return;
    stopping = true;
    log.info({ graceful }, 'tsrs stopping (every worker)');
    for (const s of slots) {
      clearTimeout(s.timer);
      s.worker?.process.kill(graceful ? 'SIGTERM' : 'SIGQUIT');
    }
    const deadline = setTimeout(() => {
      for (const s of slots) s.worker?.process.kill('SIGKILL');
    }, graceful ? STOP_GRACE_MS : 1000);
    const wait = () => (slots.some((s) => s.worker) ? setTimeout(wait, 50) : finish());
    const finish = () => {
      clearTimeout(deadline);
      void (api?.close() ?? Promise.resolve()).then(() => {
        releaseAll();
        log.info('tsrs stopped');
        process.exit(0);
      });
    };
    wait();
  };
  process.on('SIGTERM', () => stop(true));
  process.on('SIGINT', () => stop(true));
  process.on('SIGQUIT', () => stop(false));
  releaseEarlySignals();
  process.on('SIGHUP', () => {
    // The workers re-read the file themselves; a file that no longer suits workers is not passed on.
    try {
      const next = loadConfig(opts.configPath, env).config;
      const r = workersRefusals(next);
      if (r.length) return log.error({ refusals: r }, 'reload refused: the config no longer runs in workers');
    } catch (err) {
      return log.error({ err: String(err) }, 'reload failed, keeping the running config');
    }
    log.info({ workers: slots.filter((s) => s.worker).length }, 'reload: SIGHUP to every worker');
    for (const s of slots) s.worker?.process.kill('SIGHUP');
  });
  // The primary failing must not leave workers behind (they also watch for it).
  process.on('uncaughtException', (err) => {
    log.fatal({ err: String(err), stack: err.stack }, 'primary crashed, stopping the workers');
    for (const s of slots) s.worker?.process.kill('SIGKILL');
    releaseAll();
    process.exit(1);
  });
  return -1;
}
