'use client';

import { useMemo, useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { ConfirmDialog } from '@/components/ui/ConfirmDialog';
import { Dialog } from '@/components/ui/Dialog';
import { Segmented } from '@/components/ui/Segmented';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, QueryBody } from '@/components/ui/States';
import { DataTable, PagedList, TD, TR, type Column } from '@/components/ui/Table';
import { toast } from '@/components/ui/Toast';
import { FilterBar, NO_FILTERS, toQuery, type Filters } from '@/components/history/FilterBar';
import { VideoPlayer, type PlayerSource } from '@/components/player/VideoPlayer';
import { useDeleteRecording, useRecordings } from '@/hooks/useHistory';
import { api, describeError, downloadWithAuth } from '@/lib/api';
import { authHeader } from '@/lib/settings';
import { fmtBytes, fmtDateTime, fmtDurationMs } from '@/lib/format';
import type { Recording } from '@/lib/types';

const PAGE = 20;

const COLUMNS: Column[] = [
  { label: 'Stream' },
  { label: 'Start' },
  { label: 'Duration', right: true },
  { label: 'Size', right: true },
  { label: 'Format' },
  { label: 'State' },
  { label: 'Actions', right: true, hidden: true },
];

const DOWNLOAD_ICON = (
  <svg aria-hidden="true" width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2"><path d="M12 4v11M7 10l5 5 5-5M5 20h14" /></svg>
);

function baseName(r: Recording): string {
  const fromPath = r.path.split(/[\\/]/).pop();
  return fromPath || `${r.app}-${r.stream}-${r.id}.${r.format}`;
}

const PLAYBACK = [
  { value: false, label: 'FLV (mpegts.js)' },
  { value: true, label: 'MP4 export' },
];

function PlayDialog({ rec, onClose }: { rec: Recording | null; onClose: () => void }) {
  const [asMp4, setAsMp4] = useState(false);
  const isFlv = rec?.format === 'flv';
  const source = useMemo<PlayerSource | null>(() => {
    if (!rec) return null;
    const mp4 = !isFlv || asMp4;
    return { kind: mp4 ? 'mp4' : 'flv', url: api.recordingUrl(rec.id, mp4 && isFlv ? 'mp4' : undefined), live: false, withAuth: !!authHeader() };
  }, [rec, isFlv, asMp4]);
  return (
    <Dialog open={!!rec} onClose={onClose} title={rec ? `${rec.app}/${rec.stream}` : 'Recording'} description={rec ? fmtDateTime(rec.start) : undefined} wide>
      {rec && (
        <>
          {isFlv && <Segmented label="Playback" options={PLAYBACK} value={asMp4} onChange={setAsMp4} className="mb-2" />}
          <VideoPlayer source={source} />
        </>
      )}
    </Dialog>
  );
}

export function RecordingsView() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [start, setStart] = useState(0);
  const query = useMemo(() => ({ ...toQuery(filters), start, count: PAGE }), [filters, start]);
  const recordings = useRecordings(query);
  const { data, isFetching, refetch } = recordings;
  const del = useDeleteRecording();
  const [playing, setPlaying] = useState<Recording | null>(null);
  const [deleting, setDeleting] = useState<Recording | null>(null);

  const download = async (r: Recording, mp4: boolean) => {
    const name = baseName(r).replace(/\.(flv|mp4)$/i, '') + (mp4 ? '.mp4' : `.${r.format}`);
    try {
      await downloadWithAuth(api.recordingUrl(r.id, mp4 && r.format !== 'mp4' ? 'mp4' : undefined), name);
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };

  return (
    <>
      <PageHeader
        title="Recordings"
        description="DVR files: play in the browser, download as FLV or exported MP4"
        actions={
          <Button size="sm" onClick={() => refetch()} disabled={isFetching}>
            {isFetching ? 'Refreshing…' : 'Refresh'}
          </Button>
        }
      />
      <Card>
        <FilterBar
          value={filters}
          onApply={(f) => {
            setFilters(f);
            setStart(0);
          }}
        />
        <PagedList start={start} count={PAGE} rows={data?.length ?? 0} onChange={setStart}>
          <QueryBody
            query={recordings}
            loading="Loading recordings…"
            what="recordings"
            empty={
              (!data || data.length === 0) && (
                <EmptyState title={start > 0 ? 'No more recordings' : 'No recordings'}>
                  {JSON.stringify(filters) !== JSON.stringify(NO_FILTERS)
                    ? 'Nothing matches the filters.'
                    : 'Start DVR from the Streams page, or enable dvr for a vhost in the config.'}
                </EmptyState>
              )
            }
          >
            <DataTable columns={COLUMNS} caption="Recordings" className="min-w-[1000px]">
              {data?.map((r) => (
                <tr key={r.id} className={TR} data-recording-id={r.id}>
                  <td className={TD}>
                    <div className="max-w-[20rem]">
                      <span className="block truncate font-medium">
                        {r.app}/{r.stream}
                      </span>
                      <span className="block truncate font-mono text-xs text-muted" title={r.path}>
                        {baseName(r)}
                      </span>
                    </div>
                  </td>
                  <td className={`${TD} num`}>{fmtDateTime(r.start)}</td>
                  <td className={`${TD} num text-right`}>{fmtDurationMs(r.duration_ms)}</td>
                  <td className={`${TD} num text-right`}>{fmtBytes(r.size)}</td>
                  <td className={TD}>
                    <Badge>{r.format.toUpperCase()}</Badge>
                  </td>
                  <td className={TD}>
                    {r.end === null ? (
                      <Badge tone="danger">recording</Badge>
                    ) : r.complete ? (
                      <Badge tone="ok">complete</Badge>
                    ) : (
                      <Badge tone="warn" title="The server stopped while writing; the file is readable up to the last flush">
                        incomplete
                      </Badge>
                    )}
                  </td>
                  <td className={`${TD} text-right`}>
                    <div className="flex justify-end gap-1">
                      <Button size="sm" onClick={() => setPlaying(r)} aria-label={`Play recording ${baseName(r)}`}>
                        Play
                      </Button>
                      {r.format !== 'mp4' && (
                        <Button size="sm" onClick={() => download(r, false)} aria-label={`Download ${baseName(r)} as ${r.format.toUpperCase()}`}>
                          {DOWNLOAD_ICON}
                          {r.format.toUpperCase()}
                        </Button>
                      )}
                      <Button size="sm" onClick={() => download(r, true)} aria-label={`Download ${baseName(r)} as MP4`}>
                        {DOWNLOAD_ICON}
                        MP4
                      </Button>
                      <Button size="sm" variant="danger" onClick={() => setDeleting(r)} aria-label={`Delete recording ${baseName(r)}`}>
                        Delete
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </DataTable>
          </QueryBody>
        </PagedList>
      </Card>
      <PlayDialog rec={playing} onClose={() => setPlaying(null)} />
      <ConfirmDialog
        open={!!deleting}
        title="Delete this recording?"
        confirmLabel="Delete"
        message={
          deleting && (
            <>
              <strong>{baseName(deleting)}</strong> ({fmtBytes(deleting.size)}) is removed from disk and from the list. This cannot be undone.
            </>
          )
        }
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await del.mutateAsync(deleting.id);
          toast('Recording deleted');
        }}
      />
    </>
  );
}
