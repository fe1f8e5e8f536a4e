'use client';

import { useSearchParams } from 'next/navigation';
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { SelectField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, QueryBody, type QueryLike } from '@/components/ui/States';
import { DataTable, PagedList, TD, TR, type Column } from '@/components/ui/Table';
import { FilterBar, NO_FILTERS, toQuery, type Filters } from '@/components/history/FilterBar';
import { useClientHistory, useStreamHistory } from '@/hooks/useHistory';
import { fmtBytes, fmtDateTime, fmtDurationMs, fmtResolution } from '@/lib/format';
import type { HistoryClientSession, HistoryClientsQuery, HistoryEndReason, HistoryStreamSession } from '@/lib/types';

const PAGE = 20;
type Tab = 'streams' | 'clients';
type Kind = '' | NonNullable<HistoryClientsQuery['kind']>;

/** Ended: its length; still live: how long so far (as of the last refresh). */
function duration(r: { start: number; end: number | null; duration_ms: number | null }): string {
  return fmtDurationMs(r.duration_ms ?? Math.max(0, (r.end ?? Date.now()) - r.start));
}

function EndBadge({ reason, open }: { reason: HistoryEndReason | null; open: boolean }) {
  if (open) return <Badge tone="ok">active</Badge>;
  if (reason === 'kicked') return <Badge tone="warn">kicked</Badge>;
  if (reason === 'error') return <Badge tone="danger">error</Badge>;
  if (reason === 'normal') return <Badge>normal</Badge>;
  return <span className="text-muted">—</span>;
}

/** The first row shown; back to 0 when a filter changes. */
function usePageStart(...deps: unknown[]): [number, (start: number) => void] {
  const [start, setStart] = useState(0);
  const [applied, setApplied] = useState(deps);
  if (applied.length !== deps.length || applied.some((d, i) => d !== deps[i])) {
    setApplied(deps);
    setStart(0);
  }
  return [start, setStart];
}

/** The node that recorded a row (`cluster { node_id }`, else hostname:api-port). */
const NODE: Column = { label: 'Node', title: 'The tsrs node that recorded it (cluster node_id)' };

function NodeTd({ node }: { node: string }) {
  return (
    <td className={`${TD} num text-xs`} data-testid="history-node">
      {node || <span className="text-muted">—</span>}
    </td>
  );
}

const STREAM_COLUMNS: Column[] = [
  { label: 'Stream' },
  NODE,
  { label: 'Publisher' },
  { label: 'Start' },
  { label: 'End' },
  { label: 'Duration', right: true },
  { label: 'Video' },
  { label: 'Audio' },
  { label: 'In', right: true },
  { label: 'Out', right: true },
];

const CLIENT_COLUMNS: Column[] = [
  { label: 'Kind / protocol' },
  NODE,
  { label: 'IP' },
  { label: 'Stream' },
  { label: 'Start' },
  { label: 'Duration', right: true },
  { label: 'In', right: true },
  { label: 'Out', right: true },
  { label: 'Ended' },
];

/** One tab's table: loading, error and empty states, the rows and the pager. */
function SessionList<R extends { id: string }>({
  noun,
  query,
  start,
  onPage,
  columns,
  emptyHint,
  row,
}: {
  noun: 'stream' | 'client';
  query: QueryLike & { data?: { rows: R[]; total: number } };
  start: number;
  onPage: (start: number) => void;
  columns: Column[];
  emptyHint?: ReactNode;
  row: (r: R) => ReactNode;
}) {
  const rows = query.data?.rows ?? [];
  return (
    <PagedList start={start} count={PAGE} rows={rows.length} total={query.data?.total} onChange={onPage}>
      <QueryBody
        query={query}
        loading={`Loading ${noun} sessions…`}
        what={`${noun} history`}
        empty={rows.length === 0 && <EmptyState title={start > 0 ? 'No more sessions' : `No ${noun} sessions`}>{emptyHint}</EmptyState>}
      >
        <DataTable columns={columns} caption={`Past and current ${noun} sessions`} className="min-w-[960px] [&_td]:px-2.5 [&_th]:px-2.5">
          {rows.map(row)}
        </DataTable>
      </QueryBody>
    </PagedList>
  );
}

