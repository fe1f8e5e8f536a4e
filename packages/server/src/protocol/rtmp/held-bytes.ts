/**
 * One bound on the RTMP input bytes all connections of a process hold together.
 *
 * Each connection's ChunkDecoder already bounds what that one connection holds (input queued
 * while a hook decides, plus the messages it has received part of: at most 4 x the largest
 * message, 32 MiB). A client that opens many connections and sends each most of a few large
 * messages, never the last chunk, would still make the process hold that much per connection
 * (24 MiB x max_connections). `HeldBytesBudget` sums what every connection reports and, past
 * `limit()` bytes, closes the connection that holds the most (the others, a healthy publisher
 * with a frame in flight among them, keep going).
 */

/** A connection whose held bytes count against the budget. */
export interface BytesHolder {
  /** called once when the budget drops it; the holder closes itself */
  evict(held: number, total: number, limit: number): void;
}

export class HeldBytesBudget {
  private readonly held = new Map<BytesHolder, number>();
  private sum = 0;
  /** connections closed because the sum went over the limit */
  evicted = 0;

  /** @param limit bytes all holders may hold together, read at each update; 0 = no bound */
  constructor(private readonly limit: () => number) {}

  /** Bytes held by every holder together. */
  get total(): number {
    return this.sum;
  }

  /**
   * Records that `holder` now holds `bytes` (0 forgets it). Past the limit, evicts holders,
   * largest first, until the sum is within it again (an evicted holder counts 0 from then on).
   */
  update(holder: BytesHolder, bytes: number): void {
    const before = this.held.get(holder) ?? 0;
    if (bytes > 0) this.held.set(holder, bytes);
    else this.held.delete(holder);
    this.sum += bytes - before;
    const limit = this.limit();
    while (limit > 0 && this.sum > limit) {
      let top: BytesHolder | undefined;
      let most = 0;
      for (const [h, n] of this.held) {
        if (n > most) {
          most = n;
          top = h;
        }
      }
      if (!top) break;
      const total = this.sum;
      this.held.delete(top);
      this.sum -= most;
      this.evicted++;
      top.evict(most, total, limit);
    }
  }

  /** Forgets a holder (its connection closed). */
  remove(holder: BytesHolder): void {
    this.update(holder, 0);
  }
}
