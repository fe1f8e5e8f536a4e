'use client';

import { api } from '@/lib/api';
import { rtcEnabledFromConfig } from '@/lib/config-info';
import { useApiQuery, usePollInterval } from './useApiKey';

export function useSummaries() {
  const interval = usePollInterval(2000, 5000);
  return useApiQuery(['summaries'], (signal) => api.summaries(signal).then((r) => r.data), { refetchInterval: interval });
}

export function useVersions() {
  return useApiQuery(['versions'], (signal) => api.versions(signal).then((r) => r.data), { staleTime: 60_000 });
}

export function useVhosts() {
  return useApiQuery(['vhosts'], (signal) => api.vhosts(signal).then((r) => r.vhosts), { refetchInterval: 30_000 });
}

/** vhost id -> name (streams and clients carry the vhost's id). */
export function useVhostNames(): Record<string, string> {
  const { data } = useVhosts();
  const map: Record<string, string> = {};
  for (const v of data ?? []) map[v.id] = v.name;
  return map;
}

export function useConfig() {
  return useApiQuery(['config'], (signal) => api.config(signal), { staleTime: 10_000 });
}

/** Whether the running config enables WebRTC: true/false, or null when unknown. */
export function useRtcEnabled(): boolean | null {
  const { data } = useConfig();
  return data ? rtcEnabledFromConfig(data.body) : null;
}
