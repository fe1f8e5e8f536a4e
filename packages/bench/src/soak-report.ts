/**
 * The soak test's figures: the samples (CSV), the flatness verdict, the RSS/fd picture (SVG,
 * written by hand) and the markdown report.
 */

export interface Sample {
  /** seconds since the run started */
  t: number;
  rss_kib: number | null;
  fds: number | null;
  heap_used: number | null;
  heap_total: number | null;
  external: number | null;
  array_buffers: number | null;
  active_resources: number | null;
  clients: number | null;
  streams: number | null;
  connections: number | null;
  /** client sockets of all listeners (tsrs_sockets, when the server has it) */
  sockets: number | null;
  cpu_pct: number | null;
  tool_rss_kib: number;
  /** the soak tool's own CPU, % of one core */
  tool_cpu_pct: number;
  healthy_frames: number;
  churn_players: number;
  attack_sockets: number;
}

export const CSV_COLUMNS: (keyof Sample)[] = [
  't', 'rss_kib', 'fds', 'heap_used', 'heap_total', 'external', 'array_buffers', 'active_resources',
  'clients', 'streams', 'connections', 'sockets', 'cpu_pct', 'tool_rss_kib', 'tool_cpu_pct', 'healthy_frames', 'churn_players', 'attack_sockets',
];

export const csvHeader = () => CSV_COLUMNS.join(',') + '\n';
export const csvLine = (s: Sample) =>
  CSV_COLUMNS.map((k) => {
    const v = s[k];
    return v === null ? '' : Number.isInteger(v) ? String(v) : v.toFixed(2);
  }).join(',') + '\n';

export function parseCsv(text: string): Sample[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((line) => {
    const f = line.split(',');
    const s: Record<string, number | null> = {};
    cols.forEach((c, i) => (s[c] = f[i] === '' || f[i] === undefined ? null : Number(f[i])));
    return s as unknown as Sample;
  });
}

