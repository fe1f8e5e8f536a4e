/**
 * SRS's circuit breaker (`circuit_breaker { ... }`): load shedding when the server's thread is
 * saturated, so an overloaded server degrades (no NACKs, no TWCC, then no WebRTC media for a
 * moment) instead of falling ever further behind until every WebRTC player's ICE consent lapses
 * (RFC 7675: 30 s without a timely answer) and all of them fail at once.
 *
 * Once a second the load of the main thread is sampled, in percent (0-100): the share of the
 * second it was running on a CPU or ready to run and waiting for one, from the scheduler's
 * /proc/self/task/<pid>/schedstat (Linux, ns). SRS samples its process's CPU from /proc/self/stat;
 * tsrs samples the one thread that does the media work (the garbage collector's helpers and
 * libuv's pool are not counted), and counts the time it waited for a core as load too, so a
 * saturated thread reads 100 % even when it shares its core. Without schedstat the thread's CPU
 * from /proc/self/task/<pid>/stat (10 ms ticks) stands in, and without /proc the event loop's
 * utilization (the share of the second it was not waiting for I/O; it reads near 100 % as soon as
 * rounds are chained turn after turn, well before the CPU is spent). Each sample sets three water
 * levels as SRS does
 * (SrsCircuitBreaker::on_timer):
 * - high: a sample above `high_threshold` turns it on for `high_pulse` samples (it stays on while
 *   they keep coming, and goes off after `high_pulse` samples at or below). As SRS: no NACKs are
 *   sent to WebRTC publishers. tsrs also answers no NACK of a WebRTC player and resends no GOP
 *   for a player's picture loss (both cost a burst of sends per player).
 * - critical: likewise with `critical_threshold` / `critical_pulse`. As SRS: no TWCC feedback is
 *   sent to WebRTC publishers.
 * - dying: on after `dying_pulse` samples in a row above `dying_threshold`, off at the first
 *   sample at or below it. As SRS: no RTP is sent to WebRTC players; STUN, DTLS and RTCP are still
 *   answered, so they stay connected. Afterwards each starts again at a keyframe (a WebRTC
 *   publisher is asked for one; an RTMP stream's comes with its next GOP).
 * Each level implies the ones below it. A pulse of 0 turns its level off; `enabled off`, all.
 * The section is read at each sample, so a reload applies within a second.
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parseProcStat } from './stats.js';

/** clock ticks a second of /proc's utime and stime (USER_HZ, 100 on every Linux port Node runs on) */
const USER_HZ = 100;

/**
 * The main thread's CPU time so far, in ms, from /proc/self/task/<pid>/stat (utime + stime,
 * fields 14 and 15, through stats.ts's parseProcStat); undefined where it cannot be read.
 */
