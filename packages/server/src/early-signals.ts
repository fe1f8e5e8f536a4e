/**
 * SIGINT, SIGTERM and SIGQUIT that come while tsrs is still loading its modules (about a second
 * on a busy machine, before any handler of the server exists) would end the process by the default
 * action: no "tsrs stopped" line, and a graceful stop becomes a kill. These handlers, installed
 * first by cli.ts, keep the first such signal until the server's own handlers take it over.
 */

const HELD = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
let held: NodeJS.Signals | undefined;
const hold = (signal: NodeJS.Signals) => {
  // a fast stop (SIGQUIT) wins over a graceful one
  if (held === undefined || signal === 'SIGQUIT') held = signal;
};

/** Installs the holding handlers (once, at the very start). */
export function holdEarlySignals(): void {
  for (const s of HELD) process.on(s, hold);
}

/**
 * Called once the real handlers are installed: removes the holding ones and sends a held signal
 * again, so the real handlers act on it (a stop requested while loading happens once started).
 */
export function releaseEarlySignals(): void {
  for (const s of HELD) process.off(s, hold);
  if (held !== undefined) process.kill(process.pid, held);
  held = undefined;
}
