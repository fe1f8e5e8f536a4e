/**
 * Lag histogram with 1 ms buckets up to 60 s: recording is one array increment,
 * percentiles scan once. Thousands of players share one, so memory stays flat.
 */
const MAX_MS = 60_000;

export class LagHistogram {
  private readonly buckets = new Uint32Array(MAX_MS + 1);
  count = 0;
  max = 0;

  record(ms: number): void {
    const b = ms <= 0 ? 0 : ms >= MAX_MS ? MAX_MS : Math.round(ms);
    this.buckets[b]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The value at quantile q (0..1), ms; undefined with no samples. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i <= MAX_MS; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    return MAX_MS;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.max = 0;
  }
}
