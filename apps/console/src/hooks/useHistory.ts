'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api';
import type { HistoryQuery } from '@/lib/types';
import { useApiKey } from './useApiKey';

export function useRecordings(q: HistoryQuery) {
  const key = useApiKey();
  return useQuery({
    queryKey: ['recordings', key, q],
    enabled: key !== '',
    queryFn: ({ signal }) => api.recordings(q, signal).then((r) => r.recordings ?? []),
    refetchInterval: 10_000,
    placeholderData: (prev) => prev,
  });
}

export function useDeleteRecording() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.deleteRecording(id),
    onSettled: () => qc.invalidateQueries({ queryKey: ['recordings'] }),
  });
}

export function useStreamHistory(q: HistoryQuery) {
  const key = useApiKey();
  return useQuery({
    queryKey: ['history-streams', key, q],
    enabled: key !== '',
    queryFn: ({ signal }) =>
      api.historyStreams(q, signal).then((r) => ({ rows: r.streams ?? r.sessions ?? r.rows ?? [], total: r.total })),
    refetchInterval: 15_000,
    placeholderData: (prev) => prev,
  });
}

export function useClientHistory(q: HistoryQuery & { kind?: string }) {
  const key = useApiKey();
  return useQuery({
    queryKey: ['history-clients', key, q],
    enabled: key !== '',
    queryFn: ({ signal }) =>
      api.historyClients(q, signal).then((r) => ({ rows: r.clients ?? r.sessions ?? r.rows ?? [], total: r.total })),
    refetchInterval: 15_000,
    placeholderData: (prev) => prev,
  });
}
