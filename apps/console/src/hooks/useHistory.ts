'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '@/lib/api';
import type { HistoryClientsQuery, HistoryQuery, RecordingsQuery } from '@/lib/types';
import { useApiQuery } from './useApiKey';

export function useRecordings(q: RecordingsQuery) {
  return useApiQuery(['recordings', q], (signal) => api.recordings(q, signal).then((r) => r.recordings), {
    refetchInterval: 10_000,
    keepPrevious: true,
  });
}

export function useDeleteRecording() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.deleteRecording(id),
    onSettled: () => qc.invalidateQueries({ queryKey: ['recordings'] }),
  });
}

const HISTORY = { refetchInterval: 15_000, keepPrevious: true };

export function useStreamHistory(q: HistoryQuery) {
  return useApiQuery(['history-streams', q], (signal) => api.historyStreams(q, signal).then((r) => ({ rows: r.streams, total: r.total })), HISTORY);
}

export function useClientHistory(q: HistoryClientsQuery) {
  return useApiQuery(['history-clients', q], (signal) => api.historyClients(q, signal).then((r) => ({ rows: r.clients, total: r.total })), HISTORY);
}
