'use client';

import { useMemo } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api';
import { useLive, type StreamStat } from '@/lib/live-store';
import type { Client, DvrRequest, Stream } from '@/lib/types';
import { useApiQuery, usePollInterval } from './useApiKey';
import { useClients } from './useClients';
import { useVhostNames } from './useServer';
import { useCluster } from './useCluster';

export function useStreamsQuery() {
  const interval = usePollInterval(2000, 5000);
  return useApiQuery(['streams'], (signal) => api.streams(signal, 0, 1000).then((r) => r.streams), { refetchInterval: interval });
}

/** A stream row with the live socket figures and its publisher joined in. */
export interface StreamRow {
  stream: Stream;
  /** the node serving it (null: this node, its name unknown) */
  node: string | null;
  /** another node's stream (seen over the cluster's live feed; this node's API cannot act on it) */
  remote: boolean;
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

/** A row's figures: the live feed's when it has the stream, else the API's 30 s kbps. */
function figures(s: Stream, l: StreamStat | undefined) {
  const active = s.publish?.active ?? false;
  return {
    players: Math.max(0, (l?.clients ?? s.clients) - (active ? 1 : 0)),
    kbpsIn: l?.kbps.recv ?? s.kbps?.recv_30s ?? null,
    kbpsOut: l?.kbps.send ?? s.kbps?.send_30s ?? null,
    fps: l?.fps ?? null,
    keyframeMs: l?.keyframe_interval_ms ?? null,
    recording: l?.recording ?? null,
  };
}

/** The vhost of a stream's `url` (`vhost/app/stream`, `/app/stream` for the default vhost). */
function vhostOfUrl(url: string): string {
  const slash = url.indexOf('/');
  return slash > 0 ? url.slice(0, slash) : '__defaultVhost__';
}

export function useStreamRows() {
  const q = useStreamsQuery();
  const clients = useClients();
  const vhosts = useVhostNames();
  const liveStreams = useLive((s) => s.streams ?? NO_STREAMS);
  const cluster = useCluster();
  const rows = useMemo<StreamRow[] | undefined>(() => {
    if (!q.data) return undefined;
    const byId = new Map(liveStreams.filter((l) => !cluster.remote.has(l.node)).map((l) => [l.id, l]));
    const remoteLive = new Map(liveStreams.filter((l) => cluster.remote.has(l.node)).map((l) => [`${l.node}\n${l.id}`, l]));
    const clientById = new Map((clients.data ?? []).map((c) => [c.id, c]));
    const own = q.data.map((s): StreamRow => {
      const l = byId.get(s.id);
      const cid = s.publish?.cid;
      const publisher = (cid && clientById.get(cid)) || (clients.data ?? []).find((c) => c.stream === s.id && c.publish) || null;
      return {
        stream: s,
        node: cluster.self,
        remote: false,
        vhostName: vhosts[s.vhost] ?? s.vhost,
        publisher,
        ...figures(s, l),
        // `alive` is as of the last clients poll; the live feed re-renders every second, so count on from there
        uptimeS: publisher ? publisher.alive + Math.max(0, (Date.now() - clients.dataUpdatedAt) / 1000) : null,
      };
    });
    // Other nodes' streams (their vhost ids are their own: the name is read from the url); figures from their live rows.
    const remote = cluster.nodes.flatMap((n) =>
      n.streams.map((s): StreamRow => {
        const l = remoteLive.get(`${n.node}\n${s.id}`);
        const publisher = n.clients.find((c) => c.stream === s.id && c.publish) ?? null;
        return {
          stream: s,
          node: n.node,
          remote: true,
          vhostName: vhostOfUrl(s.url),
          publisher,
          ...figures(s, l),
          uptimeS: publisher ? publisher.alive + n.age_ms / 1000 : null,
        };
      }),
    );
    return own.concat(remote);
  }, [q.data, clients.data, clients.dataUpdatedAt, vhosts, liveStreams, cluster]);
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
