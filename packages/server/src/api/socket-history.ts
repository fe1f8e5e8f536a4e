/**
 * The last ten minutes of the live feed's `summary`, one sample a second, so a console that
 * connects draws full charts on its first paint instead of starting empty.
 */
import type { LiveHistory, LiveHistorySample, LiveSummary } from '@tsrs/api-types';

/** Samples kept: 10 minutes at one a second. */
export const HISTORY_SAMPLES = 600;

/**
 * A bounded ring of per-second summary samples: it never holds more than `capacity` entries
 * (600 by default, about 30 KB), the oldest is overwritten first. Pushing is O(1) and allocates
 * one small object; reading copies the samples out, oldest first.
 */
export class SummaryRing {
  private readonly buf: (LiveHistorySample | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity = HISTORY_SAMPLES) {
    this.buf = new Array<LiveHistorySample | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(s: LiveSummary): void {
    this.buf[this.next] = {
      t: s.now_ms,
      recv_kbps: s.kbps.recv,
      send_kbps: s.kbps.send,
      cpu_percent: s.cpu_percent,
      mem_rss_kbyte: s.mem_rss_kbyte,
      connections: s.connections,
      streams: s.streams,
    };
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest first. */
  samples(): LiveHistorySample[] {
    const out: LiveHistorySample[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.buf[(start + i) % this.capacity]!);
    return out;
  }

  history(): LiveHistory {
    return { interval_ms: 1000, capacity: this.capacity, samples: this.samples() };
  }
}
