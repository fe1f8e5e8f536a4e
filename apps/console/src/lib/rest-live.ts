/**
 * The polling fallback's figures (socket.io unavailable): REST answers turned into the live
 * feed's shapes, with every rate taken over the server's timestamps in the answers.
 */
import type { StreamStat } from './live-store';
import type { LiveSummary, Stream, Summaries } from './types';

/**
 * REST summaries -> the socket's summary shape; kbps from the byte counters' deltas over the
 * server's sample times (`srs_sample_time`), not the browser's clock.
 */
export function summaryFromRest(d: Summaries, prev: Summaries | null, streams: Stream[] | undefined): LiveSummary {
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
    // '' = this node: REST does not name it (the live feed does)
    node: '',
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

/** What the previous answer said of a stream. */
export interface StreamMark {
  /** server time of the answer (`live_ms`) */
  t: number;
  frames: number;
  recv: number;
  send: number;
}

/**
 * REST streams -> the socket's `streams` shape. fps and kbps are the frame and byte counters'
 * deltas over the server's own clock between two answers (each stream's `live_ms`, the time the
 * server wrote it), so a slow or late poll does not change the rate. For the first answer, and
 * when the clock or a counter does not move forward (a republish restarts them): no fps, and
 * the server's 30 s kbps.
 */
export function streamsFromRest(list: Stream[], marks: Map<string, StreamMark>): StreamStat[] {
  return list.map((s) => {
    let fps: number | null = null;
    let kbps = { recv: s.kbps.recv_30s, send: s.kbps.send_30s };
    const t = s.live_ms;
    const m = marks.get(s.id);
    if (m && t > m.t) {
      const ms = t - m.t;
      if (s.frames >= m.frames) fps = ((s.frames - m.frames) * 1000) / ms;
      // bytes/ms * 8 = kbit/s
      if (s.recv_bytes >= m.recv && s.send_bytes >= m.send) kbps = { recv: ((s.recv_bytes - m.recv) * 8) / ms, send: ((s.send_bytes - m.send) * 8) / ms };
    }
    marks.set(s.id, { t, frames: s.frames, recv: s.recv_bytes, send: s.send_bytes });
    return {
      node: '',
      id: s.id,
      vhost: s.vhost,
      app: s.app,
      name: s.name,
      url: s.url,
      clients: s.clients,
      kbps,
      fps,
      keyframe_interval_ms: null,
      dropped: 0,
      video: s.video,
      audio: s.audio,
      publish: s.publish,
      recording: null,
      now_ms: t,
    };
  });
}
