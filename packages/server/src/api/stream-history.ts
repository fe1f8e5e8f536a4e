/**
 * The last ten minutes of each stream's live figures (kbps, fps, keyframe interval, clients),
 * one sample a second, so a console opening a stream's page draws full charts at once
 * (`GET /api/v1/streams/{id}/samples`). The Overview's counterpart is SummaryRing.
 */
import type { LiveStreamHistory, LiveStreamSample } from '@tsrs/api-types';
import { HISTORY_SAMPLES } from './socket-history.js';

/** Streams whose history is kept at once (about 29 KB each at 600 samples). */
export const HISTORY_STREAMS = 64;

const FIELDS = ['t', 'recv_kbps', 'send_kbps', 'fps', 'keyframe_interval_ms', 'clients'] as const;

/** One stream's samples: a column per field in a fixed-size typed array, the oldest overwritten. */
class StreamRing {
  private readonly cols: Float64Array[];
  private next = 0;
  count = 0;

  constructor(readonly capacity: number) {
    this.cols = FIELDS.map(() => new Float64Array(capacity));
  }

  /** server time of the newest sample (ms), -Infinity when empty */
  get lastT(): number {
    return this.count ? this.cols[0][(this.next - 1 + this.capacity) % this.capacity] : -Infinity;
  }

  push(s: LiveStreamSample): void {
    FIELDS.forEach((f, i) => (this.cols[i][this.next] = s[f]));
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  samples(): LiveStreamSample[] {
    const out: LiveStreamSample[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const j = (start + k) % this.capacity;
      const s = {} as Record<(typeof FIELDS)[number], number>;
      FIELDS.forEach((f, i) => (s[f] = this.cols[i][j]));
      out.push(s);
    }
    return out;
  }
}

/**
 * Bounded per-stream rings: at most `maxStreams` streams of at most `capacity` samples each
 * (64 x 600 by default, under 2 MB). A stream that is no longer sampled keeps its history until
 * its newest sample is older than the window, or until a new stream needs its place (the one
 * sampled longest ago goes first). Streams still being sampled are never dropped for a new one:
 * past the bound, a new stream has no history until a place frees.
 */
export class StreamHistory {
  private readonly rings = new Map<string, StreamRing>();

  constructor(
    readonly capacity = HISTORY_SAMPLES,
    readonly maxStreams = HISTORY_STREAMS,
    /** the interval between samples, ms */
    readonly intervalMs = 1000,
  ) {}

  get size(): number {
    return this.rings.size;
  }

  /** One tick: a sample for each stream sampled now (server time `now`, ms). */
  sample(samples: ReadonlyMap<string, LiveStreamSample>, now: number): void {
    const windowMs = this.capacity * this.intervalMs;
    for (const [id, ring] of this.rings) if (!samples.has(id) && now - ring.lastT > windowMs) this.rings.delete(id);
    for (const [id, s] of samples) {
      let ring = this.rings.get(id);
      if (!ring) {
        if (this.rings.size >= this.maxStreams && !this.evictGone(samples)) continue;
        this.rings.set(id, (ring = new StreamRing(this.capacity)));
      }
      ring.push(s);
    }
  }

  /** Drops the stream not sampled now whose newest sample is oldest; false when all are live. */
  private evictGone(live: ReadonlyMap<string, unknown>): boolean {
    let oldest: string | undefined;
    let oldestT = Infinity;
    for (const [id, ring] of this.rings) {
      if (!live.has(id) && ring.lastT < oldestT) {
        oldest = id;
        oldestT = ring.lastT;
      }
    }
    return oldest !== undefined && this.rings.delete(oldest);
  }

  /** The stream's samples, oldest first; undefined when none are kept for it. */
  history(id: string): LiveStreamHistory | undefined {
    const ring = this.rings.get(id);
    return ring && { stream: id, interval_ms: this.intervalMs, capacity: this.capacity, samples: ring.samples() };
  }
}
