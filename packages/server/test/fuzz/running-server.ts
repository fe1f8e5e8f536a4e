/**
 * Checks the fuzz targets that drive a running tsrs share: its memory (RSS from /proc), that it
 * is still up and answering, and that its log shows no JavaScript runtime error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunningServer } from '../harness.js';

/** A JavaScript runtime error, as opposed to a protocol or codec refusal tsrs wrote itself. */
const RUNTIME_ERROR = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Invalid array length|Maximum call stack|out of range|Invalid typed array|ERR_[A-Z_]+|\[(Error|Fatal)\]/;

/** Resident memory of process `pid` in bytes (0 when /proc does not tell). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The server has not exited, its API answers, and its RSS grew less than 256 MiB since `rss0`. */
export async function assertServerHealthy(server: RunningServer, rss0: number): Promise<void> {
  assert.equal(server.proc.exitCode, null, `the server exited:\n${server.output().slice(-2000)}`);
  const res = await fetch(server.apiUrl('/api/v1/versions'));
  assert.equal(res.status, 200, 'the API still answers');
  const grown = rssOf(server.proc.pid!) - rss0;
  assert.ok(grown < 256 * 1024 * 1024, `server RSS grew by ${grown} bytes`);
}

/** Fails when the server logged a runtime error after `from` (a length of its output). */
export function assertNoRuntimeError(server: RunningServer, from: number): void {
  const bad = server.output().slice(from).split('\n').find((l) => RUNTIME_ERROR.test(l));
  assert.equal(bad, undefined, `runtime error in the server log: ${bad}`);
}
