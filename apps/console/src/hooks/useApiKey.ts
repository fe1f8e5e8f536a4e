'use client';

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