function StreamSessions({ filters }: { filters: Filters }) {
  const [start, setStart] = usePageStart(filters);
  const q = useMemo(() => ({ ...toQuery(filters), start, count: PAGE }), [filters, start]);
  const query = useStreamHistory(q);
  return (
    <SessionList<HistoryStreamSession>
      noun="stream"
      query={query}
      start={start}
      onPage={setStart}
      columns={STREAM_COLUMNS}
      emptyHint="Sessions appear here once a stream is published."
      row={(r) => (
        <tr key={r.id} className={TR}>
          <td className={TD}>
            <div className="max-w-[16rem]">
              <span className="block truncate font-medium">
                {r.app}/{r.stream}
              </span>
              {r.vhost && r.vhost !== '__defaultVhost__' && <span className="block text-xs text-muted">{r.vhost}</span>}
            </div>
          </td>
          <NodeTd node={r.node} />
          <td className={TD}>
            <span className="num block">{r.ip || '—'}</span>
            <span className="block text-xs text-muted">{r.protocol}</span>
          </td>
          <td className={`${TD} num`}>{fmtDateTime(r.start)}</td>
          <td className={`${TD} num`}>{r.end === null ? <Badge tone="ok">live</Badge> : fmtDateTime(r.end)}</td>
          <td className={`${TD} num text-right`}>{duration(r)}</td>
          <td className={TD}>
            {r.video_codec ?? '—'} <span className="num text-xs text-muted">{r.width ? fmtResolution(r.width, r.height) : ''}</span>
          </td>
          <td className={TD}>{r.audio_codec ?? '—'}</td>
          <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_in)}</td>
          <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_out)}</td>
        </tr>
      )}
    />
  );
}

function ClientSessions({ filters, kind }: { filters: Filters; kind: Kind }) {
  const [start, setStart] = usePageStart(filters, kind);
  const q = useMemo(() => ({ ...toQuery(filters), kind: kind || undefined, start, count: PAGE }), [filters, kind, start]);
  const query = useClientHistory(q);
  return (
    <SessionList<HistoryClientSession>
      noun="client"
      query={query}
      start={start}
      onPage={setStart}
      columns={CLIENT_COLUMNS}
      row={(r) => (
        <tr key={r.id} className={TR} data-client-id={r.id}>
          <td className={TD}>
            <span className="inline-flex items-center gap-2">
              {r.kind === 'publish' ? <Badge tone="accent">publish</Badge> : <Badge>play</Badge>}
              <span>
                <span className="block">{r.protocol}</span>
                {r.type && r.type !== r.protocol && <span className="block text-xs text-muted">{r.type}</span>}
              </span>
            </span>
          </td>
          <NodeTd node={r.node} />
          <td className={`${TD} num`}>{r.ip}</td>
          <td className={TD}>
            <div className="max-w-[12rem] truncate">
              {r.app}/{r.stream}
            </div>
          </td>
          <td className={`${TD} num`}>{fmtDateTime(r.start)}</td>
          <td className={`${TD} num text-right`}>{duration(r)}</td>
          <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_in)}</td>
          <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_out)}</td>
          <td className={TD} data-testid="end-reason">
            <EndBadge reason={r.end_reason} open={r.end === null} />
          </td>
        </tr>
      )}
    />
  );
}

const TABS: { id: Tab; label: string }[] = [
  { id: 'streams', label: 'Stream sessions' },
  { id: 'clients', label: 'Client sessions' },
];

export function HistoryView() {
  const params = useSearchParams();
  const [tab, setTab] = useState<Tab>(params.get('tab') === 'clients' ? 'clients' : 'streams');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [kind, setKind] = useState<Kind>('');
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  const select = (t: Tab) => {
    setTab(t);
    const u = new URL(window.location.href);
    u.searchParams.set('tab', t);
    window.history.replaceState(null, '', u);
  };

  return (
    <>
      <PageHeader title="History" description="Past stream and client sessions, kept in the server's database" />
      <div role="tablist" aria-label="History" className="mb-3 flex gap-1 border-b border-border">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => select(t.id)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              const n = (i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length;
              select(TABS[n].id);
              tabRefs.current[n]?.focus();
            }}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${tab === t.id ? 'border-accent font-medium text-accent' : 'border-transparent text-muted hover:text-fg'}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <Card>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
          <FilterBar
            value={filters}
            onApply={setFilters}
            extra={
              tab === 'clients' ? (
                <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)} className="w-32">
                  <option value="">All</option>
                  <option value="publish">Publish</option>
                  <option value="play">Play</option>
                </SelectField>
              ) : undefined
            }
          />
          {tab === 'streams' ? <StreamSessions filters={filters} /> : <ClientSessions filters={filters} kind={kind} />}
        </div>
      </Card>
    </>
  );
}
