/**
 * Process and system figures for /api/v1/summaries, rusages, *_proc_stats and meminfos,
 * sampled from /proc by a ticker and, for the HTTP API, on demand at most once a second.
 * Rates (cpu, disk) are computed between two consecutive samples. On systems without
 * /proc the samples stay `ok: false` with zeros, as SRS does. A process out of descriptors
 * (EMFILE: every /proc read and even `process.memoryUsage()` fail) keeps its last figures and
 * tells `onResourceError`; the sampler never throws.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { isResourceError, orOnResourceError } from './resource-errors.js';
import {
  internetInterfaces,
  netTotals,
  parseDiskstats,
  parseNetDev,
  parseSockstat,
  parseVmstat,
  type DiskTotals,
  type NetTotals,
  type SocketCounts,
} from './sys-counters.js';
import { SRS_COMPAT_VERSION } from '../version.js';
import {
  PROC_STAT_FIELDS,
  type MemInfos,
  type Rusages,
  type SelfProcStats,
  type SummariesSelf,
  type SummariesSystem,
  type SystemProcStats,
} from '@tsrs/api-types';

/** Clock ticks per second of /proc/*\/stat times (USER_HZ, 100 on every Linux port). */
const USER_HZ = 100;

interface CpuTimes {
  user: number; nice: number; sys: number; idle: number; iowait: number;
  irq: number; softirq: number; steal: number; guest: number;
}

export interface SelfSample {
  ok: boolean;
  rssKbyte: number;
  /** percent of one CPU over the last interval */
  cpuPercent: number;
}

/** Bytes the server itself moved (all clients, live and gone) and its connection count. */
export interface ServerTraffic {
  recvBytes(): number;
  sendBytes(): number;
  connections(): number;
}

const zeroCpu = (): CpuTimes => ({ user: 0, nice: 0, sys: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0 });
const cpuTotal = (c: CpuTimes) => c.user + c.nice + c.sys + c.idle + c.iowait + c.irq + c.softirq + c.steal;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** A file's text, undefined when it cannot be read (a resource error goes to `onResourceError`). */
async function readText(path: string, onResourceError: (err: unknown) => void): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isResourceError(err)) onResourceError(err);
    return undefined;
  }
}

/** Resident memory in KiB from Node (reads /proc too: 0 when out of descriptors). */
export function nodeRssKbyte(): number {
  return orOnResourceError(() => Math.round(process.memoryUsage.rss() / 1024), 0);
}

/** /proc/self/stat split into values; `comm` may hold spaces and parens, so cut at the last ')'. */
export function parseProcStat(text: string): (string | number)[] | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const values: (string | number)[] = [Number(text.slice(0, open).trim()), text.slice(open + 1, close), rest[0]];
  for (const v of rest.slice(1)) values.push(Number(v));
  return values;
}

function parseCpuLine(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const [user, nice, sys, idle, iowait, irq, softirq, steal, guest] = line.trim().split(/\s+/).slice(1).map(Number);
  return { user, nice, sys, idle, iowait: iowait ?? 0, irq: irq ?? 0, softirq: softirq ?? 0, steal: steal ?? 0, guest: guest ?? 0 };
}

function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** At most one on-demand sample a second: requests in between read the cached figures. */
export const MIN_SAMPLE_INTERVAL_MS = 1000;

/**
 * The sampler. `start()` takes a first sample at once and then one every `intervalMs`;
 * `fresh()` (the HTTP API) samples again when the last sample is older than
 * MIN_SAMPLE_INTERVAL_MS, so /proc is read at most about once a second however many requests come.
 */
export class SystemStats {
  readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastSampleAt = 0;
  private prev: { at: number; cpu: CpuTimes; selfTicks: number; disk: DiskTotals; vm: { pgpgin: number; pgpgout: number } } | undefined;

  self: SelfSample = { ok: false, rssKbyte: 0, cpuPercent: 0 };
  selfStat: SelfProcStats = emptySelfStat();
  systemStat: SystemProcStats = { ok: false, sample_time: 0, percent: 0, ...zeroCpu() };
  meminfo: MemInfos = {
    ok: false, sample_time: 0, percent_ram: 0, percent_swap: 0, MemActive: 0, RealInUse: 0, NotInUse: 0,
    MemTotal: 0, MemFree: 0, Buffers: 0, Cached: 0, SwapTotal: 0, SwapFree: 0,
  };
  rusage: Rusages = sampleRusage();
  /** KiB/s paged in/out (all block devices, /proc/vmstat); busy: a 0..1 ratio over the named disks */
  disk = { readKBps: 0, writeKBps: 0, busy: 0 };
  net: NetTotals & { sampleTime: number } = { sampleTime: 0, recv: 0, send: 0, recvi: 0, sendi: 0 };
  conns: SocketCounts = { sys: 0, established: 0, tw: 0, udp: 0 };
  uptime = { up: 0, idle: 0 };

