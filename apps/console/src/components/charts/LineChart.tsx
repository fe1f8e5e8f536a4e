'use client';

import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisLabels, formatValue, niceTicks, type AxisKind } from '@/lib/axis';
import { fmtTime } from '@/lib/format';

export interface ChartSeries {
  label: string;
  /** CSS colour, e.g. var(--c-chart-1) */
  color: string;
  points: { t: number; v: number | null }[];
}

/** `var(--x)` -> its computed value (canvas strokes take no CSS variables). */
function cssColor(c: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(c.trim());
  if (!m || typeof document === 'undefined') return c;
  return getComputedStyle(document.documentElement).getPropertyValue(m[1]).trim() || c;
}

/** Changes whenever the page's light/dark class changes, so charts redraw in the theme's colours. */
function useThemeKey(): string {
  const [key, setKey] = useState('');
  useEffect(() => {
    const el = document.documentElement;
    const read = () => setKey(el.className);
    read();
    const mo = new MutationObserver(read);
    mo.observe(el, { attributes: true, attributeFilter: ['class'] });
    return () => mo.disconnect();
  }, []);
  return key;
}

/** The series on one time axis (seconds, as uPlot wants), gaps as null. */
function align(series: ChartSeries[]): uPlot.AlignedData {
  const ts = new Set<number>();
  for (const s of series) for (const p of s.points) ts.add(p.t);
  const xs = [...ts].sort((a, b) => a - b);
  const at = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s.points) col[at.get(p.t)!] = p.v !== null && Number.isFinite(p.v) ? p.v : null;
    return col;
  });
  return [xs.map((t) => t / 1000), ...ys] as uPlot.AlignedData;
}

/**
 * A live time-series chart (uPlot): the x axis shows the last `windowMs` up to the newest sample
 * and scrolls as samples are appended; drag to zoom into a span (live scrolling pauses, "Reset
 * zoom" or a double click resumes it); hover for a tooltip. The y axis prints in one unit
 * (lib/axis). `data-points` counts the points inside the window, `data-initial-points` those of
 * the first paint that had data.
 */
