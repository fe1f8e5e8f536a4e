'use client';

import { useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { apiBase, authHeader, useHydrated, useSettings } from '@/lib/settings';
import { live } from '@/lib/live-store';
import { connectLive } from '@/lib/socket';
import { streamsFromRest, summaryFromRest, type StreamMark } from '@/lib/rest-live';
import type { Summaries } from '@/lib/types';
import { useSummaries } from '@/hooks/useServer';
import { useStreamsQuery } from '@/hooks/useStreams';

/**
 * Keeps the live store fed: socket.io when the server has it, otherwise the REST queries that
 * poll every 2 s. Stream/client events refetch the lists at once.
 */
export function LiveFeed() {
  const settings = useSettings();
  const hydrated = useHydrated();
  const base = hydrated ? apiBase(settings) : '';
  const qc = useQueryClient();
  const summaries = useSummaries();
  const streams = useStreamsQuery();
  const prevSummary = useRef<Summaries | null>(null);
  const frameMarks = useRef(new Map<string, StreamMark>());

  useEffect(() => {
    if (!base) return;
    live.reset();
    live.setStatus('connecting');
    prevSummary.current = null;
    frameMarks.current.clear();
    const stop = connectLive(
      base,
      { username: settings.username, password: settings.password, authorization: authHeader(settings) },
      {
        onStatus: (ok, detail) => live.setStatus(ok ? 'live' : 'polling', detail),
        onSummary: (s) => live.pushSummary(s),
        onStreams: (s) => live.pushStreams(s),
        onHistory: (h) => live.loadHistory(h),
        onCluster: (c) => live.pushCluster(c),
        onEvent: (e) => {
          live.pushEvent(e);
          if (e.type.startsWith('stream:') || e.type.startsWith('client:')) {
            void qc.invalidateQueries({ queryKey: ['streams'] });
            void qc.invalidateQueries({ queryKey: ['clients'] });
            void qc.invalidateQueries({ queryKey: ['summaries'] });
          }
          if (e.type === 'dvr:file') void qc.invalidateQueries({ queryKey: ['recordings'] });
        },
      },
    );
    return stop;
  }, [base, settings, qc]);

  // Polling fallback: convert REST answers into live samples once socket.io turned out not to be
  // live (not while it connects: its history, not one polled sample, should draw the first chart).
  useEffect(() => {
    if (!summaries.data || live.get().status === 'live' || live.get().status === 'connecting') return;
    // sampled at the server's now_ms: the chart's time axis is the server clock, as with socket.io
    live.pushSummary(summaryFromRest(summaries.data, prevSummary.current, streams.data));
    prevSummary.current = summaries.data;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [summaries.dataUpdatedAt]);

  useEffect(() => {
    if (!streams.data || live.get().status === 'live') return;
    live.pushStreams(streamsFromRest(streams.data, frameMarks.current));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [streams.dataUpdatedAt]);

  return null;
}
