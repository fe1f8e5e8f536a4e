/**
 * Byte-counter sampler giving SRS's kbps figures (recv_30s / send_30s).
 *
 * Counters are read lazily (from socket.bytesRead/bytesWritten or a running
 * total), so the hot path never touches this; `sample()` is called once a
 * second by the stats ticker.
 */
const WINDOW_MS = 30_000;

interface Sample {
  at: number;
  recv: number;
  send: number;
}

export class KbpsSampler {
  private samples: Sample[] = [];

  sample(recvBytes: number, sendBytes: number, now = Date.now()): void {
    this.samples.push({ at: now, recv: recvBytes, send: sendBytes });
    // Keep one sample older than the window so the window is always covered.
    while (this.samples.length > 2 && now - this.samples[1].at >= WINDOW_MS) this.samples.shift();
  }

  /** kbps over the last `windowMs` (default 30 s, shorter if not yet covered). */
  kbps(windowMs = WINDOW_MS): { recv: number; send: number } {
    const n = this.samples.length;
    if (n < 2) return { recv: 0, send: 0 };
    const last = this.samples[n - 1];
    let first = this.samples[0];
    for (let i = n - 2; i >= 0; i--) {
      first = this.samples[i];
      if (last.at - first.at >= windowMs) break;
    }
    const ms = last.at - first.at;
    if (ms <= 0) return { recv: 0, send: 0 };
    return {
      recv: Math.round(((last.recv - first.recv) * 8) / ms),
      send: Math.round(((last.send - first.send) * 8) / ms),
    };
  }
}
