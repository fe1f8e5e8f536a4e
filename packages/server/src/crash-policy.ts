/**
 * What the `tsrs` process does with an error nobody caught (installed by the CLI only: a
 * TsrsServer embedded in another program leaves the host's policy alone).
 *
 * - A resource error (EMFILE, ENFILE, ENOSPC, EDQUOT, ENOMEM, ENOBUFS; see resource-errors.ts)
 *   is a condition of the machine: the piece of work that met it is lost, the server goes on.
 *   It is logged once per episode, with the stack of the first one so the path that let it
 *   escape can be found and given its own handling, and new connections back off for a while.
 * - Anything else is a bug: logged as fatal with its stack and the process exits 1, as Node's
 *   default would. A bug is not hidden by keeping a damaged process running.
 */
import type { ConnectionLimit } from './app/connection-limit.js';
import { Episode, isResourceError } from './app/resource-errors.js';
import type { Logger } from './log.js';

export function installCrashPolicy(log: Logger, connections: Pick<ConnectionLimit, 'resourceError'>): void {
  const escaped = new Episode(log, 'a resource error was not handled where it happened; going on', 60_000);
  const onError = (err: unknown, origin: string) => {
    if (isResourceError(err)) {
      connections.resourceError(err, origin);
      escaped.hit({ origin, stack: err instanceof Error ? err.stack : String(err) });
      return;
    }
    log.fatal({ origin, err: err instanceof Error ? err.stack : String(err) }, 'uncaught error: exiting');
    // The log may be asynchronous: say it on stderr too, as Node would.
    console.error(err);
    process.exit(1);
  };
  process.on('uncaughtException', (err, origin) => onError(err, origin));
  process.on('unhandledRejection', (reason) => onError(reason, 'unhandledRejection'));
}
