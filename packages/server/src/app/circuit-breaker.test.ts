import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, mainThreadBusyMs, mainThreadCpuMs, mainThreadLoad, startLoadSampler, type CircuitBreakerConfig } from './circuit-breaker.js';

const SRS_DEFAULTS: CircuitBreakerConfig = {
  enabled: true,
  high_threshold: 90,
  high_pulse: 2,
  critical_threshold: 95,
  critical_pulse: 1,
  dying_threshold: 99,
  dying_pulse: 5,
};

/** The level after each sample. */
function levels(config: CircuitBreakerConfig, samples: number[]): number[] {
  const b = new CircuitBreaker(() => config);
  return samples.map((p) => b.sample(p));
}

test('circuit breaker, SRS defaults: high for high_pulse samples after the last one above 90, critical for one after 95', () => {
  assert.deepEqual(levels(SRS_DEFAULTS, [50, 90, 91, 50, 50, 50]), [0, 0, 1, 1, 0, 0], 'above, not at, the threshold; off after 2 samples below');
  assert.deepEqual(levels(SRS_DEFAULTS, [96, 50, 50, 50]), [2, 1, 0, 0], 'critical includes high and leaves first');
  assert.deepEqual(levels(SRS_DEFAULTS, [91, 91, 91, 80]), [1, 1, 1, 1], 'each sample above re-arms the pulse');
});

test('circuit breaker: dying after dying_pulse samples in a row above 99, off at the first one below', () => {
  const b = new CircuitBreaker(() => SRS_DEFAULTS);
  const seen = [100, 100, 100, 100].map((p) => b.sample(p));
  assert.deepEqual(seen, [2, 2, 2, 2]);
  assert.equal(b.dying, false);
  assert.equal(b.sample(99.5), 3);
  assert.equal(b.dying, true);
  assert.equal(b.high, true, 'dying implies high');
  assert.equal(b.sample(100), 3);
  assert.equal(b.sample(98), 2, 'one sample at or below 99 ends dying (critical lasts its pulse)');
  assert.equal(b.dying, false);
  // a run broken by one low sample starts again
  assert.deepEqual(levels(SRS_DEFAULTS, [100, 100, 100, 100, 50, 100, 100, 100, 100, 100]).map((l) => l === 3), [false, false, false, false, false, false, false, false, false, true]);
});

test('circuit breaker: enabled off or a pulse of 0 keeps that level off', () => {
  assert.deepEqual(levels({ ...SRS_DEFAULTS, enabled: false }, [100, 100, 100, 100, 100, 100]), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(levels({ ...SRS_DEFAULTS, dying_pulse: 0 }, [100, 100, 100, 100, 100, 100]), [2, 2, 2, 2, 2, 2]);
  assert.deepEqual(levels({ ...SRS_DEFAULTS, high_pulse: 0, critical_pulse: 0, dying_pulse: 0 }, [100, 100]), [0, 0]);
  // the config is read at each sample: turning it off ends a level at the next one
  let config = SRS_DEFAULTS;
  const b = new CircuitBreaker(() => config);
  b.sample(96);
  assert.equal(b.high, true);
  config = { ...SRS_DEFAULTS, enabled: false };
  b.sample(96);
  assert.equal(b.high, false);
  assert.equal(b.level, 0);
});

test('the load sampler measures the main thread: a loop kept busy reaches dying, an idle one stays normal', async () => {
  const config = { ...SRS_DEFAULTS, dying_threshold: 90, dying_pulse: 2 };
  const busy = new CircuitBreaker(() => config);
  const lines: string[] = [];
  const log = { warn: (_: object, msg: string) => lines.push(msg), info: (_: object, msg: string) => lines.push(msg) };
  const stop = startLoadSampler(busy, log, 200);
  // keep the thread busy for ~700 ms in 50 ms slices: each 200 ms sample sees ~100 % (10 ms ticks)
  const until = Date.now() + 700;
  while (Date.now() < until) {
    const slice = Date.now() + 50;
    while (Date.now() < slice);
    await new Promise((r) => setImmediate(r));
  }
  stop();
  assert.ok(busy.loadPercent > 80, `load ${busy.loadPercent}`);
  assert.equal(busy.dying, true);
  assert.ok(lines.some((l) => /dying water level \(no RTP to WebRTC players/.test(l)), lines.join("\n"));
  const idle = new CircuitBreaker(() => config);
  const stopIdle = startLoadSampler(idle, log, 200);
  await new Promise((r) => setTimeout(r, 700));
  stopIdle();
  assert.ok(idle.loadPercent < 50, `load ${idle.loadPercent}`);
  assert.equal(idle.level, 0);
});

test('mainThreadLoad: a busy thread reads near 100 % (its wait for a core included), a sleeping one near 0; /proc gives the CPU and busy time (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const cpu = mainThreadCpuMs();
  const busyMs = mainThreadBusyMs();
  assert.ok(cpu !== undefined && cpu >= 0 && busyMs !== undefined && busyMs >= 0);
  const load = mainThreadLoad();
  const until = Date.now() + 300;
  while (Date.now() < until);
  const busy = load();
  // running or waiting for a core the whole time: near 100 % even on a loaded machine
  assert.ok(busy >= 85 && busy <= 100, `300 ms busy: ${busy} %`);
  assert.ok(mainThreadCpuMs()! >= cpu, 'CPU time only grows');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(load() < 20, 'a sleeping thread');
});
