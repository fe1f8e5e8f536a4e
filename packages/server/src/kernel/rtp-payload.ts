/**
 * What the RTP packetizers (rtp-h264.ts, rtp-opus.ts) hand to an RTP session:
 * payloads with the marker bit and the RTP timestamp; the session adds the
 * header (sequence number, SSRC, payload type) and sends.
 */

export interface RtpPayloadOut {
  /** the RTP payload (no RTP header) */
  payload: Buffer;
  /** RTP marker bit: the last packet of an access unit (video) / a talkspurt start (Opus) */
  marker: boolean;
  /** RTP timestamp, 32 bits */
  timestamp: number;
}

const TS_WRAP = 2 ** 32;

/** A media-clock timestamp (90 kHz, 48 kHz, ...) plus a session offset as a 32-bit RTP timestamp. */
export function rtpTimestamp(ticks: number, offset = 0): number {
  const t = (Math.round(ticks) + offset) % TS_WRAP;
  return t < 0 ? t + TS_WRAP : t;
}
