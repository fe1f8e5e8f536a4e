/**
 * The pid file (SRS's `pid` directive, default ./objs/srs.pid): written at start, and a guard
 * against a second server started on the same files. SRS holds a lock on it and exits with
 * "srs is already running" when the lock is taken; tsrs creates it exclusively and treats an
 * existing file as taken while the pid in it is a live tsrs/node process (a stale file from a
 * crash or kill -9 is replaced).
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class PidFileTakenError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`another tsrs (pid ${pid}) is running with the pid file ${file}: stop it first, or give this one another 'pid' file`);
  }
}

/** Whether `pid` is a running process that could be a tsrs (node) server. */
function aliveServer(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A recycled pid of another program does not count (Linux; elsewhere any live pid counts).
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return /node|tsrs/.test(cmdline);
  } catch {
    return true;
  }
}

/**
 * Takes the pid file for this process. Throws PidFileTakenError when a live server holds it,
 * or the fs error when it cannot be written. Returns a release function (removes the file if it
 * still names this process).
 */
export function acquirePidFile(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      let held = NaN;
      try {
        held = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      } catch {
        // vanished meanwhile: try again
      }
      if (aliveServer(held)) throw new PidFileTakenError(file, held);
      try {
        unlinkSync(file); // stale
      } catch {
        // someone else removed it
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return () => {
      try {
        if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    };
  }
}
