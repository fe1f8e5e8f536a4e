'use client';

export const CHART_WINDOWS = [
  { ms: 60_000, label: '1 min' },
  { ms: 5 * 60_000, label: '5 min' },
  { ms: 10 * 60_000, label: '10 min' },
];

/** The time span the live charts show (the live store keeps 10 minutes). */
export function ChartWindow({ value, onChange }: { value: number; onChange: (ms: number) => void }) {
  return (
    <div role="group" aria-label="Chart window" className="inline-flex rounded-md border border-border bg-surface p-0.5">
      {CHART_WINDOWS.map((w) => (
        <button
          key={w.ms}
          type="button"
          aria-pressed={value === w.ms}
          onClick={() => onChange(w.ms)}
          className={`h-7 rounded px-2.5 text-xs ${value === w.ms ? 'bg-accent text-accent-fg' : 'text-fg hover:bg-surface-2'}`}
        >
          {w.label}
        </button>
      ))}
    </div>
  );
}