  constructor(
    private readonly intervalMs = 5000,
    /** a sample met EMFILE/ENOMEM/...: told once per sample */
    private readonly onResourceError: (err: unknown) => void = () => undefined,
    /** the disks `stats { disk ...; }` names (read at each sample, so a reload applies) */
    private readonly disks: () => readonly string[] = () => [],
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sample unless the last sample is younger than MIN_SAMPLE_INTERVAL_MS (a sample under way is shared). */
  fresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() - this.lastSampleAt < MIN_SAMPLE_INTERVAL_MS) return Promise.resolve();
    return this.sample();
  }

  /** One sample of everything; failures leave `ok: false` on the affected figure. Concurrent calls share one. */
  sample(): Promise<void> {
    this.inFlight ??= this.readAll().finally(() => {
      this.inFlight = undefined;
      this.lastSampleAt = Date.now();
    });
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const now = Date.now();
    let resourceError: unknown;
    const read = (path: string) => readText(path, (err) => (resourceError ??= err));
    const disks = this.disks();
    const [selfText, statText, memText, netText, diskText, vmText, sockText, snmpText, upText] = await Promise.all([
      read('/proc/self/stat'), read('/proc/stat'), read('/proc/meminfo'), read('/proc/net/dev'),
      disks.length ? read('/proc/diskstats') : undefined, read('/proc/vmstat'),
      read('/proc/net/sockstat'), read('/proc/net/snmp'), read('/proc/uptime'),
    ]);
    if (resourceError !== undefined) {
      // Out of descriptors (or memory): keep the last figures rather than zeros and rates from gaps.
      this.onResourceError(resourceError);
      return;
    }
    this.rusage = sampleRusage(now);

    const mem = memText ? parseMeminfo(memText) : undefined;
    if (mem) {
      const active = mem.MemTotal - mem.MemFree;
      const real = active - (mem.Buffers ?? 0) - (mem.Cached ?? 0);
      this.meminfo = {
        ok: true, sample_time: now,
        percent_ram: mem.MemTotal ? round2(real / mem.MemTotal) : 0,
        percent_swap: mem.SwapTotal ? round2((mem.SwapTotal - mem.SwapFree) / mem.SwapTotal) : 0,
        MemActive: active, RealInUse: real, NotInUse: mem.MemTotal - real, MemTotal: mem.MemTotal,
        MemFree: mem.MemFree, Buffers: mem.Buffers ?? 0, Cached: mem.Cached ?? 0,
        SwapTotal: mem.SwapTotal ?? 0, SwapFree: mem.SwapFree ?? 0,
      };
    }

    const cpu = statText ? parseCpuLine(statText) : undefined;
    const stat = selfText ? parseProcStat(selfText) : undefined;
    const selfTicks = stat ? (stat[13] as number) + (stat[14] as number) : 0;
    const disk = parseDiskstats(diskText ?? '', disks);
    const vm = vmText ? parseVmstat(vmText) : { pgpgin: 0, pgpgout: 0 };
    const prev = this.prev;
    if (cpu) {
      const dTotal = prev ? cpuTotal(cpu) - cpuTotal(prev.cpu) : cpuTotal(cpu);
      const dIdle = prev ? cpu.idle + cpu.iowait - prev.cpu.idle - prev.cpu.iowait : cpu.idle + cpu.iowait;
      this.systemStat = { ok: true, sample_time: now, percent: dTotal > 0 ? round2(1 - dIdle / dTotal) : 0, ...cpu };
    }
    if (stat) {
      const selfStat: Record<string, unknown> = { ok: true, sample_time: now, percent: 0 };
      PROC_STAT_FIELDS.forEach((name, i) => (selfStat[name] = stat[i] ?? 0));
      let percent = 0;
      if (prev && now > prev.at) percent = ((selfTicks - prev.selfTicks) / USER_HZ) / ((now - prev.at) / 1000);
      selfStat.percent = round2(percent);
      this.selfStat = selfStat as SelfProcStats;
      const rssPages = Number(stat[23]) || 0;
      this.self = { ok: true, rssKbyte: Math.round((rssPages * 4096) / 1024), cpuPercent: round2(percent * 100) };
    } else {
      // No /proc: Node's own figures still give memory and CPU.
      this.self = { ok: false, rssKbyte: nodeRssKbyte(), cpuPercent: 0 };
    }
    if (prev && now > prev.at) {
      const ms = now - prev.at;
      // SRS: KiB paged in/out per second, only while the counters grow
      const rate = (a: number, b: number) => (b > 0 && a > b ? Math.round(((a - b) * 1000) / ms) : 0);
      this.disk = {
        readKBps: rate(vm.pgpgin, prev.vm.pgpgin),
        writeKBps: rate(vm.pgpgout, prev.vm.pgpgout),
        // the named disks' I/O time over the interval (SRS: 0 when no disk is named)
        busy: disk.ioTicksMs > prev.disk.ioTicksMs ? round4((disk.ioTicksMs - prev.disk.ioTicksMs) / ms) : 0,
      };
    }
    if (netText) {
      const internet = orOnResourceError(() => internetInterfaces(os.networkInterfaces()), new Set<string>());
      this.net = { sampleTime: now, ...netTotals(parseNetDev(netText), internet) };
    }
    this.conns = parseSockstat(sockText, snmpText);
    if (upText) {
      const [up, idle] = upText.trim().split(/\s+/).map(Number);
      this.uptime = { up, idle };
    } else this.uptime = { up: os.uptime(), idle: 0 };
    this.prev = { at: now, cpu: cpu ?? zeroCpu(), selfTicks, disk, vm };
  }

  /**
   * The `self` object of /api/v1/summaries. As SRS: `mem_kbyte` is getrusage(2)'s ru_maxrss (the
   * peak resident set size, KiB), `mem_percent` that over the machine's RAM and `cpu_percent` the
   * process's CPU over the last interval, both 0..1 ratios (SRS's console multiplies by 100).
   */
  summarySelf(): SummariesSelf {
    const memTotal = this.meminfo.MemTotal;
    const maxRss = this.rusage.ru_maxrss;
    return {
      version: SRS_COMPAT_VERSION,
      pid: process.pid,
      ppid: process.ppid,
      argv: process.argv.join(' '),
      cwd: process.cwd(),
      mem_kbyte: maxRss,
      mem_percent: memTotal ? round4(maxRss / memTotal) : 0,
      cpu_percent: round4(this.self.cpuPercent / 100),
      srs_uptime: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  /**
   * The `system` object of /api/v1/summaries, with SRS's meanings: `cpu_percent`,
   * `mem_ram_percent`, `mem_swap_percent` and `disk_busy_percent` are 0..1 ratios;
   * `disk_read_KBps`/`disk_write_KBps` are KiB/s paged in/out (/proc/vmstat, all disks);
   * `disk_busy_percent` covers only the disks `stats { disk ...; }` names (0 without);
   * `net_recv/send_bytes` sum the interfaces with a public address, `net_recvi/sendi_bytes` the
   * others (loopback, private, no address); `conn_sys` = TCP allocated + TIME_WAIT sockets,
   * `conn_sys_et` established, `conn_sys_tw` TIME_WAIT, `conn_sys_udp` UDP sockets in use.
   */
  summarySystem(traffic: ServerTraffic): SummariesSystem {
    const [l1, l5, l15] = os.loadavg();
    const m = this.meminfo;
    return {
      cpu_percent: round4(this.systemStat.percent),
      disk_read_KBps: this.disk.readKBps,
      disk_write_KBps: this.disk.writeKBps,
      disk_busy_percent: this.disk.busy,
      mem_ram_kbyte: m.MemTotal,
      mem_ram_percent: round4(m.percent_ram),
      mem_swap_kbyte: m.SwapTotal,
      mem_swap_percent: round4(m.percent_swap),
      cpus: os.cpus().length,
      cpus_online: os.availableParallelism(),
      uptime: this.uptime.up,
      ilde_time: this.uptime.idle,
      load_1m: round2(l1),
      load_5m: round2(l5),
      load_15m: round2(l15),
      net_sample_time: this.net.sampleTime,
      net_recv_bytes: this.net.recv,
      net_send_bytes: this.net.send,
      net_recvi_bytes: this.net.recvi,
      net_sendi_bytes: this.net.sendi,
      srs_sample_time: Date.now(),
      srs_recv_bytes: traffic.recvBytes(),
      srs_send_bytes: traffic.sendBytes(),
      conn_sys: this.conns.sys,
      conn_sys_et: this.conns.established,
      conn_sys_tw: this.conns.tw,
      conn_sys_udp: this.conns.udp,
      conn_srs: traffic.connections(),
    };
  }
}

function sampleRusage(now = Date.now()): Rusages {
  const r = process.resourceUsage();
  return {
    ok: true,
    sample_time: now,
    // SRS prints the seconds part of the timevals
    ru_utime: Math.floor(r.userCPUTime / 1e6),
    ru_stime: Math.floor(r.systemCPUTime / 1e6),
    ru_maxrss: r.maxRSS,
    ru_ixrss: r.sharedMemorySize,
    ru_idrss: r.unsharedDataSize,
    ru_isrss: r.unsharedStackSize,
    ru_minflt: r.minorPageFault,
    ru_majflt: r.majorPageFault,
    ru_nswap: r.swappedOut,
    ru_inblock: r.fsRead,
    ru_oublock: r.fsWrite,
    ru_msgsnd: r.ipcSent,
    ru_msgrcv: r.ipcReceived,
    ru_nsignals: r.signalsCount,
    ru_nvcsw: r.voluntaryContextSwitches,
    ru_nivcsw: r.involuntaryContextSwitches,
  };
}

function emptySelfStat(): SelfProcStats {
  const s: Record<string, unknown> = { ok: false, sample_time: 0, percent: 0 };
  for (const name of PROC_STAT_FIELDS) s[name] = name === 'comm' || name === 'state' ? '' : 0;
  return s as SelfProcStats;
}

const round4 = (v: number): number => Math.round(v * 10000) / 10000;
