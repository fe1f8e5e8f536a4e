/**
 * RTP payloads for Opus (RFC 7587): one Opus packet per RTP packet, the payload
 * being the packet itself (a subarray, no copy), with a 48 kHz timestamp
 * whatever the encoder's input rate (4.1). The marker bit is set on the first
 * packet of a talkspurt, i.e. after a discontinuous transmission gap (4.1);
 * a continuous stream sets it on its first packet only.
 */
import { CodecError } from './bit-reader.js';
import { OPUS_CLOCK_RATE } from './opus.js';
import { rtpTimestamp, type RtpPayloadOut } from './rtp-payload.js';

export interface OpusPacketizeOptions {
  /** added to the 48 kHz timestamp before it wraps to 32 bits; default 0 */
  timestampOffset?: number;
  /** the first packet after silence (DTX) or of the stream; default false */
  talkspurtStart?: boolean;
}

/** 90 kHz (MPEG-TS, FLV ms x 90) -> 48 kHz ticks, rounded. */
export function opusTicksFrom90k(ticks90k: number): number {
  return Math.round((ticks90k * OPUS_CLOCK_RATE) / 90000);
}

/** The RTP payload of one Opus packet with presentation time `pts48k` (48 kHz ticks). */
export function packetizeOpus(packet: Buffer, pts48k: number, opts: OpusPacketizeOptions = {}): RtpPayloadOut {
  if (packet.length === 0) throw new CodecError('rtp-opus', 'an empty Opus packet');
  return { payload: packet, marker: opts.talkspurtStart ?? false, timestamp: rtpTimestamp(pts48k, opts.timestampOffset ?? 0) };
}
