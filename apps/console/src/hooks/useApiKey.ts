'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { apiBase, useHydrated, useSettings } from '@/lib/settings';
import { useLive } from '@/lib/live-store';

/**
 * Part of every query key: switching server or user refetches everything. Empty until hydrated
 * (the prerendered pass cannot know localStorage), and queries wait for it (`enabled`).
 */
export function useApiKey(): string {
  const s = useSettings();
  const hydrated = useHydrated();
  return hydrated ? `${apiBase(s)}|${s.username}` : '';
}

/** True while socket.io pushes live data; REST polling then slows down. */
export function useSocketLive(): boolean {
  return useLive((s) => s.status === 'live');
}

/** Poll every 2 s without socket.io, less often with it (events trigger refetches). */
export function usePollInterval(live = 2000, withSocket = 10_000): number {
  return useSocketLive() ? withSocket : live;
}

/**
 * A query of the API under `[name, server|user, ...params]` (so `['name']` invalidates it),
 * waiting for hydration. `keepPrevious`: show the last page while the next one loads.
 */
export function useApiQuery<T>(
  [name, ...params]: readonly [string, ...unknown[]],
  fetch: (signal: AbortSignal) => Promise<T>,
  opts: { refetchInterval?: number; staleTime?: number; keepPrevious?: boolean; enabled?: boolean } = {},
) {
  const key = useApiKey();
  return useQuery({
    queryKey: [name, key, ...params],
    enabled: key !== '' && opts.enabled !== false,
    queryFn: ({ signal }) => fetch(signal),
    refetchInterval: opts.refetchInterval,
    staleTime: opts.staleTime,
    placeholderData: opts.keepPrevious ? keepPreviousData : undefined,
  });
}
