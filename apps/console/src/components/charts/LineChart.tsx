'use client';

import { useEffect, useRef, useState } from 'react';
import { fmtTime } from '@/lib/format';

export interface ChartSeries {
  label: string;
  /** CSS colour, e.g. var(--c-chart-1) */
  color: string;
  points: { t: number; v: number | null }[];
}

/** A 1/2/2.5/5 × 10^n step that cuts `max` into about `parts` intervals. */
function niceStep(max: number, parts: number): number {
  const raw = max / parts;
  if (raw <= 0 || !Number.isFinite(raw)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / exp;
  const n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return n * exp;
}

const PAD = { l: 48, r: 10, t: 10, b: 22 };

/**
 * A small time-series line chart in plain SVG. The x axis is the last `windowMs` up to the newest
 * sample, so the chart scrolls as samples arrive; gaps (null) break the line.
 */
export function LineChart({
  series,
  windowMs = 5 * 60_000,
  height = 160,
  format = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
  minMax = 1,
  title,
}: {
  series: ChartSeries[];
  windowMs?: number;
  height?: number;
  format?: (v: number) => string;
  /** smallest y range (keeps a flat zero line from filling the chart) */
  minMax?: number;
  title: string;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => setWidth(Math.max(200, Math.floor(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  let tMax = 0;
  let vMax = 0;
  for (const s of series)
    for (const p of s.points) {
      if (p.t > tMax) tMax = p.t;
      if (p.v !== null && p.v > vMax) vMax = p.v;
    }
  const hasData = tMax > 0;
  if (!hasData) tMax = Date.now();
  const tMin = tMax - windowMs;
  const step = niceStep(Math.max(vMax * 1.05, minMax), 4);
  const yMax = Math.max(step, Math.ceil(Math.max(vMax * 1.05, minMax) / step) * step);
  const w = width - PAD.l - PAD.r;
  const h = height - PAD.t - PAD.b;
  const x = (t: number) => PAD.l + ((t - tMin) / windowMs) * w;
  const y = (v: number) => PAD.t + h - (v / yMax) * h;

  let plotted = 0;
  const paths = series.map((s) => {
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (p.t < tMin - 2000) continue;
      if (p.v === null || !Number.isFinite(p.v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      pen = true;
      plotted++;
    }
    return d;
  });

  const grid: number[] = [];
  for (let g = 0; g <= yMax + step / 2; g += step) grid.push(g);
  const nx = w < 360 ? 2 : w < 560 ? 3 : 4;
  const ticks = Array.from({ length: nx + 1 }, (_, i) => tMin + (i / nx) * windowMs);
  const latest = series.map((s) => {
    for (let i = s.points.length - 1; i >= 0; i--) if (s.points[i].v !== null) return s.points[i].v as number;
    return null;
  });
  const summary = series.map((s, i) => `${s.label} ${latest[i] === null ? 'no data' : format(latest[i] as number)}`).join(', ');
  const clipId = `clip-${title.replace(/\W+/g, '-')}`;

  return (
    <figure className="m-0 min-w-0" data-testid="chart" data-points={plotted} data-max={vMax}>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 px-1 pb-1 text-xs text-muted">
        {series.map((s, i) => (
          <span key={s.label} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="inline-block h-0.5 w-3 rounded" style={{ background: s.color }} />
            {s.label}
            <span className="num inline-block min-w-[5.5rem] font-medium text-fg">{latest[i] === null ? '—' : format(latest[i] as number)}</span>
          </span>
        ))}
      </div>
      <div ref={wrap} className="w-full min-w-0 overflow-hidden">
        <svg role="img" aria-label={`${title}: ${summary}`} width={width} height={height} className="block overflow-visible">
          <defs>
            <clipPath id={clipId}>
              <rect x={PAD.l} y={PAD.t - 2} width={w} height={h + 4} />
            </clipPath>
          </defs>
          {grid.map((g) => (
            <g key={g}>
              <line x1={PAD.l} x2={PAD.l + w} y1={y(g)} y2={y(g)} stroke="var(--c-chart-grid)" strokeWidth="1" />
              <text x={PAD.l - 6} y={y(g) + 3.5} textAnchor="end" fontSize="10" fill="var(--c-muted)" className="num">
                {format(g)}
              </text>
            </g>
          ))}
          {ticks.map((t, i) => (
            <text
              key={i}
              x={x(t)}
              y={height - 6}
              textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}
              fontSize="10"
              fill="var(--c-muted)"
              className="num"
            >
              {fmtTime(t)}
            </text>
          ))}
          <g clipPath={`url(#${clipId})`}>
            {paths.map((d, i) =>
              d ? <path key={i} d={d} fill="none" stroke={series[i].color} strokeWidth="1.75" strokeLinejoin="round" strokeLinecap="round" /> : null,
            )}
          </g>
          {!hasData && (
            <text x={PAD.l + w / 2} y={PAD.t + h / 2} textAnchor="middle" fontSize="12" fill="var(--c-muted)">
              Waiting for samples…
            </text>
          )}
        </svg>
      </div>
    </figure>
  );
}
