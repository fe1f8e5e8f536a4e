'use client';

import { useState } from 'react';
import { Card, Stat } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { ErrorState, Loading, EmptyState } from '@/components/ui/States';
import { LineChart } from '@/components/charts/LineChart';
import { ChartWindow } from '@/components/charts/ChartWindow';
import { useLive } from '@/lib/live-store';
import { useSummaries, useVersions } from '@/hooks/useServer';
import { fmtDuration, fmtFixed, fmtInt, fmtKbps, fmtKbytes, fmtPercent, fmtTime } from '@/lib/format';
import type { LiveEvent } from '@/lib/types';

const EVENT_TEXT: Record<LiveEvent['type'], string> = {
  'stream:publish': 'Stream published',
  'stream:unpublish': 'Stream unpublished',
  'stream:play': 'Player started',
  'stream:stop': 'Player stopped',
  'client:connect': 'Client connected',
  'client:close': 'Client closed',
  'dvr:file': 'DVR file closed',
  'hls:segment': 'HLS segment',
};

export function OverviewView() {
  const summary = useLive((s) => s.summary);
  const series = useLive((s) => s.summarySeries);
  const events = useLive((s) => s.events);
  const status = useLive((s) => s.status);
  const rest = useSummaries();
  const versions = useVersions();
  const [win, setWin] = useState(5 * 60_000);

  const sys = rest.data?.system;
  // tsrs's own version; SRS's tools read the SRS version it is compatible with
  const version = summary?.version || versions.data?.tsrs_version || rest.data?.self?.version;
  const srsVersion = versions.data?.version;

  if (!summary && rest.isPending) return <Loading label="Loading server summary…" />;
  if (!summary && rest.error)
    return (
      <>
        <PageHeader title="Overview" />
        <Card>
          <ErrorState error={rest.error} what="the server summary" onRetry={() => rest.refetch()} />
        </Card>
      </>
    );

  return (
    <>
      <PageHeader
        title="Overview"
        description={
          <span className="num">
            tsrs {version ?? '—'}
            {rest.data?.self?.pid ? ` · pid ${rest.data.self.pid}` : ''}
          </span>
        }
        actions={<ChartWindow value={win} onChange={setWin} />}
      />

      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 2xl:grid-cols-8">
        <Stat label="Uptime" value={fmtDuration(summary?.uptime_s)} />
        <Stat label="Version" value={version ? `${version}${srsVersion ? ` (SRS ${srsVersion})` : ''}` : '—'} />
        <Stat label="Connections" value={fmtInt(summary?.connections)} />
        <Stat label="Streams" value={fmtInt(summary?.streams)} />
        <Stat label="In" accent="var(--c-chart-1)" value={fmtKbps(summary?.kbps.recv)} />
        <Stat label="Out" accent="var(--c-chart-2)" value={fmtKbps(summary?.kbps.send)} />
        <Stat label="CPU" value={fmtPercent(summary?.cpu_percent)} sub={sys ? `system ${fmtPercent(sys.cpu_percent * 100)}` : undefined} />
        <Stat label="Memory" value={fmtKbytes(summary?.mem_rss_kbyte)} sub={summary ? `${fmtPercent(summary.mem_percent)} of RAM` : undefined} />
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-2 [&>*]:min-w-0">
        <Card title="Bandwidth" bodyClassName="p-3">
          <LineChart
            title="Bandwidth in kbps"
            windowMs={win}
            axis="kbps"
            minMax={100}
            series={[
              { label: 'In kbps', color: 'var(--c-chart-1)', points: series.map((p) => ({ t: p.t, v: p.recv })) },
              { label: 'Out kbps', color: 'var(--c-chart-2)', points: series.map((p) => ({ t: p.t, v: p.send })) },
            ]}
          />
        </Card>
        <Card title="Connections" bodyClassName="p-3">
          <LineChart
            title="Connections"
            windowMs={win}
            axis="count"
            minMax={4}
            series={[{ label: 'Connections', color: 'var(--c-chart-3)', points: series.map((p) => ({ t: p.t, v: p.conns })) }]}
          />
        </Card>
        <Card title="CPU" bodyClassName="p-3">
          <LineChart
            title="CPU percent"
            windowMs={win}
            minMax={10}
            axis="percent"
            series={[{ label: 'tsrs CPU', color: 'var(--c-chart-1)', points: series.map((p) => ({ t: p.t, v: p.cpu })) }]}
          />
        </Card>
        <Card title="Memory" bodyClassName="p-3">
          <LineChart
            title="Resident memory"
            windowMs={win}
            minMax={64}
            axis="megabytes"
            series={[{ label: 'RSS', color: 'var(--c-chart-2)', points: series.map((p) => ({ t: p.t, v: p.mem === null ? null : p.mem / 1024 })) }]}
          />
        </Card>
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-3">
        <Card title="System" className="lg:col-span-1">
          {sys ? (
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 p-4 text-sm">
              <dt className="text-muted">Load 1 / 5 / 15 min</dt>
              <dd className="num">
                {fmtFixed(sys.load_1m, 2)} / {fmtFixed(sys.load_5m, 2)} / {fmtFixed(sys.load_15m, 2)}
              </dd>
              <dt className="text-muted">System CPU</dt>
              <dd className="num">{fmtPercent(sys.cpu_percent * 100)}</dd>
              <dt className="text-muted">CPUs</dt>
              <dd className="num">{sys.cpus_online ?? sys.cpus ?? '—'}</dd>
              <dt className="text-muted">RAM</dt>
              <dd className="num">
                {fmtKbytes(sys.mem_ram_kbyte)} ({fmtPercent(sys.mem_ram_percent * 100)} used)
              </dd>
              <dt className="text-muted">Host uptime</dt>
              <dd className="num">{fmtDuration(sys.uptime)}</dd>
              <dt className="text-muted">tsrs connections</dt>
              <dd className="num">{fmtInt(sys.conn_srs)}</dd>
            </dl>
          ) : rest.error ? (
            <ErrorState error={rest.error} what="system figures" />
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Recent events" className="lg:col-span-2" bodyClassName="max-h-72 overflow-auto">
          {events.length === 0 ? (
            <EmptyState title="No events yet">
              {status === 'live'
                ? 'Stream and client events appear here as they happen.'
                : 'Events are pushed over socket.io; the server does not offer it right now, so figures are polled.'}
            </EmptyState>
          ) : (
            <ul className="divide-y divide-border text-sm">
              {events.map((e, i) => (
                <li key={`${e.at}-${i}`} className="flex items-center gap-3 px-4 py-1.5">
                  <span className="num w-16 text-xs text-muted">{fmtTime(e.at)}</span>
                  <span className="w-36 font-medium">{EVENT_TEXT[e.type] ?? e.type}</span>
                  <span className="truncate text-muted">
                    {e.stream ? `${e.stream.app}/${e.stream.name}` : ''}
                    {e.client ? ` · ${e.client.type} ${e.client.ip}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
