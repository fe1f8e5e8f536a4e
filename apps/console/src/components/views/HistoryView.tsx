'use client';

import { useSearchParams } from 'next/navigation';
import { useMemo, useRef, useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { SelectField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '@/components/ui/States';
import { Pager, TABLE, TD, TH, TR } from '@/components/ui/Table';
import { FilterBar, NO_FILTERS, toQuery, type Filters } from '@/components/history/FilterBar';
import { useClientHistory, useStreamHistory } from '@/hooks/useHistory';
import { fmtBytes, fmtDateTime, fmtDurationMs, fmtResolution, toMs } from '@/lib/format';
import type { ClientSession, EndReason, StreamSession } from '@/lib/types';

const PAGE = 20;
type Tab = 'streams' | 'clients';

/** Ended: its length; still live: how long so far (as of the last refresh). */
function duration(start: number | string, end: number | string | null, ms?: number | null): string {
  if (ms !== undefined && ms !== null) return fmtDurationMs(ms);
  const s = toMs(start);
  const e = end === null ? Date.now() : toMs(end);
  return s !== null && e !== null ? fmtDurationMs(Math.max(0, e - s)) : '—';
}

function EndBadge({ reason, open }: { reason: EndReason | null; open: boolean }) {
  if (open) return <Badge tone="ok">active</Badge>;
  if (reason === 'kicked') return <Badge tone="warn">kicked</Badge>;
  if (reason === 'error') return <Badge tone="danger">error</Badge>;
  if (reason === 'normal') return <Badge>normal</Badge>;
  return <span className="text-muted">—</span>;
}

function StreamSessions({ filters }: { filters: Filters }) {
  const [start, setStart] = useState(0);
  const [applied, setApplied] = useState(filters);
  if (applied !== filters) {
    setApplied(filters);
    setStart(0);
  }
  const q = useMemo(() => ({ ...toQuery(filters), start, count: PAGE }), [filters, start]);
  const { data, error, isPending, refetch } = useStreamHistory(q);
  if (isPending) return <Loading label="Loading stream sessions…" />;
  if (error && !data) return <ErrorState error={error} what="stream history" onRetry={() => refetch()} />;
  const rows: StreamSession[] = data?.rows ?? [];
  return (
    <>
      <div className="overflow-x-auto">
        {rows.length === 0 ? (
          <EmptyState title={start > 0 ? 'No more sessions' : 'No stream sessions'}>Sessions appear here once a stream is published.</EmptyState>
        ) : (
          <table className={`${TABLE} min-w-[960px] [&_td]:px-2.5 [&_th]:px-2.5`}>
            <caption className="sr-only">Past and current stream sessions</caption>
            <thead>
              <tr>
                <th scope="col" className={TH}>Stream</th>
                <th scope="col" className={TH}>Publisher</th>
                <th scope="col" className={TH}>Start</th>
                <th scope="col" className={TH}>End</th>
                <th scope="col" className={`${TH} text-right`}>Duration</th>
                <th scope="col" className={TH}>Video</th>
                <th scope="col" className={TH}>Audio</th>
                <th scope="col" className={`${TH} text-right`}>In</th>
                <th scope="col" className={`${TH} text-right`}>Out</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className={TR}>
                  <td className={TD}>
                    <div className="max-w-[16rem]">
                      <span className="block truncate font-medium">
                        {r.app}/{r.stream}
                      </span>
                      {r.vhost && r.vhost !== '__defaultVhost__' && <span className="block text-xs text-muted">{r.vhost}</span>}
                    </div>
                  </td>
                  <td className={TD}>
                    <span className="num block">{r.ip ?? '—'}</span>
                    <span className="block text-xs text-muted">{r.protocol ?? ''}</span>
                  </td>
                  <td className={`${TD} num`}>{fmtDateTime(toMs(r.start))}</td>
                  <td className={`${TD} num`}>{r.end === null ? <Badge tone="ok">live</Badge> : fmtDateTime(toMs(r.end))}</td>
                  <td className={`${TD} num text-right`}>{duration(r.start, r.end, r.duration_ms)}</td>
                  <td className={TD}>
                    {r.video_codec ?? '—'} <span className="num text-xs text-muted">{r.width ? fmtResolution(r.width, r.height) : ''}</span>
                  </td>
                  <td className={TD}>{r.audio_codec ?? '—'}</td>
                  <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_in)}</td>
                  <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_out)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {(rows.length > 0 || start > 0) && <Pager start={start} count={PAGE} rows={rows.length} total={data?.total} onChange={setStart} />}
    </>
  );
}

function ClientSessions({ filters, kind }: { filters: Filters; kind: string }) {
  const [start, setStart] = useState(0);
  const [applied, setApplied] = useState({ filters, kind });
  if (applied.filters !== filters || applied.kind !== kind) {
    setApplied({ filters, kind });
    setStart(0);
  }
  const q = useMemo(() => ({ ...toQuery(filters), kind: kind || undefined, start, count: PAGE }), [filters, kind, start]);
  const { data, error, isPending, refetch } = useClientHistory(q);
  if (isPending) return <Loading label="Loading client sessions…" />;
  if (error && !data) return <ErrorState error={error} what="client history" onRetry={() => refetch()} />;
  const rows: ClientSession[] = data?.rows ?? [];
  return (
    <>
      <div className="overflow-x-auto">
        {rows.length === 0 ? (
          <EmptyState title={start > 0 ? 'No more sessions' : 'No client sessions'} />
        ) : (
          <table className={`${TABLE} min-w-[960px] [&_td]:px-2.5 [&_th]:px-2.5`}>
            <caption className="sr-only">Past and current client sessions</caption>
            <thead>
              <tr>
                <th scope="col" className={TH}>Kind / protocol</th>
                <th scope="col" className={TH}>IP</th>
                <th scope="col" className={TH}>Stream</th>
                <th scope="col" className={TH}>Start</th>
                <th scope="col" className={`${TH} text-right`}>Duration</th>
                <th scope="col" className={`${TH} text-right`}>In</th>
                <th scope="col" className={`${TH} text-right`}>Out</th>
                <th scope="col" className={TH}>Ended</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
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
                  <td className={`${TD} num`}>{r.ip}</td>
                  <td className={TD}>
                    <div className="max-w-[12rem] truncate">
                      {r.app}/{r.stream}
                    </div>
                  </td>
                  <td className={`${TD} num`}>{fmtDateTime(toMs(r.start))}</td>
                  <td className={`${TD} num text-right`}>{duration(r.start, r.end)}</td>
                  <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_in)}</td>
                  <td className={`${TD} num text-right`}>{fmtBytes(r.bytes_out)}</td>
                  <td className={TD} data-testid="end-reason">
                    <EndBadge reason={r.end_reason} open={r.end === null} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {(rows.length > 0 || start > 0) && <Pager start={start} count={PAGE} rows={rows.length} total={data?.total} onChange={setStart} />}
    </>
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
  const [kind, setKind] = useState('');
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
                <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value)} className="w-32">
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
