/**
 * Chart axes: nice tick steps and tick labels in one unit per axis (0 / 0.25 / 0.50 / 0.75 /
 * 1.00 Mbps, never 0 / 250 / 500 / 750 / 1M). Pure functions, no imports: unit-tested directly.
 */

/** What a chart's y values are, in the unit they arrive in. */
export type AxisKind = 'kbps' | 'megabytes' | 'percent' | 'count' | 'fps' | 'ms';

interface Unit {
  unit: string;
  /** values are divided by this to print in `unit` */
  div: number;
}

/** The units an axis may switch to, smallest first; values arrive in the first. */
const UNITS: Record<AxisKind, Unit[]> = {
  kbps: [
    { unit: 'kbps', div: 1 },
    { unit: 'Mbps', div: 1000 },
    { unit: 'Gbps', div: 1_000_000 },
  ],
  megabytes: [
    { unit: 'MB', div: 1 },
    { unit: 'GB', div: 1024 },
  ],
  percent: [{ unit: '%', div: 1 }],
  count: [{ unit: '', div: 1 }],
  fps: [{ unit: 'fps', div: 1 }],
  ms: [
    { unit: 'ms', div: 1 },
    { unit: 's', div: 1000 },
  ],
};

/** Axes whose values are whole things: a tick step is never below 1. */
const WHOLE: ReadonlySet<AxisKind> = new Set(['count']);

/** A 1/2/2.5/5 × 10^n step that cuts `max` into about `parts` intervals (at least 1 for whole-number axes). */
export function niceStep(max: number, parts = 4, kind: AxisKind = 'count'): number {
  const raw = max / parts;
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / exp;
  const n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  const step = n * exp;
  if (WHOLE.has(kind)) return Math.max(1, Math.ceil(step));
  return step;
}

/** The y range [0, top] and its ticks for data up to `max` (at least `minMax`, so a flat zero line stays low). */
export function niceTicks(max: number, minMax: number, kind: AxisKind, parts = 4): { top: number; ticks: number[] } {
  const hi = Math.max(Number.isFinite(max) ? max * 1.05 : 0, minMax, WHOLE.has(kind) ? 1 : 0);
  const step = niceStep(hi, parts, kind);
  const top = Math.max(step, Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step / 1000; i++) ticks.push(+(i * step).toPrecision(12));
  return { top, ticks };
}

/** The unit an axis whose largest tick is `maxTick` prints in: the largest one the tick reaches. */
export function axisUnit(kind: AxisKind, maxTick: number): Unit {
  const units = UNITS[kind];
  let u = units[0];
  for (const c of units) if (Math.abs(maxTick) >= c.div) u = c;
  return u;
}

/** Fewest decimals (0..3) that print every value exactly. */
function decimalsFor(values: number[]): number {
  for (let d = 0; d < 3; d++) {
    const k = Math.pow(10, d);
    if (values.every((v) => Math.abs(Math.round(v * k) - v * k) < 1e-6)) return d;
  }
  return 3;
}

function withUnit(text: string, unit: string): string {
  if (!unit) return text;
  return unit === '%' ? `${text}%` : `${text} ${unit}`;
}

/**
 * Tick labels for one axis: every label in the same unit with the same decimals, the unit chosen
 * by the largest tick (0 stays "0"). [0, 250, 500, 750, 1000] kbps -> 0, 0.25 Mbps, ... 1.00 Mbps.
 */
export function axisLabels(kind: AxisKind, ticks: number[]): string[] {
  if (ticks.length === 0) return [];
  const u = axisUnit(kind, Math.max(...ticks.map(Math.abs)));
  const scaled = ticks.map((t) => t / u.div);
  const d = decimalsFor(scaled);
  return scaled.map((v) => (v === 0 ? '0' : withUnit(v.toFixed(d), u.unit)));
}

/** One value (legend, tooltip) in the unit that suits it, e.g. 1234 kbps -> "1.23 Mbps". */
export function formatValue(kind: AxisKind, v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  const u = axisUnit(kind, v);
  const x = v / u.div;
  const text = WHOLE.has(kind) ? String(Math.round(x)) : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
  return withUnit(text, u.unit);
}
