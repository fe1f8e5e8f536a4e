import type { ReactNode, ThHTMLAttributes } from 'react';

export const TABLE = 'w-full border-collapse text-[13px]';
export const TH = 'sticky top-0 z-[1] bg-surface-2 px-3 py-2 text-left text-[11px] font-semibold text-muted uppercase whitespace-nowrap border-b border-border';
export const TD = 'px-3 py-2 align-middle border-b border-border whitespace-nowrap';
export const TR = 'hover:bg-surface-2/60';
/**
 * For a DataTable's className: the first column (the row's name) stays put while a narrow screen
 * scrolls the table sideways, so every column is reachable and each row still says what it is.
 */
export const STICKY_FIRST =
  '[&_tbody_td:first-child]:sticky [&_tbody_td:first-child]:left-0 [&_tbody_td:first-child]:z-[1] [&_tbody_td:first-child]:bg-surface [&_td:first-child]:shadow-[inset_-1px_0_0_var(--c-border)] [&_th:first-child]:left-0 [&_th:first-child]:z-[2] [&_th:first-child]:shadow-[inset_-1px_0_0_var(--c-border)]';

export interface SortState<K extends string> {
  key: K;
  dir: 'asc' | 'desc';
}

/** Column header that sorts on click; announces the order through aria-sort. */
export function SortHeader<K extends string>({
  label,
  k,
  sort,
  onSort,
  className = '',
  ...rest
}: ThHTMLAttributes<HTMLTableCellElement> & {
  label: ReactNode;
  k: K;
  sort: SortState<K>;
  onSort: (s: SortState<K>) => void;
}) {
  const active = sort.key === k;
  return (
    <th
      scope="col"
      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      className={`${TH} ${className}`}
      {...rest}
    >
      <button
        type="button"
        className="inline-flex items-center gap-1 uppercase hover:text-fg"
        onClick={() => onSort({ key: k, dir: active && sort.dir === 'desc' ? 'asc' : active ? 'desc' : 'asc' })}
      >
        {label}
        {active && (
          <span aria-hidden="true" className="text-fg">
            {sort.dir === 'desc' ? '▼' : '▲'}
          </span>
        )}
      </button>
    </th>
  );
}

/** A column of a DataTable: sortable when it has a sort key `k`; `hidden` keeps the label for screen readers only. */
export interface Column<K extends string = string> {
  label: string;
  k?: K;
  right?: boolean;
  title?: string;
  hidden?: boolean;
}

/** A table with a header row built from `columns`; the rows are the children. */
export function DataTable<K extends string = string>({
  columns,
  caption,
  className = '',
  sort,
  onSort,
  children,
}: {
  columns: Column<K>[];
  /** for screen readers */
  caption?: string;
  className?: string;
  sort?: SortState<K>;
  onSort?: (s: SortState<K>) => void;
  children: ReactNode;
}) {
  return (
    <table className={`${TABLE} ${className}`}>
      {caption && <caption className="sr-only">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => {
            const align = c.right ? 'text-right' : '';
            if (c.k !== undefined && sort && onSort)
              return <SortHeader key={c.label} label={c.label} title={c.title} k={c.k} sort={sort} onSort={onSort} className={align} />;
            return (
              <th key={c.label} scope="col" title={c.title} className={`${TH} ${align}`}>
                {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A paged list: the table (or its state) scrolls sideways, the pager below once there are rows. */
export function PagedList({
  start,
  count,
  rows,
  total,
  onChange,
  children,
}: {
  start: number;
  count: number;
  rows: number;
  total?: number;
  onChange: (start: number) => void;
  children: ReactNode;
}) {
  return (
    <>
      <div className="overflow-x-auto">{children}</div>
      {(rows > 0 || start > 0) && <Pager start={start} count={count} rows={rows} total={total} onChange={onChange} />}
    </>
  );
}

export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function Pager({
  start,
  count,
  rows,
  total,
  onChange,
}: {
  start: number;
  count: number;
  rows: number;
  total?: number;
  onChange: (start: number) => void;
}) {
  const hasNext = total !== undefined ? start + count < total : rows >= count;
  return (
    <nav aria-label="Pages" className="flex items-center justify-between gap-3 px-4 py-2 text-sm text-muted">
      <span className="num">
        {rows === 0 ? 'No rows' : `Rows ${start + 1}–${start + rows}${total !== undefined ? ` of ${total}` : ''}`}
      </span>
      <span className="flex gap-2">
        <button
          type="button"
          className="h-7 rounded-md border border-border px-2 text-xs text-fg hover:bg-surface-2 disabled:opacity-40"
          disabled={start === 0}
          onClick={() => onChange(Math.max(0, start - count))}
        >
          ← Previous
        </button>
        <button
          type="button"
          className="h-7 rounded-md border border-border px-2 text-xs text-fg hover:bg-surface-2 disabled:opacity-40"
          disabled={!hasNext}
          onClick={() => onChange(start + count)}
        >
          Next →
        </button>
      </span>
    </nav>
  );
}
