'use client';

/** A row of toggle buttons (one pressed), e.g. a chart window or a player protocol. */
export function Segmented<T extends string | number | boolean>({
  label,
  options,
  value,
  onChange,
  className = '',
}: {
  /** the group's accessible name */
  label: string;
  options: readonly { value: T; label: string }[];
  value: T;
  onChange: (v: T) => void;
  className?: string;
}) {
  return (
    <div role="group" aria-label={label} className={`inline-flex rounded-md border border-border bg-surface p-0.5 ${className}`}>
      {options.map((o) => (
        <button
          key={String(o.value)}
          type="button"
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          className={`h-7 rounded px-3 text-xs ${value === o.value ? 'bg-accent text-accent-fg' : 'text-fg hover:bg-surface-2'}`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
