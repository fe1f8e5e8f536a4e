/**
 * The process-group watchdog: a small program the process supervisor runs once (with
 * `node process-watchdog.js`), so that nothing tsrs started outlives tsrs, SIGKILL included.
 *
 * `setpriv --pdeathsig KILL` ends a child when tsrs dies, but not what that child started (an
 * exec command's own children): they are in the child's process group, which nothing signals
 * once tsrs is gone. This program reads lines from stdin, a pipe whose other end only tsrs
 * holds: `+PGID` (a child's group to watch) and `-PGID` (the group is empty now). When the pipe
 * ends, because tsrs exited or was killed, it sends SIGKILL to every group it watches and exits.
 * It runs in its own session, so a terminal's Ctrl-C or hangup reaches it only through tsrs.
 * At most MAX_GROUPS groups are watched; other lines are ignored.
 */
import { createInterface } from 'node:readline';

const MAX_GROUPS = 65_536;

const groups = new Set<number>();

const killAll = (): void => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }
  process.exit(0);
};

// only the pipe's end stops it: the signals a terminal sends to tsrs's group are not for it
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGQUIT'] as const) process.on(signal, () => undefined);
process.stdin.on('error', killAll);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  const m = /^([+-])(\d{1,10})$/.exec(line);
  if (!m) return;
  const pgid = Number(m[2]);
  if (pgid <= 1) return;
  if (m[1] === '-') groups.delete(pgid);
  else if (groups.size < MAX_GROUPS) groups.add(pgid);
});
lines.on('close', killAll);
