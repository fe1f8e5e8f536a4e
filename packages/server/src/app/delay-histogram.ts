/**
 * A histogram of delays in ms with fixed buckets (Prometheus' cumulative form when read): O(1)
 * per sample, a fixed few numbers of memory, whatever the number of samples. tsrs keeps one for
 * the delay the server adds to WebRTC players' video (RtcPlayer: from the moment the Source took
 * a frame to the moment its RTP was handed to the send path), exposed in /metrics as
 * `tsrs_rtc_send_delay_ms` and read by the benchmark.
 */

/** upper bounds of the buckets, ms (the last, +Inf, is implied) */
export const DELAY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000];

export class DelayHistogram {
  /** samples per bucket (not cumulative); the last one is past the last bound */
  readonly counts = new Float64Array(DELAY_BUCKETS_MS.length + 1);
  count = 0;
  /** sum of the samples, ms */
  sum = 0;

  record(ms: number): void {
    let i = 0;
    while (i < DELAY_BUCKETS_MS.length && ms > DELAY_BUCKETS_MS[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sum += ms;
  }

  /** `[le, cumulative count]` pairs, the last with le = Infinity */
  cumulative(): [number, number][] {
    let n = 0;
    return [...DELAY_BUCKETS_MS, Infinity].map((le, i) => [le, (n += this.counts[i])]);
  }
}
