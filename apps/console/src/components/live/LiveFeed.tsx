'use client';

import { useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { apiBase, authHeader, useHydrated, useSettings } from '@/lib/settings';
import { live } from '@/lib/live-store';
import { connectLive } from '@/lib/socket';
import type { LiveSummary, Stream, Summaries } from '@/lib/types';
import type { StreamStat } from '@/lib/live-store';
import { useSummaries } from '@/hooks/useServer';
import { useStreamsQuery } from '@/hooks/useStreams';

/** REST summaries -> the socket's summary shape; kbps from the byte counters' deltas. */
function summaryFromRest(d: Summaries, prev: Summaries | null, streams: Stream[] | undefined): LiveSummary {
  let recv: number | null = null;
  let send: number | null = null;
  const sys = d.system;
  if (prev) {
    const dt = (sys.srs_sample_time - prev.system.srs_sample_time) / 1000;
    const dr = sys.srs_recv_bytes - prev.system.srs_recv_bytes;
    const ds = sys.srs_send_bytes - prev.system.srs_send_bytes;
    if (dt > 0.2 && dr >= 0 && ds >= 0) {
      recv = (dr * 8) / 1000 / dt;
      send = (ds * 8) / 1000 / dt;
    }
  }
  if (recv === null && streams) {
    recv = streams.reduce((a, s) => a + (s.kbps.recv_30s), 0);
    send = streams.reduce((a, s) => a + (s.kbps.send_30s), 0);
  }
  return {
    now_ms: d.now_ms,
    uptime_s: d.self.srs_uptime,
    version: d.self.version,
    // /api/v1/summaries sends 0..1 ratios (as SRS); the live summary is in percent
    cpu_percent: d.self.cpu_percent * 100,
    mem_rss_kbyte: d.self.mem_kbyte,
    mem_percent: d.self.mem_percent * 100,
    connections: sys.conn_srs,
    streams: streams ? streams.filter((s) => s.publish.active).length : 0,
    // NaN = not known yet (first sample without a previous one); the chart leaves a gap.
    kbps: { recv: recv ?? NaN, send: send ?? NaN },
  };
}

interface FrameMark {
  t: number;
  frames: number;
}

function streamsFromRest(list: Stream[], t: number, marks: Map<string, FrameMark>): StreamStat[] {
  return list.map((s) => {
    let fps: number | null = null;
    const m = marks.get(s.id);
    if (fps === null && m && t > m.t && s.frames >= m.frames) fps = ((s.frames - m.frames) * 1000) / (t - m.t);
    marks.set(s.id, { t, frames: s.frames });
    return {
      id: s.id,
      vhost: s.vhost,
      app: s.app,
      name: s.name,
      url: s.url,
      clients: s.clients,
      kbps: { recv: s.kbps.recv_30s, send: s.kbps.send_30s },
      fps,
      keyframe_interval_ms: null,
      dropped: 0,
      video: s.video,
      audio: s.audio,
      publish: s.publish,
      recording: null,
    };
  });
}

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
  const frameMarks = useRef(new Map<string, FrameMark>());

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
    live.pushSummary(summaryFromRest(summaries.data, prevSummary.current, streams.data), summaries.dataUpdatedAt);
    prevSummary.current = summaries.data;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [summaries.dataUpdatedAt]);

  useEffect(() => {
    if (!streams.data || live.get().status === 'live') return;
    live.pushStreams(streamsFromRest(streams.data, streams.dataUpdatedAt, frameMarks.current), streams.dataUpdatedAt);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [streams.dataUpdatedAt]);

  return null;
}
