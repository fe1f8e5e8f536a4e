/** CPU time and RSS of a process from /proc (Linux), for the server's and our own figures. */
import { readFileSync } from 'node:fs';

/** clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux) */
const HZ = 100;

/** user + system CPU seconds of the process (all threads). */
export function cpuSeconds(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / HZ;
}

/** Resident set size in KiB. */
export function rssKiB(pid: number | 'self'): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

/** CPU% (of one core) between two samples. */
export class CpuMeter {
  private t0 = performance.now();
  private c0: number;
  constructor(private readonly pid: number | 'self') {
    this.c0 = cpuSeconds(pid);
  }
  /** percent since the last call (or construction) */
  sample(): number {
    const t = performance.now();
    const c = cpuSeconds(this.pid);
    const pct = ((c - this.c0) / ((t - this.t0) / 1000)) * 100;
    this.t0 = t;
    this.c0 = c;
    return pct;
  }
}
