'use client';

import { useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { live } from '@/lib/live-store';
import { useApiQuery } from './useApiKey';

/**
 * Fills the stream's chart series with the server's last 10 minutes of its samples
 * (`GET /api/v1/streams/{id}/samples`) as the stream page opens, so its charts start full; the
 * live feed appends after them (a later answer merges the same way). A server without the
 * endpoint leaves the series to the live feed. True once the history is in the series (or
 * failed): until then the charts wait, so their first paint is the full one.
 */
export function useStreamHistory(id: string): boolean {
  const q = useApiQuery(['stream-samples', id], (signal) => api.streamSamples(id, signal), { enabled: id !== '' });
  const history = q.data?.history;
  const [loaded, setLoaded] = useState<unknown>(null);
  useEffect(() => {
    if (!history) return;
    live.loadStreamHistory(history);
    setLoaded(history);
  }, [history]);
  return !id || q.isError || (history !== undefined && loaded === history);
}
