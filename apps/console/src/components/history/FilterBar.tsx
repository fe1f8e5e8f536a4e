'use client';

import { useState, type ReactNode } from 'react';
import { Button } from '@/components/ui/Button';
import { TextField } from '@/components/ui/Field';
import type { HistoryQuery } from '@/lib/types';

export interface Filters {
  app: string;
  stream: string;
  /** yyyy-mm-dd (local) */
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { app: '', stream: '', from: '', to: '' };

/** Filters -> query: dates cover whole local days. */
export function toQuery(f: Filters): HistoryQuery {
  const day = (s: string, end: boolean) => {
    if (!s) return undefined;
    const [y, m, d] = s.split('-').map(Number);
    const t = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d);
    return t.getTime();
  };
  return {
    app: f.app.trim() || undefined,
    stream: f.stream.trim() || undefined,
    from: day(f.from, false),
    to: day(f.to, true),
  };
}

/** Stream/app/date filters; applied on submit so typing does not fire a request per key. */
export function FilterBar({ value, onApply, extra }: { value: Filters; onApply: (f: Filters) => void; extra?: ReactNode }) {
  const [f, setF] = useState(value);
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.value });
  const dirty = JSON.stringify(f) !== JSON.stringify(NO_FILTERS);
  return (
    <form
      role="search"
      aria-label="Filters"
      className="flex flex-wrap items-end gap-3 border-b border-border px-4 py-3"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(f);
      }}
    >
      <TextField label="Stream" value={f.stream} onChange={set('stream')} placeholder="livestream" className="w-40" />
      <TextField label="App" value={f.app} onChange={set('app')} placeholder="live" className="w-32" />
      <TextField label="From" type="date" value={f.from} onChange={set('from')} className="w-40" />
      <TextField label="To" type="date" value={f.to} onChange={set('to')} className="w-40" />
      {extra}
      <div className="flex gap-2">
        <Button type="submit" variant="primary">
          Apply
        </Button>
        {dirty && (
          <Button
            onClick={() => {
              setF(NO_FILTERS);
              onApply(NO_FILTERS);
            }}
          >
            Clear
          </Button>
        )}
      </div>
    </form>
  );
}