export function LineChart({
  series,
  windowMs = 5 * 60_000,
  height = 160,
  axis = 'count',
  minMax = 1,
  title,
}: {
  series: ChartSeries[];
  windowMs?: number;
  height?: number;
  /** what the values are (picks the axis unit and the value format) */
  axis?: AxisKind;
  /** smallest y range (keeps a flat zero line from filling the chart) */
  minMax?: number;
  title: string;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomedRef = useRef(false);
  const windowRef = useRef(windowMs);
  const [zoomed, setZoomed] = useState(false);
  const [initialPoints, setInitialPoints] = useState<number | null>(null);
  const theme = useThemeKey();

  const data = align(series);
  const xs = data[0] as number[];
  const tMax = xs.length ? xs[xs.length - 1] * 1000 : 0;
  const tMin = tMax - windowMs;
  let plotted = 0;
  let vMax = 0;
  series.forEach((s) => {
    for (const p of s.points)
      if (p.v !== null && Number.isFinite(p.v) && p.t >= tMin - 2000) {
        plotted++;
        if (p.v > vMax) vMax = p.v;
      }
  });
  if (initialPoints === null && plotted > 0) setInitialPoints(plotted);
  windowRef.current = windowMs;

  const dataRef = useRef(data);
  dataRef.current = data;

  /** Shows the last `windowMs` unless the user zoomed in. */
  const follow = (u: uPlot) => {
    if (zoomedRef.current) return;
    const x = u.data[0] as number[];
    const max = x.length ? x[x.length - 1] : Date.now() / 1000;
    u.setScale('x', { min: max - windowRef.current / 1000, max });
  };

  const labels = series.map((s) => s.label).join('|');
  const colors = series.map((s) => s.color).join('|');

  // (Re)build the plot when its shape or theme changes; data changes only append (below).
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    let ticks: number[] = [0, minMax];
    const muted = cssColor('var(--c-muted)');
    const grid = cssColor('var(--c-chart-grid)');
    const font = '10px ui-sans-serif, system-ui, sans-serif';

    const tooltip = document.createElement('div');
    tooltip.className = 'u-tooltip';
    tooltip.dataset.testid = 'chart-tooltip';
    tooltip.setAttribute('aria-hidden', 'true');
    tooltip.style.display = 'none';

    const opts: uPlot.Options = {
      width: Math.max(200, Math.floor(el.clientWidth)),
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      scales: {
        x: { time: true },
        y: {
          range: (_u, _min, max) => {
            const r = niceTicks(max ?? 0, minMax, axis);
            ticks = r.ticks;
            return [0, r.top];
          },
        },
      },
      axes: [
        {
          stroke: muted,
          font,
          grid: { show: false },
          ticks: { stroke: grid, size: 4 },
          size: 30,
          space: 70,
          values: (_u, splits) => splits.map((s) => fmtTime(s * 1000)),
        },
        {
          stroke: muted,
          font,
          size: 62,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          splits: () => ticks,
          values: (_u, splits) => axisLabels(axis, splits),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssColor(s.color),
          width: 1.75,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: {
        ready: [
          (u) => {
            u.over.appendChild(tooltip);
            u.over.addEventListener('dblclick', () => {
              zoomedRef.current = false;
              setZoomed(false);
              follow(u);
            });
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width > 2) {
              zoomedRef.current = true;
              setZoomed(true);
            }
          },
        ],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
              tooltip.style.display = 'none';
              return;
            }
            const t = (u.data[0] as number[])[i] * 1000;
            const rows = u.series
              .slice(1)
              .map((s, k) => `<div><span style="color:${s.stroke as string}">●</span> ${s.label}: <b>${formatValue(axis, u.data[k + 1][i] as number | null)}</b></div>`)
              .join('');
            tooltip.innerHTML = `<div class="u-tooltip-time">${fmtTime(t)}</div>${rows}`;
            tooltip.style.display = 'block';
            const left = u.cursor.left;
            const flip = left > u.over.clientWidth - 150;
            tooltip.style.left = `${flip ? left - 8 : left + 12}px`;
            tooltip.style.transform = flip ? 'translateX(-100%)' : '';
            tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
          },
        ],
      },
    };
    const u = new uPlot(opts, dataRef.current, el);
    plot.current = u;
    follow(u);
    const ro = new ResizeObserver(([e]) => u.setSize({ width: Math.max(200, Math.floor(e.contentRect.width)), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [labels, colors, theme, height, axis, minMax]);

  // Live append: new data keeps the user's zoom, otherwise scrolls the window.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data, false);
    if (zoomedRef.current) u.redraw(true, true);
    else follow(u);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data[0].length, tMax, windowMs, series.map((s) => s.points.length).join(',')]);

  const resetZoom = () => {
    zoomedRef.current = false;
    setZoomed(false);
    if (plot.current) follow(plot.current);
  };

  const latest = series.map((s) => {
    for (let i = s.points.length - 1; i >= 0; i--) if (s.points[i].v !== null) return s.points[i].v as number;
    return null;
  });
  const summary = series.map((s, i) => `${s.label} ${latest[i] === null ? 'no data' : formatValue(axis, latest[i])}`).join(', ');

  return (
    <figure
      className="m-0 min-w-0"
      data-testid="chart"
      data-points={plotted}
      data-initial-points={initialPoints ?? 0}
      data-max={vMax}
      data-zoomed={zoomed ? 'true' : 'false'}
    >
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 px-1 pb-1 text-xs text-muted">
        {series.map((s, i) => (
          <span key={s.label} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="inline-block h-0.5 w-3 rounded" style={{ background: s.color }} />
            {s.label}
            <span className="num inline-block min-w-[5.5rem] font-medium text-fg">{latest[i] === null ? '—' : formatValue(axis, latest[i])}</span>
          </span>
        ))}
        {zoomed && (
          <button type="button" className="ml-auto rounded border border-border px-1.5 py-0.5 text-xs text-fg hover:bg-surface-2" onClick={resetZoom}>
            Reset zoom
          </button>
        )}
      </div>
      <div role="img" aria-label={`${title}: ${summary}`} className="relative w-full min-w-0 overflow-hidden" style={{ minHeight: height }}>
        <div ref={wrap} className="w-full" />
        {plotted === 0 && (
          <span className="pointer-events-none absolute inset-0 flex items-center justify-center text-xs text-muted">Waiting for samples…</span>
        )}
      </div>
    </figure>
  );
}
