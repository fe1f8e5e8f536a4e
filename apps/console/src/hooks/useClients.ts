'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api';
import { useApiQuery, usePollInterval } from './useApiKey';

export function useClients() {
  const interval = usePollInterval(2000, 5000);
  return useApiQuery(['clients'], (signal) => api.clients(signal, 0, 1000).then((r) => r.clients), { refetchInterval: interval });
}

export function useKick() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (clientId: string) => api.kick(clientId),
    onSettled: () => {
      // The connection closes asynchronously; refetch now and again shortly.
      void qc.invalidateQueries({ queryKey: ['clients'] });
      void qc.invalidateQueries({ queryKey: ['streams'] });
      setTimeout(() => {
        void qc.invalidateQueries({ queryKey: ['clients'] });
        void qc.invalidateQueries({ queryKey: ['streams'] });
      }, 800);
    },
  });
}
