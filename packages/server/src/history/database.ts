/**
 * Opening the history database for a server or for the workers of `tsrs --workers N`.
 *
 * A SQLite file belongs to one tsrs: `<file>.lock` (a pid file) keeps a second server with its own
 * pid file from closing the first one's live rows as crashed. A PostgreSQL database is shared by
 * design (every node writes its own rows, named by `cluster { node_id }`), so it takes no lock.
 */
import { isPostgresUrl, openHistoryStore, resolveDatabasePath, type HistoryStore } from '@tsrs/db';
import { nodeId } from '../app/cluster-node.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { acquirePidFile, PidFileTakenError } from '../pid-file.js';

/** Whether the history database is PostgreSQL: `DATABASE_URL` wins over the `database` directive. */
export function historyIsPostgres(config: Config, env: NodeJS.ProcessEnv): boolean {
  return isPostgresUrl(env.DATABASE_URL?.trim() || config.global.database);
}

/**
 * Whether opening PostgreSQL failed because the server could not be reached (refused, timed
 * out, no route, name not resolved, starting up or shutting down: SQLSTATE classes 08 and 57P),
 * which waiting can fix; an answer that refuses (authentication, a missing database, a failed
 * migration) is a configuration error and is not retried.
 */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|57P)/.test(code);
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /timeout|timed out|Connection terminated|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/i.test(message);
}

/**
 * Takes the SQLite file's lock (relative paths resolve in the current directory: call it in
 * work_dir); returns its release. A PostgreSQL URL (`DATABASE_URL` wins over `database`) takes
 * none. Errors: another live tsrs holds the lock (named by its pid), or the lock cannot be written.
 */
export function lockHistoryDatabase(config: Config, env: NodeJS.ProcessEnv): () => void {
  if (historyIsPostgres(config, env)) return () => {};
  const file = resolveDatabasePath(config.global.database, env);
  try {
    return acquirePidFile(`${file}.lock`);
  } catch (err) {
    if (err instanceof PidFileTakenError) {
      throw new Error(`another tsrs (pid ${err.pid}) uses the history database ${file}: stop it first, or give this one another 'database'`);
    }
    throw err;
  }
}

/**
 * Opens the store, its rows named by this node (cluster-node.ts). `repair`: close what a crash
 * left open (SQLite: every open row; PostgreSQL: this node's); a worker of `tsrs --workers` opens
 * without it (the primary repaired before any worker started; a worker's start must not end its
 * siblings' live rows).
 */
export function openHistory(config: Config, env: NodeJS.ProcessEnv, log: Logger, repair = true): Promise<HistoryStore> {
  return openHistoryStore({ url: config.global.database, logger: log, node: nodeId(config), repairOnOpen: repair ? undefined : false }, env);
}
