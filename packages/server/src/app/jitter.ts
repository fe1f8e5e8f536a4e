/**
 * Timestamp correction for a publisher's stream (SRS's time_jitter).
 *
 * - full: monotonic timeline starting at 0; a step of more than 250 ms (or
 *   backwards) is replaced by a 10 ms step, which also smooths republish. As in SRS, a
 *   packet's step is measured from the packet before it, but per track: audio that reaches
 *   tsrs behind the video of the same time (an audio transcoder's delay, an MPEG-TS muxer's
 *   interleave) is not a jump (measured across the tracks, every change of track would be one,
 *   and two frames of a track could get one DTS). A packet near neither its own track's last
 *   time nor another track's is a jump: it is placed 10 ms after the latest output, and a track
 *   that comes back near another one takes that one's offset again (both jumped together). A
 *   track's first packet shares another track's clock if it is within 5 s of it (audio whose
 *   first frame comes from a transcoder that just started is not moved onto the video's end).
 * - zero: shift so the first packet is 0, keep the publisher's deltas.
 * - off:  keep the publisher's timestamps.
 *
 * Wire timestamps are uint32 ms and wrap after 49.7 days; every mode unwraps
 * them into a growing JS number (exact up to 2^53), and encoders write `>>> 0`.
 */
export type TimeJitter = 'full' | 'zero' | 'off';

const MAX_JITTER_MS = 250;
const DEFAULT_FRAME_MS = 10;
/** how far a track's first packet may be from another track's time and still share its clock */
const MAX_JOIN_SKEW_MS = 5000;
const WRAP = 0x1_0000_0000;

/** A track's last input (unwrapped ms) and the offset that places it on the output timeline. */
interface TrackTime {
  input: number;
  offset: number;
}

/** Whether a track's last input time is within `window` ms of `ts`. */
function near(t: TrackTime, ts: number, window: number): boolean {
  return Math.abs(ts - t.input) <= window;
}

export class JitterCorrector {
  private lastWire = -1;
  private unwrapped = 0;
  /** the largest output so far ('full'), -1 before the first packet */
  private lastCorrect = -1;
  private readonly tracks = new Map<string, TrackTime>();
  private zeroBase = -1;
  /**
   * whether the last `correct()` placed its packet before the timeline's 0 ('full', 'zero'):
   * a track whose first packets are older than the first packet of the stream (a WHIP
   * publisher's audio, which comes out of the transcoder after its video started); the DTS
   * returned is then 0
   */
  beforeStart = false;

  constructor(private mode: TimeJitter = 'full') {}

  setMode(mode: TimeJitter): void {
    this.mode = mode;
  }

  /** Called on republish: 'zero' restarts at 0 again, 'full' stays continuous. */
  resetForRepublish(): void {
    // 'full': the new publisher's first packet continues 10 ms after the old one's last.
    this.tracks.clear();
    this.lastWire = -1;
    this.unwrapped = 0;
    this.zeroBase = -1;
  }

  /**
   * A packet's wire timestamp (ms, uint32) -> its DTS (ms) on the stream's timeline. `track`
   * names the packet's track ('audio', 'video', 'script'): 'full' measures steps per track.
   */
  correct(wireTimestamp: number, track = 'video'): number {
    const ts = this.unwrap(wireTimestamp >>> 0);
    switch (this.mode) {
      case 'off':
        this.beforeStart = false;
        return ts;
      case 'zero':
        if (this.zeroBase < 0) this.zeroBase = ts;
        this.beforeStart = ts < this.zeroBase;
        return Math.max(0, ts - this.zeroBase);
      case 'full': {
        const own = this.tracks.get(track);
        let offset: number;
        if (this.lastCorrect < 0) offset = -ts;
        else if (own && near(own, ts, MAX_JITTER_MS)) offset = own.offset;
        else {
          // a track's first packet joins the others' clock from further away (a transcoder's start)
          const window = own ? MAX_JITTER_MS : MAX_JOIN_SKEW_MS;
          let other: TrackTime | undefined;
          for (const t of this.tracks.values()) if (near(t, ts, window)) other = other ?? t;
          offset = other ? other.offset : this.lastCorrect + DEFAULT_FRAME_MS - ts;
        }
        // the track's state is updated in place: nothing is made per packet
        if (own) {
          own.input = ts;
          own.offset = offset;
        } else this.tracks.set(track, { input: ts, offset });
        const raw = ts + offset;
        this.beforeStart = raw < 0;
        const out = Math.max(0, raw);
        this.lastCorrect = Math.max(this.lastCorrect, out);
        return out;
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
