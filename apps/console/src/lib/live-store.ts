/**
 * The live state shared by every page: the latest summary and per-stream stats, and short
 * histories of both for the charts. Fed by socket.io or, when that is unavailable, by REST polling
 * (see components/live/LiveFeed). Kept outside React so the charts survive page navigation.
 */
import { useSyncExternalStore } from 'react';
import type { LiveCluster, LiveEvent, LiveHistory, LiveStream, LiveStreamHistory, LiveSummary } from './types';

export type LiveStatus = 'idle' | 'connecting' | 'live' | 'polling';

/** `t` of every sample: the server's clock (ms since the epoch), never the browser's. */
export interface SummarySample {
  t: number;
  recv: number | null;
  send: number | null;
  cpu: number | null;
  mem: number | null;
  conns: number | null;
}

export interface StreamSample {
  t: number;
  recv: number | null;
  send: number | null;
  fps: number | null;
  gop: number | null;
  clients: number | null;
}

/** A socket `streams` item, or one built from REST polling (where some figures are unknown). */
export type StreamStat = Omit<LiveStream, 'fps' | 'keyframe_interval_ms' | 'recording'> & {
  fps: number | null;
  keyframe_interval_ms: number | null;
  recording: boolean | null;
};

export interface LiveState {
  status: LiveStatus;
  /** why socket.io is not live (shown as a hint) */
  statusDetail: string;
  summary: LiveSummary | null;
  summaryAt: number;
  streams: StreamStat[] | null;
  streamsAt: number;
  /** with a registry: this node's name and the other nodes' rows (socket.io `cluster`) */
  cluster: LiveCluster | null;
  events: LiveEvent[];
  summarySeries: SummarySample[];
  streamSeries: Record<string, StreamSample[]>;
}

/** 10 minutes at one sample a second. */
export const MAX_SAMPLES = 600;
const MAX_EVENTS = 100;

const INITIAL: LiveState = {
  status: 'idle',
  statusDetail: '',
  summary: null,
  summaryAt: 0,
  streams: null,
  streamsAt: 0,
  cluster: null,
  events: [],
  summarySeries: [],
  streamSeries: {},
};

let state: LiveState = INITIAL;
const listeners = new Set<() => void>();

function set(patch: Partial<LiveState>): void {
  state = { ...state, ...patch };
  listeners.forEach((l) => l());
}

function finite(v: number | undefined | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function push<T>(arr: T[], v: T): T[] {
  const next = arr.length >= MAX_SAMPLES ? arr.slice(arr.length - MAX_SAMPLES + 1) : arr.slice();
  next.push(v);
  return next;
}

/** The server's samples, then the ones taken here after its newest; the last MAX_SAMPLES. */
function afterHistory<T extends { t: number }>(past: T[], current: T[]): T[] {
  const last = past.length ? past[past.length - 1].t : -Infinity;
  const merged = past.concat(current.filter((p) => p.t > last));
  return merged.length > MAX_SAMPLES ? merged.slice(merged.length - MAX_SAMPLES) : merged;
}

export const live = {
  get: () => state,
  reset(): void {
    state = { ...INITIAL, status: state.status, statusDetail: state.statusDetail };
    listeners.forEach((l) => l());
  },
  setStatus(status: LiveStatus, statusDetail = ''): void {
    if (state.status !== status || state.statusDetail !== statusDetail) set({ status, statusDetail });
  },
  /** One summary; `t` is its server time (`now_ms`). */
  pushSummary(s: LiveSummary, t = s.now_ms): void {
    set({
      summary: s,
      summaryAt: t,
      summarySeries: push(state.summarySeries, {
        t,
        recv: finite(s.kbps?.recv),
        send: finite(s.kbps?.send),
        cpu: s.cpu_percent ?? null,
        mem: s.mem_rss_kbyte ?? null,
        conns: s.connections ?? null,
      }),
    });
  },
  /**
   * The server's last minutes of summaries (socket.io `history`, sent on connect): they become
   * the start of the series, followed by any sample taken here after the newest of them.
   */
  loadHistory(h: LiveHistory): void {
    const past: SummarySample[] = h.samples.map((p) => ({
      t: p.t,
      recv: finite(p.recv_kbps),
      send: finite(p.send_kbps),
      cpu: finite(p.cpu_percent),
      mem: finite(p.mem_rss_kbyte),
      conns: finite(p.connections),
    }));
    set({ summarySeries: afterHistory(past, state.summarySeries) });
  },
  /**
   * The server's last minutes of one stream (`GET /api/v1/streams/{id}/samples`): they become the
   * start of its series, followed by any sample taken here after the newest of them.
   */
  loadStreamHistory(h: LiveStreamHistory): void {
    const past: StreamSample[] = h.samples.map((p) => ({
      t: p.t,
      recv: finite(p.recv_kbps),
      send: finite(p.send_kbps),
      fps: finite(p.fps),
      gop: finite(p.keyframe_interval_ms),
      clients: finite(p.clients),
    }));
    set({ streamSeries: { ...state.streamSeries, [h.stream]: afterHistory(past, state.streamSeries[h.stream] ?? []) } });
  },
  /** One sample of every stream; `t` is the server time they were taken (`now_ms`). */
  pushStreams(list: StreamStat[], t = list[0]?.now_ms ?? state.summary?.now_ms ?? 0): void {
    const series: Record<string, StreamSample[]> = {};
    for (const s of list) {
      series[s.id] = push(state.streamSeries[s.id] ?? [], {
        t,
        recv: s.kbps?.recv ?? null,
        send: s.kbps?.send ?? null,
        fps: s.fps ?? null,
        gop: s.keyframe_interval_ms ?? null,
        clients: s.clients ?? null,
      });
    }
    // Keep the history of streams that just went away for a while (detail page shows the tail).
    for (const [id, arr] of Object.entries(state.streamSeries)) {
      if (!series[id] && arr.length && t - arr[arr.length - 1].t < 5 * 60_000) series[id] = arr;
    }
    set({ streams: list, streamsAt: t, streamSeries: series });
  },
  pushCluster(cluster: LiveCluster): void {
    set({ cluster });
  },
  pushEvent(e: LiveEvent): void {
    const events = [e, ...state.events];
    if (events.length > MAX_EVENTS) events.length = MAX_EVENTS;
    set({ events });
  },
};

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useLive<T>(select: (s: LiveState) => T): T {
  return useSyncExternalStore(
    subscribe,
    () => select(state),
    () => select(INITIAL),
  );
}
