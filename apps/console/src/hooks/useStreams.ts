'use client';

import { useMemo } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api';
import { useLive, type StreamStat } from '@/lib/live-store';
import type { Client, DvrRequest, Stream } from '@/lib/types';
import { useApiQuery, usePollInterval } from './useApiKey';
import { useClients } from './useClients';
import { useVhostNames } from './useServer';

export function useStreamsQuery() {
  const interval = usePollInterval(2000, 5000);
  return useApiQuery(['streams'], (signal) => api.streams(signal, 0, 1000).then((r) => r.streams), { refetchInterval: interval });
}

/** A stream row with the live socket figures and its publisher joined in. */
export interface StreamRow {
  stream: Stream;
  vhostName: string;
  publisher: Client | null;
  players: number;
  kbpsIn: number | null;
  kbpsOut: number | null;
  fps: number | null;
  keyframeMs: number | null;
  recording: boolean | null;
  uptimeS: number | null;
}

const NO_STREAMS: StreamStat[] = [];

export function useStreamRows() {
  const q = useStreamsQuery();
  const clients = useClients();
  const vhosts = useVhostNames();
  const liveStreams = useLive((s) => s.streams ?? NO_STREAMS);
  const rows = useMemo<StreamRow[] | undefined>(() => {
    if (!q.data) return undefined;
    const byId = new Map(liveStreams.map((l) => [l.id, l]));
    const clientById = new Map((clients.data ?? []).map((c) => [c.id, c]));
    return q.data.map((s) => {
      const l = byId.get(s.id);
      const cid = s.publish?.cid;
      const publisher = (cid && clientById.get(cid)) || (clients.data ?? []).find((c) => c.stream === s.id && c.publish) || null;
      const active = s.publish?.active ?? false;
      return {
        stream: s,
        vhostName: vhosts[s.vhost] ?? s.vhost,
        publisher,
        players: Math.max(0, (l?.clients ?? s.clients) - (active ? 1 : 0)),
        kbpsIn: l?.kbps.recv ?? s.kbps?.recv_30s ?? null,
        kbpsOut: l?.kbps.send ?? s.kbps?.send_30s ?? null,
        fps: l?.fps ?? null,
        keyframeMs: l?.keyframe_interval_ms ?? null,
        recording: l?.recording ?? null,
        // `alive` is as of the last clients poll; the live feed re-renders every second, so count on from there
        uptimeS: publisher ? publisher.alive + Math.max(0, (Date.now() - clients.dataUpdatedAt) / 1000) : null,
      };
    });
  }, [q.data, clients.data, clients.dataUpdatedAt, vhosts, liveStreams]);
  return { ...q, rows };
}

export function useDvr() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (req: DvrRequest) => api.dvr(req),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['streams'] });
      void qc.invalidateQueries({ queryKey: ['recordings'] });
    },
  });
}
