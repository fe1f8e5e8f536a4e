'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { Badge, Dot } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, ErrorState, Loading, QueryBody } from '@/components/ui/States';
import { DataTable, TD, TR, type Column } from '@/components/ui/Table';
import { LineChart } from '@/components/charts/LineChart';
import { ClientType } from '@/components/clients/ClientType';
import { ChartWindow } from '@/components/charts/ChartWindow';
import { StreamPlayer } from '@/components/player/StreamPlayer';
import { CopyUrlsDialog } from '@/components/streams/CopyUrlsDialog';
import { useStreamActions } from '@/components/streams/useStreamActions';
import { KickDialog } from '@/components/clients/KickDialog';
import { useStreamRows } from '@/hooks/useStreams';
import { useClients } from '@/hooks/useClients';
import { useProcesses } from '@/hooks/useProcesses';
import { useLive, type StreamSample } from '@/lib/live-store';
import { useStreamHistory } from '@/hooks/useStreamHistory';
import { fmtBytes, fmtDuration, fmtFixed, fmtInt, fmtKbps, fmtResolution, fmtSampleRate } from '@/lib/format';
import type { Client } from '@/lib/types';
import type { StreamRef } from '@/lib/urls';

const PLAYER_COLUMNS: Column[] = [
  { label: 'Client' },
  { label: 'IP' },
  { label: 'Protocol' },
  { label: 'Alive', right: true },
  { label: 'Out', right: true },
  { label: 'Sent', right: true },
  { label: 'Actions', right: true, hidden: true },
];

const PROCESS_COLUMNS: Column[] = [
  { label: 'Kind' },
  { label: 'Name' },
  { label: 'PID', right: true },
  { label: 'Uptime', right: true },
  { label: 'Restarts', right: true },
  { label: 'State' },
];

const FORWARDER_COLUMNS: Column[] = [
  { label: 'Destination' },
  { label: 'State' },
  { label: 'Reconnects', right: true },
  { label: 'Sent', right: true },
  { label: 'Last error' },
];

/** exec, ingest or transcode: the first word of a process's name. */
const processKind = (name: string) => name.split(' ')[0] ?? name;

const NO_SAMPLES: StreamSample[] = [];

function Info({ label, children, wide = false }: { label: string; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={`min-w-0 ${wide ? 'col-span-2' : ''}`}>
      <dt className="text-xs text-muted">{label}</dt>
      <dd className={`num text-sm font-medium ${wide ? 'break-words' : 'truncate'}`}>{children}</dd>
    </div>
  );
}

