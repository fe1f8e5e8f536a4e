import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PROC_STAT_FIELDS } from '@tsrs/api-types';
import { parseProcStat, SystemStats } from './stats.js';

const execFileP = promisify(execFile);

test('parseProcStat: comm with spaces and parens', () => {
  const v = parseProcStat('42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 99 1000 250\n')!;
  assert.deepEqual(v.slice(0, 4), [42, 'my (odd) name', 'S', 1]);
  assert.equal(v[13], 7); // utime
  assert.equal(v[23], 250); // rss
});

test('SystemStats samples /proc: self, system, meminfo, rates after two samples', async () => {
  const s = new SystemStats(60_000);
  await s.sample();
  await new Promise((r) => setTimeout(r, 200));
  await s.sample();
  assert.equal(s.selfStat.ok, true);
  assert.equal(s.selfStat.pid, process.pid);
  assert.equal(Object.keys(s.selfStat).length, 3 + PROC_STAT_FIELDS.length);
  assert.ok(s.self.rssKbyte > 1000);
  assert.equal(s.systemStat.ok, true);
  assert.ok(s.systemStat.percent >= 0 && s.systemStat.percent <= 1);
  assert.ok(s.meminfo.MemTotal > 0 && s.meminfo.percent_ram > 0);
  const sys = s.summarySystem({ recvBytes: () => 1, sendBytes: () => 2, connections: () => 3 });
  assert.equal(sys.conn_srs, 3);
  assert.equal(sys.srs_send_bytes, 2);
  assert.ok(sys.cpus >= 1 && sys.uptime > 0);
});

test('out of descriptors, a sample keeps the last figures and reports EMFILE instead of throwing', { timeout: 30_000 }, async () => {
  // A child under a small open-file limit fills it, then samples (the sampler used to crash
  // there: process.memoryUsage() throws EMFILE).
  const stats = new URL('./stats.js', import.meta.url).href;
  const script = `
    import { openSync } from 'node:fs';
    import { SystemStats, nodeRssKbyte } from ${JSON.stringify(stats)};
    const errors = [];
    const s = new SystemStats(60000, (e) => errors.push(e.code));
    await s.sample();
    const before = s.self;
    const fds = [];
    try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    await s.sample();
    console.log(JSON.stringify({ errors, kept: s.self === before && before.ok, rss: nodeRssKbyte() }));`;
  // 1024 as a default shell's ulimit: module loading (the API types pull in hundreds of files,
  // several opened at once) needs room before the script fills the table itself.
  const { stdout } = await execFileP('prlimit', ['--nofile=1024:1024', process.execPath, '--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(stdout), { errors: ['EMFILE'], kept: true, rss: 0 });
});

test('summaries self.mem_kbyte is the peak resident set (getrusage ru_maxrss, KiB) as SRS, not the current RSS', { timeout: 30_000 }, async () => {
  // A child touches 160 MiB and frees it: its RSS falls back, its peak (VmHWM) stays.
  const stats = new URL('./stats.js', import.meta.url).href;
  const script = `
    import { readFileSync } from 'node:fs';
    import { SystemStats } from ${JSON.stringify(stats)};
    let big = Buffer.allocUnsafe(160 * 1024 * 1024).fill(7);
    big = undefined;
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc();
    const s = new SystemStats(60000);
    await s.sample();
    const self = s.summarySelf();
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name) => Number(status.split('\\n').find((l) => l.startsWith(name + ':')).slice(name.length + 1).trim().split(' ')[0]);
    console.log(JSON.stringify({ mem: self.mem_kbyte, percent: self.mem_percent, total: s.meminfo.MemTotal, hwm: kb('VmHWM'), rss: kb('VmRSS') }));`;
  const { stdout } = await execFileP(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
  const r = JSON.parse(stdout) as { mem: number; percent: number; total: number; hwm: number; rss: number };
  assert.ok(r.mem >= 160 * 1024, `mem_kbyte ${r.mem} holds the 160 MiB peak`);
  // VmHWM (read after the sample) is the same peak, in KiB
  assert.ok(r.mem <= r.hwm && r.mem > r.hwm - 4096, `mem_kbyte ${r.mem} vs VmHWM ${r.hwm}`);
  assert.ok(r.rss < r.mem - 100 * 1024, `the current RSS ${r.rss} fell well below the peak ${r.mem}`);
  assert.equal(r.percent, Math.round((r.mem / r.total) * 10000) / 10000);
});
