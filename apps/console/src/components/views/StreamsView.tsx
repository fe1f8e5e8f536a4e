'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import { Badge, Dot } from '@/components/ui/Badge';
import { IconButton, ICONS } from '@/components/ui/IconButton';
import { Card } from '@/components/ui/Card';
import { SearchInput } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, QueryBody, StaleNote } from '@/components/ui/States';
import { compareValues, DataTable, TD, TR, STICKY_FIRST, type Column, type SortState } from '@/components/ui/Table';
import { CopyUrlsDialog } from '@/components/streams/CopyUrlsDialog';
import { PreviewDialog } from '@/components/streams/PreviewDialog';
import { useStreamActions } from '@/components/streams/useStreamActions';
import { useStreamRows, type StreamRow } from '@/hooks/useStreams';
import { useCluster } from '@/hooks/useCluster';
import { NodeCell, withNodeColumn } from '@/components/cluster/NodeCell';
import { fmtDuration, fmtFixed, fmtInt, fmtResolution, fmtSampleRate } from '@/lib/format';
import type { StreamRef } from '@/lib/urls';

type Key = 'name' | 'node' | 'publisher' | 'video' | 'in' | 'out' | 'players' | 'uptime';

const COLUMNS: Column<Key>[] = [
  { label: 'Stream', k: 'name' },
  { label: 'Publisher', k: 'publisher' },
  { label: 'Video', k: 'video' },
  { label: 'Audio' },
  { label: 'In kbps', k: 'in', right: true, title: 'Received from the publisher' },
  { label: 'Out kbps', k: 'out', right: true, title: 'Sent to all players' },
  { label: 'Players', k: 'players', right: true },
  { label: 'Uptime', k: 'uptime', right: true },
  { label: 'Actions', right: true },
];

const SORTERS: Record<Key, (r: StreamRow) => unknown> = {
  name: (r) => `${r.vhostName}/${r.stream.app}/${r.stream.name}`,
  node: (r) => r.node,
  publisher: (r) => r.publisher?.ip ?? null,
  video: (r) => (r.stream.video ? r.stream.video.width * r.stream.video.height : null),
  in: (r) => r.kbpsIn,
  out: (r) => r.kbpsOut,
  players: (r) => r.players,
  uptime: (r) => r.uptimeS,
};

function refOf(r: StreamRow): StreamRef {
  return { app: r.stream.app, stream: r.stream.name, vhost: r.vhostName };
}