export function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** least-squares slope of y over x */
export function slope(pts: { x: number; y: number }[]): number {
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((a, p) => a + p.x, 0) / n;
  const my = pts.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The warm-up: the first 20% of the run, at least 2 minutes, but never more than half of it. */
export function warmupSeconds(runSeconds: number): number {
  return Math.min(Math.max(0.2 * runSeconds, 120), 0.5 * runSeconds);
}

export interface Flatness {
  metric: string;
  /** too few samples after the warm-up to judge (short runs): not a failure */
  judged: boolean;
  pass: boolean;
  samples: number;
  /** median of the first third of the samples after the warm-up */
  baseline: number;
  /** median and max of the last third (of the rolling median of 3 samples) */
  lastMedian: number;
  lastMax: number;
  /** (lastMax - baseline) / baseline, % */
  peakGrowthPct: number;
  /** regression slope times the post-warm-up duration, as % of the baseline */
  trendPct: number;
  /** allowed growth: tolPct of the baseline plus `slack` (absolute, in the metric's unit) */
  limit: number;
  why: string;
}

/**
 * Flat after the warm-up, precisely: let P be the samples at t >= warm-up, B the median of
 * P's first third. Pass when (1) the max of P's last third, read on the rolling median of three
 * samples, <= B * (1 + tol) + slack, and (2) the
 * least-squares line through P rises by at most B * tol + slack over P's time span. Fewer than
 * 6 samples in P: not judged.
 */
export function judgeFlat(metric: string, pts: { t: number; v: number }[], warmup: number, tolPct = 10, slack = 0, unit: (x: number) => string = fmt): Flatness {
  const post = pts.filter((p) => p.t >= warmup);
  const empty: Flatness = {
    metric, judged: false, pass: true, samples: post.length, baseline: 0, lastMedian: 0, lastMax: 0, peakGrowthPct: 0, trendPct: 0, limit: 0,
    why: `only ${post.length} samples after the ${Math.round(warmup)} s warm-up: not judged`,
  };
  if (post.length < 6) return empty;
  const third = Math.max(1, Math.floor(post.length / 3));
  // one sample's spike (a churn burst at that instant) is noise: peaks are read on the
  // rolling median of three samples; a level that grows shows there all the same
  const smooth = post.map((_, i) => median(post.slice(Math.max(0, i - 1), i + 2).map((p) => p.v)));
  const first = post.slice(0, third).map((p) => p.v);
  const last = smooth.slice(-third);
  const baseline = median(first);
  const lastMax = Math.max(...last);
  const span = post[post.length - 1].t - post[0].t;
  const rise = slope(post.map((p) => ({ x: p.t, y: p.v }))) * span;
  const allowed = (baseline * tolPct) / 100 + slack;
  const limit = baseline + allowed;
  const peakOk = lastMax <= limit;
  const trendOk = rise <= allowed;
  const pct = (x: number) => (baseline > 0 ? (x / baseline) * 100 : 0);
  const why = [
    peakOk ? '' : `last-third max ${unit(lastMax)} > limit ${unit(limit)}`,
    trendOk ? '' : `trend +${unit(rise)} over ${Math.round(span)} s > ${unit(allowed)}`,
  ].filter(Boolean).join('; ');
  return {
    metric, judged: true, pass: peakOk && trendOk, samples: post.length, baseline, lastMedian: median(last), lastMax,
    peakGrowthPct: pct(lastMax - baseline), trendPct: pct(rise), limit, why: why || 'flat',
  };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

// --- the picture --------------------------------------------------------------------------

interface Series {
  name: string;
  color: string;
  dash?: boolean;
  pts: { t: number; v: number }[];
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
  /** the flatness limit band: baseline .. limit (after the warm-up) */
  band?: { from: number; to: number };
}

/** "nice" axis step for a range */
function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Two stacked line charts (server memory in MiB, descriptors) over minutes, the warm-up
 * shaded and the flatness limit band drawn. Plain SVG, no fonts beyond sans-serif.
 */
export function renderSvg(o: { title: string; samples: Sample[]; seconds: number; warmup: number; rss?: Flatness; fds?: Flatness }): string {
  const W = 900;
  const PH = 230;
  const M = { l: 70, r: 170, t: 56, b: 48 };
  const s = o.samples;
  const mib = (k: number | null) => (k === null ? null : k / 1024);
  const series = (name: string, color: string, f: (x: Sample) => number | null, dash = false): Series => ({
    name, color, dash, pts: s.filter((x) => f(x) !== null).map((x) => ({ t: x.t, v: f(x)! })),
  });
  const panels: Panel[] = [
    {
      title: 'Server memory', unit: 'MiB',
      series: [
        series('RSS', '#1f6feb', (x) => mib(x.rss_kib)),
        series('V8 heap used', '#8957e5', (x) => (x.heap_used === null ? null : x.heap_used / 1048576), true),
        series('external', '#bf8700', (x) => (x.external === null ? null : x.external / 1048576), true),
      ],
      band: o.rss?.judged ? { from: o.rss.baseline / 1024, to: o.rss.limit / 1024 } : undefined,
    },
    {
      title: 'Server descriptors and handles', unit: 'count',
      series: [series('open fds', '#2da44e', (x) => x.fds), series('active handles', '#cf222e', (x) => x.active_resources, true)],
      band: o.fds?.judged ? { from: o.fds.baseline, to: o.fds.limit } : undefined,
    },
  ];
  const tMax = Math.max(60, o.seconds, ...s.map((x) => x.t));
  const H = M.t + panels.length * (PH + M.b) + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.l}" y="24" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  ];
  const pw = W - M.l - M.r;
  const tStep = niceStep(tMax / 60, 10) * 60;
  panels.forEach((p, i) => {
    const top = M.t + i * (PH + M.b);
    const vals = p.series.flatMap((x) => x.pts.map((q) => q.v)).concat(p.band ? [p.band.to] : []);
    const vMax0 = vals.length ? Math.max(...vals) : 1;
    const vStep = niceStep(vMax0 * 1.1, 5);
    const vMax = Math.max(vStep, Math.ceil((vMax0 * 1.05) / vStep) * vStep);
    const x = (t: number) => M.l + (t / tMax) * pw;
    const y = (v: number) => top + PH - (v / vMax) * PH;
    out.push(`<text x="${M.l}" y="${top - 6}" font-weight="bold">${esc(p.title)} (${p.unit})</text>`);
    out.push(`<rect x="${M.l}" y="${top}" width="${x(Math.min(o.warmup, tMax)) - M.l}" height="${PH}" fill="#f0f0f0"/>`);
    if (i === 0) out.push(`<text x="${M.l + 4}" y="${top + 14}" fill="#888">warm-up</text>`);
    if (p.band) {
      out.push(
        `<rect x="${x(o.warmup)}" y="${y(p.band.to)}" width="${x(tMax) - x(o.warmup)}" height="${Math.max(1, y(p.band.from) - y(p.band.to))}" fill="#2da44e" fill-opacity="0.10"/>`,
        `<line x1="${x(o.warmup)}" x2="${x(tMax)}" y1="${y(p.band.to)}" y2="${y(p.band.to)}" stroke="#2da44e" stroke-dasharray="2,3"/>`,
      );
    }
    for (let v = 0; v <= vMax + 1e-9; v += vStep) {
      out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
      out.push(`<text x="${M.l - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toFixed(2)}</text>`);
    }
    for (let t = 0; t <= tMax + 1e-9; t += tStep) {
      out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top + PH}" y2="${top + PH + 4}" stroke="#333"/>`);
      out.push(`<text x="${x(t)}" y="${top + PH + 16}" text-anchor="middle">${+(t / 60).toFixed(1)}</text>`);
    }
    out.push(`<text x="${M.l + pw}" y="${top + PH + 30}" text-anchor="end" fill="#555">minutes</text>`);
    out.push(`<rect x="${M.l}" y="${top}" width="${pw}" height="${PH}" fill="none" stroke="#333"/>`);
    p.series.forEach((se, k) => {
      if (se.pts.length) {
        const d = se.pts.map((q, j) => `${j ? 'L' : 'M'}${x(q.t).toFixed(1)},${y(q.v).toFixed(1)}`).join('');
        out.push(`<path d="${d}" fill="none" stroke="${se.color}" stroke-width="${se.dash ? 1.2 : 2}"${se.dash ? ' stroke-dasharray="5,3"' : ''}/>`);
      }
      const ly = top + 16 + k * 18;
      out.push(`<line x1="${M.l + pw + 12}" x2="${M.l + pw + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${se.color}" stroke-width="2"${se.dash ? ' stroke-dasharray="5,3"' : ''}/>`);
      out.push(`<text x="${M.l + pw + 42}" y="${ly}">${esc(se.name)}</text>`);
    });
    if (p.band) {
      const ly = top + 16 + p.series.length * 18;
      out.push(`<rect x="${M.l + pw + 12}" y="${ly - 10}" width="24" height="10" fill="#2da44e" fill-opacity="0.25"/>`);
      out.push(`<text x="${M.l + pw + 42}" y="${ly}">flatness limit</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// --- the markdown report -------------------------------------------------------------------

export function flatnessTable(rows: Flatness[], unit: Record<string, (x: number) => string>): string {
  const lines = [
    '| metric | baseline (median, first third after warm-up) | last third median | last third max | peak growth | trend | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const u = unit[r.metric] ?? ((x: number) => fmt(x));
    const info = r.metric.endsWith('(info)');
    if (!r.judged) lines.push(`| ${r.metric} | | | | | | not judged (${r.why}) |`);
    else if (info) lines.push(`| ${r.metric} | ${u(r.baseline)} | ${u(r.lastMedian)} | ${u(r.lastMax)} | ${sign(r.peakGrowthPct)}% | ${sign(r.trendPct)}% | ${r.pass ? 'flat' : `not flat: ${r.why}`} (not part of the verdict) |`);
    else
      lines.push(
        `| ${r.metric} | ${u(r.baseline)} | ${u(r.lastMedian)} | ${u(r.lastMax)} | ${sign(r.peakGrowthPct)}% | ${sign(r.trendPct)}% | ${r.pass ? 'flat' : `**GROWS**: ${r.why}`} |`,
      );
  }
  return lines.join('\n');
}

const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