export function StreamDetailView() {
  const params = useSearchParams();
  const id = params.get('id') ?? '';
  const { rows, isPending, error, refetch } = useStreamRows();
  const clients = useClients();
  const historyReady = useStreamHistory(id);
  const liveSamples = useLive((s) => s.streamSeries[id] ?? NO_SAMPLES);
  // the charts start with the server's history, not with the live feed's first second
  const samples = historyReady ? liveSamples : NO_SAMPLES;
  const actions = useStreamActions();
  const [kick, setKick] = useState<Client | null>(null);
  const [copy, setCopy] = useState<StreamRef | null>(null);
  // a stream is usually looked at soon after it starts: the last minute by default
  const [win, setWin] = useState(60_000);

  const row = rows?.find((r) => r.stream.id === id) ?? null;
  const players = useMemo(() => (clients.data ?? []).filter((c) => c.stream === id && !c.publish), [clients.data, id]);
  const forwarders = useMemo(() => players.filter((c) => c.forward), [players]);
  const processes = useProcesses();
  const ref = useMemo<StreamRef | null>(
    () => (row ? { app: row.stream.app, stream: row.stream.name, vhost: row.vhostName } : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [row?.stream.app, row?.stream.name, row?.vhostName],
  );

  if (!id)
    return (
      <EmptyState title="No stream selected">
        <Link href="/streams/" className="text-accent hover:underline">
          Pick a stream
        </Link>
      </EmptyState>
    );
  if (isPending) return <Loading label="Loading stream…" />;
  if (error && !rows) return <ErrorState error={error} what="the stream" onRetry={() => refetch()} />;
  if (!row || !ref)
    return (
      <>
        <PageHeader title="Stream" description={<span className="font-mono">{id}</span>} />
        <Card>
          <EmptyState title="This stream is not on the server (any more)">
            It may have been unpublished.{' '}
            <Link href="/streams/" className="text-accent hover:underline">
              Back to streams
            </Link>
          </EmptyState>
        </Card>
      </>
    );

  const s = row.stream;
  const active = s.publish?.active;
  // a process serves or makes the stream of its url ([vhost]/app/stream, as the stream's)
  const streamUrl = s.url;
  const procs = (processes.data ?? []).filter((p) => p.stream === streamUrl);
  const hasGop = samples.some((p) => p.gop !== null);

  return (
    <>
      <PageHeader
        title={`${s.app}/${s.name}`}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="font-mono text-xs">{s.id}</span>
            <span>· {row.vhostName}</span>
            {active ? <Badge tone="ok">publishing</Badge> : <Badge>idle</Badge>}
            {row.recording && (
              <Badge tone="danger">
                <Dot tone="danger" /> REC
              </Badge>
            )}
          </span>
        }
        actions={
          <>
            <Link href="/streams/" className="text-sm text-accent hover:underline">
              ← Streams
            </Link>
            <Button size="sm" onClick={() => setCopy(ref)}>
              Play URLs
            </Button>
            {row.recording ? (
              <Button size="sm" onClick={() => actions.setDvr(row, 'stop')} disabled={actions.dvrPending}>
                Stop recording
              </Button>
            ) : (
              <Button size="sm" onClick={() => actions.setDvr(row, 'start')} disabled={actions.dvrPending || !active}>
                Start recording
              </Button>
            )}
            <Button size="sm" variant="danger" onClick={() => actions.askKick(row)} disabled={!active}>
              Kick publisher
            </Button>
          </>
        }
      />

      <div className="grid gap-4 xl:grid-cols-5">
        <div className="grid min-w-0 content-start gap-4 xl:col-span-3">
          <Card title="Bandwidth" actions={<ChartWindow value={win} onChange={setWin} />} bodyClassName="p-3">
            <LineChart
              title="Stream bandwidth kbps"
              windowMs={win}
              axis="kbps"
              minMax={100}
              series={[
                { label: 'In kbps', color: 'var(--c-chart-1)', points: samples.map((p) => ({ t: p.t, v: p.recv })) },
                { label: 'Out kbps', color: 'var(--c-chart-2)', points: samples.map((p) => ({ t: p.t, v: p.send })) },
              ]}
            />
          </Card>
          <div className={`grid min-w-0 gap-4 ${hasGop ? 'lg:grid-cols-2 [&>*]:min-w-0' : ''}`}>
            <Card title="Frame rate" bodyClassName="p-3">
              <LineChart
                title="Frames per second"
                windowMs={win}
                height={130}
                minMax={30}
                axis="fps"
                series={[{ label: 'fps', color: 'var(--c-chart-3)', points: samples.map((p) => ({ t: p.t, v: p.fps })) }]}
              />
            </Card>
            {hasGop && (
              <Card title="Keyframe interval" bodyClassName="p-3">
                <LineChart
                  title="Keyframe interval ms"
                  windowMs={win}
                  height={130}
                  minMax={2000}
                  axis="ms"
                  series={[{ label: 'GOP', color: 'var(--c-chart-2)', points: samples.map((p) => ({ t: p.t, v: p.gop })) }]}
                />
              </Card>
            )}
          </div>
          <Card title={<span className="num">{`Players (${players.length})`}</span>} bodyClassName="overflow-x-auto">
            <QueryBody query={clients} what="clients" empty={players.length === 0 && <EmptyState title="Nobody is watching" />}>
              <DataTable columns={PLAYER_COLUMNS}>
                {players.map((c) => (
                  <tr key={c.id} className={TR}>
                    <td className={`${TD} font-mono text-xs`}>{c.id}</td>
                    <td className={`${TD} num`}>{c.ip}</td>
                    <td className={TD}>
                      <ClientType type={c.type} />
                    </td>
                    <td className={`${TD} num text-right`}>{fmtDuration(c.alive)}</td>
                    <td className={`${TD} num text-right`}>{fmtKbps(c.kbps?.send_30s)}</td>
                    <td className={`${TD} num text-right`}>{fmtBytes(c.send_bytes)}</td>
                    <td className={`${TD} text-right`}>
                      <Button size="sm" variant="danger" onClick={() => setKick(c)} aria-label={`Kick player ${c.id} (${c.ip})`}>
                        Kick
                      </Button>
                    </td>
                  </tr>
                ))}
              </DataTable>
            </QueryBody>
          </Card>
        </div>

        <div className="grid min-w-0 content-start gap-4 xl:col-span-2">
          <Card title={<span className="num">{`Processes (${procs.length})`}</span>} bodyClassName="overflow-x-auto">
            <QueryBody query={processes} what="processes" empty={procs.length === 0 && <EmptyState title="No exec, ingest or transcode process" />}>
              <DataTable columns={PROCESS_COLUMNS} caption="Processes">
                {procs.map((p) => (
                  <tr key={p.id} className={TR}>
                    <td className={TD}>{processKind(p.name)}</td>
                    <td className={`${TD} font-mono text-xs`} title={`${p.command} ${p.args.join(' ')}`}>
                      {p.name}
                    </td>
                    <td className={`${TD} num text-right`}>{p.pid > 0 ? p.pid : '—'}</td>
                    <td className={`${TD} num text-right`}>{fmtDuration(p.uptime)}</td>
                    <td className={`${TD} num text-right`}>{fmtInt(p.restarts)}</td>
                    <td className={TD}>
                      <Badge tone={p.state === 'running' ? 'ok' : 'warn'}>{p.state}</Badge>
                    </td>
                  </tr>
                ))}
              </DataTable>
            </QueryBody>
          </Card>
          <Card title={<span className="num">{`Forwarders (${forwarders.length})`}</span>} bodyClassName="overflow-x-auto">
            <QueryBody query={clients} what="clients" empty={forwarders.length === 0 && <EmptyState title="Not forwarded" />}>
              <DataTable columns={FORWARDER_COLUMNS} caption="Forwarders">
                {forwarders.map((c) => (
                  <tr key={c.id} className={TR}>
                    <td className={`${TD} font-mono text-xs break-all`}>{c.forward!.destination}</td>
                    <td className={TD}>
                      <Badge tone={c.forward!.state === 'forwarding' ? 'ok' : 'warn'}>{c.forward!.state}</Badge>
                    </td>
                    <td className={`${TD} num text-right`}>{fmtInt(c.forward!.reconnects)}</td>
                    <td className={`${TD} num text-right`}>{fmtBytes(c.forward!.send_bytes)}</td>
                    <td className={`${TD} text-xs`}>{c.forward!.error || '—'}</td>
                  </tr>
                ))}
              </DataTable>
            </QueryBody>
          </Card>
          <Card title="Preview" bodyClassName="p-3">
            {active ? <StreamPlayer stream={ref} /> : <EmptyState title="Not published" />}
          </Card>
          <Card title="Details">
            <dl className="grid grid-cols-2 gap-x-4 gap-y-3 p-4 sm:grid-cols-3">
              <Info label="Video" wide>{s.video ? `${s.video.codec} ${s.video.profile !== 'Other' ? (s.video.tsrs_profile || s.video.profile) : ''} ${s.video.level !== 'Other' ? s.video.level : ''}` : '—'}</Info>
              <Info label="Resolution">{fmtResolution(s.video?.width, s.video?.height)}</Info>
              <Info label="Audio" wide>{s.audio ? `${s.audio.codec} ${s.audio.profile && s.audio.profile !== 'Other' ? s.audio.profile : ''}` : '—'}</Info>
              <Info label="Sample rate">{fmtSampleRate(s.audio?.sample_rate)}</Info>
              <Info label="Frame rate">{row.fps !== null ? `${fmtFixed(row.fps, 1)} fps` : '—'}</Info>
              <Info label="Channels">{s.audio?.channel ?? '—'}</Info>
              <Info label="In">{fmtKbps(row.kbpsIn)}</Info>
              <Info label="Out">{fmtKbps(row.kbpsOut)}</Info>
              <Info label="Players">{fmtInt(row.players)}</Info>
              <Info label="Publisher">{row.publisher ? `${row.publisher.ip}` : '—'}</Info>
              <Info label="Protocol">{row.publisher?.type ?? '—'}</Info>
              <Info label="Uptime">{fmtDuration(row.uptimeS)}</Info>
              <Info label="Frames">{fmtInt(s.frames)}</Info>
              <Info label="Received">{fmtBytes(s.recv_bytes)}</Info>
              <Info label="Sent">{fmtBytes(s.send_bytes)}</Info>
            </dl>
          </Card>
        </div>
      </div>
      {actions.kickDialog}
      <KickDialog client={kick} onClose={() => setKick(null)} />
      <CopyUrlsDialog stream={copy} onClose={() => setCopy(null)} />
    </>
  );
}