export function StreamsView() {
  const streams = useStreamRows();
  const { rows, error } = streams;
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortState<Key>>({ key: 'name', dir: 'asc' });
  const [preview, setPreview] = useState<StreamRow | null>(null);
  const [copy, setCopy] = useState<StreamRef | null>(null);
  const actions = useStreamActions();
  const cluster = useCluster();
  const columns = useMemo(() => withNodeColumn(COLUMNS, cluster.multi), [cluster.multi]);

  const shown = useMemo(() => {
    if (!rows) return [];
    const q = query.trim().toLowerCase();
    const filtered = q
      ? rows.filter((r) =>
          [r.vhostName, r.node, r.stream.app, r.stream.name, r.publisher?.ip, r.publisher?.type, r.stream.video?.codec, r.stream.audio?.codec]
            .filter(Boolean)
            .some((v) => String(v).toLowerCase().includes(q)),
        )
      : rows;
    const get = SORTERS[sort.key];
    const sorted = [...filtered].sort((a, b) => compareValues(get(a), get(b)));
    return sort.dir === 'desc' ? sorted.reverse() : sorted;
  }, [rows, query, sort]);

  const published = rows?.filter((r) => r.stream.publish?.active).length ?? 0;

  return (
    <>
      <PageHeader
        title="Streams"
        description={rows ? <span className="num">{`${rows.length} stream${rows.length === 1 ? '' : 's'}, ${published} published`}</span> : 'Live streams on this server'}
        actions={<SearchInput label="Search streams" placeholder="Search app, stream, ip, codec…" value={query} onChange={(e) => setQuery(e.target.value)} />}
      />
      <Card bodyClassName="overflow-x-auto">
        <QueryBody
          query={streams}
          loading="Loading streams…"
          what="streams"
          empty={
            !rows || rows.length === 0 ? (
              <EmptyState title="No streams">
                Publish one, e.g. <code className="font-mono text-xs">ffmpeg -re -i in.mp4 -c copy -f flv rtmp://HOST/live/livestream</code>
              </EmptyState>
            ) : (
              shown.length === 0 && <EmptyState title="No stream matches the search" />
            )
          }
        >
          <DataTable columns={columns} caption="Streams, sortable by column" className={`min-w-[960px] [&_td]:px-2 [&_th]:px-2 ${STICKY_FIRST}`} sort={sort} onSort={setSort}>
            {shown.map((r) => {
              const s = r.stream;
              const active = s.publish?.active;
              // another node's stream: this node's API can neither play, record nor kick it
              const local = !r.remote;
              return (
                <tr key={`${r.node}\n${s.id}`} className={TR} data-stream-id={s.id} data-node={r.node ?? ''}>
                  <td className={TD}>
                    <div className="max-w-[9rem] sm:max-w-[13rem]">
                      <span className="flex min-w-0 items-center gap-1.5">
                        {local ? (
                          <Link href={`/streams/detail/?id=${encodeURIComponent(s.id)}`} className="truncate font-medium text-accent hover:underline">
                            {s.app}/{s.name}
                          </Link>
                        ) : (
                          <span className="truncate font-medium">
                            {s.app}/{s.name}
                          </span>
                        )}
                        {r.recording && (
                          <Badge tone="danger" title="Recording (DVR)">
                            <Dot tone="danger" /> REC
                          </Badge>
                        )}
                      </span>
                      <span className="block truncate text-xs text-muted">{r.vhostName === '__defaultVhost__' ? 'default vhost' : r.vhostName}</span>
                    </div>
                  </td>
                  {cluster.multi && <NodeCell node={r.node} remote={r.remote} />}
                  <td className={TD}>
                    {active ? (
                      <>
                        <span className="num block">{r.publisher?.ip ?? '—'}</span>
                        <span className="block text-xs text-muted">{r.publisher?.type ?? 'publishing'}</span>
                      </>
                    ) : (
                      <Badge>idle</Badge>
                    )}
                  </td>
                  <td className={TD}>
                    {s.video ? (
                      <>
                        <span className="block">
                          {s.video.codec} <span className="text-muted">{s.video.profile !== 'Other' ? s.video.profile : ''}</span>
                        </span>
                        <span className="num block text-xs text-muted">
                          {fmtResolution(s.video.width, s.video.height)}
                          {r.fps !== null ? ` · ${fmtFixed(r.fps, r.fps < 10 ? 1 : 0)} fps` : ''}
                        </span>
                      </>
                    ) : (
                      <span className="text-muted">—</span>
                    )}
                  </td>
                  <td className={TD}>
                    {s.audio ? (
                      <>
                        <span className="block">{s.audio.codec}</span>
                        <span className="num block text-xs text-muted">
                          {fmtSampleRate(s.audio.sample_rate)}
                          {s.audio.channel ? ` · ${s.audio.channel === 1 ? 'mono' : s.audio.channel === 2 ? 'stereo' : `${s.audio.channel} ch`}` : ''}
                        </span>
                      </>
                    ) : (
                      <span className="text-muted">—</span>
                    )}
                  </td>
                  <td className={`${TD} num w-[4.5rem] text-right`} data-testid="kbps-in">{fmtInt(r.kbpsIn)}</td>
                  <td className={`${TD} num w-[4.5rem] text-right`} data-testid="kbps-out">{fmtInt(r.kbpsOut)}</td>
                  <td className={`${TD} num w-16 text-right`} data-testid="players">{r.players}</td>
                  <td className={`${TD} num w-20 text-right`} data-testid="uptime">{fmtDuration(r.uptimeS)}</td>
                  <td className={`${TD} text-right`}>
                    <div className="flex justify-end gap-1">
                      <IconButton label={`Preview ${s.app}/${s.name}`} onClick={() => setPreview(r)} disabled={!active || !local}>
                        {ICONS.play}
                      </IconButton>
                      {r.recording ? (
                        <IconButton label={`Stop recording ${s.app}/${s.name}`} tone="active" onClick={() => actions.setDvr(r, 'stop')} disabled={actions.dvrPending || !local}>
                          {ICONS.stop}
                        </IconButton>
                      ) : (
                        <IconButton label={`Start recording ${s.app}/${s.name}`} onClick={() => actions.setDvr(r, 'start')} disabled={actions.dvrPending || !active || !local}>
                          {ICONS.record}
                        </IconButton>
                      )}
                      <IconButton label={`Copy play URLs of ${s.app}/${s.name}`} onClick={() => setCopy(refOf(r))} disabled={!local}>
                        {ICONS.link}
                      </IconButton>
                      <IconButton label={`Kick the publisher of ${s.app}/${s.name}`} tone="danger" onClick={() => actions.askKick(r)} disabled={!active || !local}>
                        {ICONS.kick}
                      </IconButton>
                    </div>
                  </td>
                </tr>
              );
            })}
          </DataTable>
        </QueryBody>
      </Card>
      <StaleNote show={!!error && !!rows} />
      <PreviewDialog stream={preview ? refOf(preview) : null} id={preview?.stream.id} onClose={() => setPreview(null)} />
      <CopyUrlsDialog stream={copy} onClose={() => setCopy(null)} />
      {actions.kickDialog}
    </>
  );
}
