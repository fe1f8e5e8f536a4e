'use client';

import { api } from '@/lib/api';
import { useApiQuery, usePollInterval } from './useApiKey';

/** The server's child processes (`/api/v1/processes`), polled as the client list is. */
export function useProcesses() {
  const interval = usePollInterval(2000, 5000);
  return useApiQuery(['processes'], (signal) => api.processes(signal).then((r) => r.processes), { refetchInterval: interval });
}
