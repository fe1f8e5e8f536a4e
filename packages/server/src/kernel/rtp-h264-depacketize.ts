/**
 * H.264 access units from RTP payloads (RFC 6184, non-interleaved mode, packetization-mode=1):
 * the way back from `rtp-h264.ts`.
 *
 * - Single NAL unit packet (types 1-23, 5.6): the payload is the NAL unit.
 * - STAP-A (type 24, 5.7.1): one NAL header byte, then `size:16` + NAL unit, repeated.
 * - FU-A (type 28, 5.8): FU indicator (F, NRI, 28) + FU header (S, E, R, type) + fragment; the
 *   NAL header is rebuilt as `F|NRI|type` when S is set, fragments are joined up to E.
 * - STAP-B, MTAP and FU-B (interleaved mode) are not used by mode 1: counted and ignored.
 *
 * An access unit is every NAL unit of one RTP timestamp; it ends at the marker bit (5.1) or when
 * a packet with another timestamp arrives. A gap in sequence numbers drops the access unit it
 * hits and every following one up to the next IDR (a decoder cannot use frames that reference a
 * broken one); `needKeyframe` then tells the receiver to ask for one (PLI, RFC 4585 6.3.1).
 * Payloads are copied only where FU-A fragments are joined. Bounded: an access unit over
 * `maxAccessUnitBytes` or `maxNalus` is dropped as if a packet had been lost, FU-A fragments
 * still being joined included (a sender that never sets the end bit or the marker holds at most
 * that much, `pendingBytes`).
 */

export interface H264AccessUnit {
  /** NAL units without start codes or lengths (emulation prevention kept) */
  nalus: Buffer[];
  /** the RTP timestamp (90 kHz, 32-bit) */
  timestamp: number;
  /** holds an IDR slice (nal_unit_type 5) */
  keyframe: boolean;
}

export interface H264DepacketizeLimits {
  maxAccessUnitBytes: number;
  maxNalus: number;
}

const STAP_A = 24;
const FU_A = 28;
const IDR = 5;

export class H264Depacketizer {
  /** access units dropped (loss, oversize, waiting for an IDR) */
  dropped = 0;
  /** packets of types mode 1 does not use, and malformed ones */
  ignored = 0;
  /** true from the start and after a loss until an IDR comes through */
  needKeyframe = true;

  private nalus: Buffer[] = [];
  private bytes = 0;
  private timestamp = -1;
  private broken = false;
  private fragments: Buffer[] | undefined;
  /** bytes in `fragments` */
  private fragmentBytes = 0;
  private expectedSeq = -1;

  constructor(private readonly limits: H264DepacketizeLimits = { maxAccessUnitBytes: 8 * 1024 * 1024, maxNalus: 1024 }) {}

  /** Bytes held for the access unit being assembled: its NAL units and the FU-A fragments so far. */
  get pendingBytes(): number {
    return this.bytes + this.fragmentBytes;
  }

  /**
   * One RTP packet's payload with its header fields (sequence number 16-bit, timestamp 32-bit,
   * marker). Returns the access units it completes (0, 1 or 2), oldest first.
   */
  push(payload: Buffer, seq: number, timestamp: number, marker: boolean): H264AccessUnit[] {
    const out: H264AccessUnit[] = [];
    // lost (or reordered, which this receiver treats the same) packets break an access unit
    const gap = this.expectedSeq >= 0 && seq !== this.expectedSeq;
    this.expectedSeq = (seq + 1) & 0xffff;
    if (timestamp !== this.timestamp) {
      const open = this.nalus.length > 0 || this.fragments !== undefined || this.broken;
      if (this.timestamp >= 0 && open) {
        // the previous one had no marker yet: what was lost was (at least) its end
        if (gap) this.broken = true;
        this.finish(out);
      } else if (gap) {
        // the previous one had ended at its marker: what was lost began this one
        this.broken = true;
      }
      this.timestamp = timestamp;
    } else if (gap) {
      this.broken = true;
      this.resetFragments(undefined);
    }
    this.take(payload);
    if (marker) this.finish(out);
    return out;
  }

  private take(p: Buffer): void {
    if (p.length < 1) return void this.ignored++;
    const type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) return this.add(p);
    if (type === STAP_A) {
      let at = 1;
      while (at + 2 <= p.length) {
        const size = p.readUInt16BE(at);
        at += 2;
        if (size === 0 || at + size > p.length) return void this.ignored++;
        this.add(p.subarray(at, at + size));
        at += size;
      }
      return;
    }
    if (type === FU_A) {
      if (p.length < 3) return void this.ignored++;
      const start = (p[1] & 0x80) !== 0;
      const end = (p[1] & 0x40) !== 0;
      if (start) this.resetFragments([Buffer.from([(p[0] & 0xe0) | (p[1] & 0x1f)])]);
      if (!this.fragments) return; // the start was lost (or the NAL unit was too big): the access unit is broken
      this.fragments.push(p.subarray(2));
      this.fragmentBytes += p.length - 2;
      if (this.bytes + this.fragmentBytes > this.limits.maxAccessUnitBytes) {
        this.broken = true;
        return this.resetFragments(undefined);
      }
      if (end) {
        const nalu = Buffer.concat(this.fragments);
        this.resetFragments(undefined);
        this.add(nalu);
      }
      return;
    }
    this.ignored++;
  }

  /** Starts joining a new FU-A NAL unit (its rebuilt header) or, with undefined, stops. */
  private resetFragments(start: Buffer[] | undefined): void {
    this.fragments = start;
    this.fragmentBytes = start ? start[0].length : 0;
  }

  private add(nalu: Buffer): void {
    if (this.pendingBytes + nalu.length > this.limits.maxAccessUnitBytes || this.nalus.length >= this.limits.maxNalus) {
      this.broken = true;
      return;
    }
    this.bytes += nalu.length;
    this.nalus.push(nalu);
  }

  private finish(out: H264AccessUnit[]): void {
    const nalus = this.nalus;
    const broken = this.broken || this.fragments !== undefined;
    this.nalus = [];
    this.bytes = 0;
    this.broken = false;
    this.resetFragments(undefined);
    if (broken) {
      this.needKeyframe = true;
      this.dropped++;
      return;
    }
    if (nalus.length === 0) return;
    const keyframe = nalus.some((n) => (n[0] & 0x1f) === IDR);
    if (this.needKeyframe && !keyframe) {
      this.dropped++;
      return;
    }
    if (keyframe) this.needKeyframe = false;
    out.push({ nalus, timestamp: this.timestamp, keyframe });
  }
}
