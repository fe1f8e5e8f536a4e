/**
 * Short-window figures of the live feed: per-stream kbps and fps over the last few seconds
 * (SRS's 30 s kbps reacts too slowly for a dashboard), from the counters the live model reports
 * (ApiQueries.streamFigures). Sampled once a second off the media path.
 */
import type { LiveKbps, LiveStream } from '@tsrs/api-types';
import type { StreamFigures } from '../app/api-model.js';

/** The window of the live rates. */
export const LIVE_WINDOW_MS = 3000;

interface Mark {
  at: number;
  frames: number;
  /** stream time of the last counted frame (ms) */
  dts: number;
  recv: number;
  send: number;
}

/**
 * A few timestamped counter samples; rates are taken over the oldest one inside the window.
 * kbps is bytes over wall-clock time; fps is frames over stream time (dts), so a publisher's
 * start-up burst (frames queued before the first sample arrive faster than real time) does not
 * read as 28 fps on a 25 fps stream.
 */
export class Marks {
  private marks: Mark[] = [];

  push(m: Mark): void {
    this.marks.push(m);
    // keep one sample at or beyond the window so it is always covered
    while (this.marks.length > 2 && m.at - this.marks[1].at >= LIVE_WINDOW_MS) this.marks.shift();
  }

  rates(): { fps: number; kbps: LiveKbps } {
    const n = this.marks.length;
    if (n < 2) return { fps: 0, kbps: { recv: 0, send: 0 } };
    const a = this.marks[0];
    const b = this.marks[n - 1];
    const ms = b.at - a.at;
    if (ms <= 0) return { fps: 0, kbps: { recv: 0, send: 0 } };
    const rate = (d: number) => Math.max(0, d) / ms;
    return {
      fps: Math.round(this.fps() * 100) / 100,
      // bytes/ms * 8 = kbit/s
      kbps: { recv: Math.round(rate(b.recv - a.recv) * 8), send: Math.round(rate(b.send - a.send) * 8) },
    };
  }

  /**
   * Frames per second of stream time: the frames counted after the oldest mark that had seen a
   * frame, over the dts they span. 0 until two marks with frames, and when stream time does not
   * move forward (a republish restarts it).
   */
  private fps(): number {
    const b = this.marks[this.marks.length - 1];
    const a = this.marks.find((m) => m.frames > 0);
    if (!a || a === b) return 0;
    const frames = b.frames - a.frames;
    const span = b.dts - a.dts;
    return frames > 0 && span > 0 ? (frames * 1000) / span : 0;
  }
}

/** Rates per stream id. */
export class StreamRates {
  private readonly byId = new Map<string, Marks>();

  /** One sample of each stream; streams no longer listed are forgotten. */
  sample(streams: Iterable<StreamFigures>, now = Date.now()): void {
    const seen = new Set<string>();
    for (const { view: s, lastFrameDts } of streams) {
      seen.add(s.id);
      let m = this.byId.get(s.id);
      if (!m) this.byId.set(s.id, (m = new Marks()));
      m.push({ at: now, frames: s.frames, dts: lastFrameDts, recv: s.recv_bytes, send: s.send_bytes });
    }
    for (const id of this.byId.keys()) if (!seen.has(id)) this.byId.delete(id);
  }

  /** The `streams` item of one stream. */
  view(f: StreamFigures, now = Date.now()): Omit<LiveStream, 'node'> {
    const s = f.view;
    const { fps, kbps } = this.byId.get(s.id)?.rates() ?? { fps: 0, kbps: { recv: 0, send: 0 } };
    return {
      id: s.id,
      vhost: s.vhost,
      app: s.app,
      name: s.name,
      url: s.url,
      clients: s.clients,
      kbps,
      fps,
      keyframe_interval_ms: f.keyframeIntervalMs,
      dropped: f.dropped,
      video: s.video,
      audio: s.audio,
      publish: s.publish,
      recording: f.recording,
      now_ms: now,
    };
  }
}
