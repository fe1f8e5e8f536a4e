/**
 * Timestamp correction for a publisher's stream (SRS's time_jitter).
 *
 * - full: monotonic timeline starting at 0; a step of more than 250 ms (or
 *   backwards) is replaced by a 10 ms step, which also smooths republish.
 * - zero: shift so the first packet is 0, keep the publisher's deltas.
 * - off:  keep the publisher's timestamps.
 *
 * Wire timestamps are uint32 ms and wrap after 49.7 days; every mode unwraps
 * them into a growing JS number (exact up to 2^53), and encoders write `>>> 0`.
 */
export type TimeJitter = 'full' | 'zero' | 'off';

const MAX_JITTER_MS = 250;
const DEFAULT_FRAME_MS = 10;
const WRAP = 0x1_0000_0000;

export class JitterCorrector {
  private lastWire = -1;
  private unwrapped = 0;
  private lastCorrect = -1;
  private prevInput = 0;
  private zeroBase = -1;

  constructor(private mode: TimeJitter = 'full') {}

  setMode(mode: TimeJitter): void {
    this.mode = mode;
  }

  /** Called on republish: 'zero' restarts at 0 again, 'full' stays continuous. */
  resetForRepublish(): void {
    // 'full': the new publisher's first packet continues 10 ms after the old one's last.
    this.prevInput = Number.NaN;
    this.lastWire = -1;
    this.unwrapped = 0;
    this.zeroBase = -1;
  }

  correct(wireTimestamp: number): number {
    const ts = this.unwrap(wireTimestamp >>> 0);
    switch (this.mode) {
      case 'off':
        return ts;
      case 'zero':
        if (this.zeroBase < 0) this.zeroBase = ts;
        return Math.max(0, ts - this.zeroBase);
      case 'full': {
        if (this.lastCorrect < 0) {
          this.lastCorrect = 0;
          this.prevInput = ts;
          return 0;
        }
        let delta = ts - this.prevInput;
        if (Number.isNaN(delta) || delta < -MAX_JITTER_MS || delta > MAX_JITTER_MS) delta = DEFAULT_FRAME_MS;
        this.prevInput = ts;
        this.lastCorrect = Math.max(0, this.lastCorrect + delta);
        return this.lastCorrect;
      }
    }
  }

  /** Extend 32-bit wire time into a monotonic-ish 53-bit timeline. */
  private unwrap(wire: number): number {
    if (this.lastWire >= 0) {
      // A backwards jump of more than half the range is a wrap, not jitter.
      if (wire < this.lastWire && this.lastWire - wire > WRAP / 2) this.unwrapped += WRAP;
      else if (wire > this.lastWire && wire - this.lastWire > WRAP / 2 && this.unwrapped >= WRAP) this.unwrapped -= WRAP;
    }
    this.lastWire = wire;
    return this.unwrapped + wire;
  }
}
