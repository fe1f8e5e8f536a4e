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

/** SRS's raw API switches: the Reload button is offered only with raw_api.enabled and allow_reload on. */
export function useRawApi() {
  return useApiQuery(['raw'], (signal) => api.raw(signal).then((r) => r.http_api.raw_api), { staleTime: 10_000 });
}

/** Whether WebRTC is served, and why not. */
export interface RtcState {
  /** null while unknown */
  on: boolean | null;
  reason: string;
}

export const RTC_UNAVAILABLE = 'WebRTC is not available in this tsrs yet.';

/**
 * WebRTC is offered only when the server says it serves it: `/api/v1/features` -> `tsrs.rtc`
 * (false in every tsrs so far, whatever `rtc_server` in the config says). A server without that
 * field (SRS itself) falls back to the config's `rtc_server { enabled }`.
 */
export function useRtcEnabled(): RtcState {
  const features = useApiQuery(['features'], (signal) => api.features(signal).then((r) => r.data), { staleTime: 60_000 });
  const { data: config } = useConfig();
  const t = features.data?.tsrs;
  if (t && typeof t.rtc === 'boolean') return { on: t.rtc, reason: t.rtc ? '' : t.rtc_reason || RTC_UNAVAILABLE };
  if (features.isPending) return { on: null, reason: '' };
  const fromConfig = config ? rtcEnabledFromConfig(config.body) : null;
  if (fromConfig === false) return { on: false, reason: 'WebRTC is off on this server (rtc_server is not enabled).' };
  return { on: fromConfig, reason: '' };
}