export function mainThreadCpuMs(): number | undefined {
  try {
    const fields = parseProcStat(readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1'));
    const ticks = Number(fields?.[13]) + Number(fields?.[14]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The main thread's time on a CPU plus its time ready to run but waiting for one, so far, in ms,
 * from /proc/self/task/<pid>/schedstat (its first two fields, ns); undefined where it cannot be read.
 */
export function mainThreadBusyMs(): number | undefined {
  try {
    const [running, waiting] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ').map(Number);
    return Number.isFinite(running) && Number.isFinite(waiting) ? (running + waiting) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A function that returns the main thread's load since its last call (or since it was made), in
 * percent: its busy time where /proc tells it (mainThreadBusyMs, else mainThreadCpuMs), else the
 * event loop's utilization.
 */
export function mainThreadLoad(): () => number {
  const read = mainThreadBusyMs() !== undefined ? mainThreadBusyMs : mainThreadCpuMs;
  let lastCpu = read();
  if (lastCpu !== undefined) {
    let lastAt = performance.now();
    return () => {
      const cpu = read() ?? lastCpu!;
      const at = performance.now();
      const percent = at > lastAt ? Math.min(100, Math.round(((cpu - lastCpu!) / (at - lastAt)) * 1000) / 10) : 0;
      lastCpu = cpu;
      lastAt = at;
      return percent;
    };
  }
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const percent = Math.round(performance.eventLoopUtilization(now, last).utilization * 1000) / 10;
    last = now;
    return percent;
  };
}

/** The `circuit_breaker` section (SRS's names; thresholds in percent, pulses in samples). */
export interface CircuitBreakerConfig {
  enabled: boolean;
  high_threshold: number;
  high_pulse: number;
  critical_threshold: number;
  critical_pulse: number;
  dying_threshold: number;
  dying_pulse: number;
}

/** 0 normal, 1 high, 2 critical, 3 dying */
export type WaterLevel = 0 | 1 | 2 | 3;
export const WATER_LEVEL_NAMES = ['normal', 'high', 'critical', 'dying'] as const;

/** The three water levels, from one-second load samples. */
export class CircuitBreaker {
  private highLeft = 0;
  private criticalLeft = 0;
  private dyingRun = 0;
  /** the last sample, percent */
  loadPercent = 0;
  /** the level since the last sample (fields, read per packet) */
  level: WaterLevel = 0;
  /** dying: RTP to WebRTC players is dropped */
  dying = false;
  /** critical or dying: no TWCC feedback to WebRTC publishers */
  critical = false;
  /** high, critical or dying: no NACKs to WebRTC publishers, none answered for players */
  high = false;
  /** frames (video access units, audio frames) not sent to WebRTC players at the dying level, every player's (counted by them) */
  shed = 0;

  constructor(private readonly config: () => CircuitBreakerConfig) {}

  /** One second's load sample (percent, 0-100); returns the level after it (config changes apply here). */
  sample(percent: number): WaterLevel {
    const c = this.config();
    this.loadPercent = percent;
    if (percent > c.high_threshold) this.highLeft = c.high_pulse;
    else if (this.highLeft > 0) this.highLeft--;
    if (percent > c.critical_threshold) this.criticalLeft = c.critical_pulse;
    else if (this.criticalLeft > 0) this.criticalLeft--;
    if (percent > c.dying_threshold) this.dyingRun = Math.min(c.dying_pulse + 1, this.dyingRun + 1);
    else this.dyingRun = 0;
    const dying = c.enabled && c.dying_pulse > 0 && this.dyingRun >= c.dying_pulse;
    const critical = c.enabled && (dying || this.criticalLeft > 0);
    const high = c.enabled && (critical || this.highLeft > 0);
    this.level = dying ? 3 : critical ? 2 : high ? 1 : 0;
    this.dying = dying;
    this.critical = critical;
    this.high = high;
    return this.level;
  }
}

/** What the sampler logs through (pino's shape). */
interface BreakerLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Samples the main thread's load (`load`, default mainThreadLoad) every `intervalMs` (1 s, as SRS) into `breaker` and logs
 * each change of level (at most one line per sample). Returns the function that stops it.
 */
export function startLoadSampler(breaker: CircuitBreaker, log: BreakerLog, intervalMs = 1000, load: () => number = mainThreadLoad()): () => void {
  let level = breaker.level;
  let samples = 0;
  let shedAtLog = breaker.shed;
  const timer = setInterval(() => {
    const percent = load();
    const next = breaker.sample(percent);
    samples++;
    const what = { load: percent, water: WATER_LEVEL_NAMES[next], was: WATER_LEVEL_NAMES[level], shed: breaker.shed - shedAtLog };
    if (next !== level) {
      if (next > level) log.warn(what, `circuit breaker: ${WATER_LEVEL_NAMES[next]} water level (${SHEDS[next]})`);
      else log.info(what, `circuit breaker: ${WATER_LEVEL_NAMES[next]} water level`);
    } else if (next > 0 && samples % REMIND_SAMPLES === 0) {
      // a level that lasts (a load other than WebRTC's, thresholds set low) is said again, with what it shed
      log.warn(what, `circuit breaker: still at the ${WATER_LEVEL_NAMES[next]} water level (${SHEDS[next]})`);
    } else return;
    samples = 0;
    shedAtLog = breaker.shed;
    level = next;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** samples between two lines about a level that lasts */
const REMIND_SAMPLES = 30;
const SHEDS = [
  '',
  'no NACKs to WebRTC publishers or answered for players',
  'no NACKs, no TWCC feedback to WebRTC publishers',
  'no RTP to WebRTC players, no NACKs, no TWCC',
];
