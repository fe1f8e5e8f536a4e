/**
 * RTP payloads for H.264 (RFC 6184, non-interleaved mode, packetization-mode=1):
 * one access unit in, the payloads of its RTP packets out.
 *
 * - Single NAL unit packet (5.6): a NAL unit that fits the MTU and has no small
 *   neighbour to share a packet with is sent as is: the payload is a subarray
 *   of the NAL unit, no copy.
 * - STAP-A (5.7.1): consecutive NAL units that fit one packet together (SPS +
 *   PPS before an IDR, SEI) are aggregated: a NAL header of type 24 (F = OR of
 *   theirs, NRI = highest), then a 16-bit size before each NAL unit.
 * - FU-A (5.8): a NAL unit over the MTU is cut into fragments, each with the FU
 *   indicator (F, NRI, type 28) and the FU header (S, E, original type); the
 *   original NAL header byte is not sent.
 *
 * The marker bit is set on the last packet of the access unit (5.1); every
 * packet carries its 90 kHz RTP timestamp (the PTS plus an offset, mod 2^32).
 */
import { CodecError } from './bit-reader.js';
import { rtpTimestamp, type RtpPayloadOut } from './rtp-payload.js';

export type { RtpPayloadOut } from './rtp-payload.js';

export interface H264PacketizeOptions {
  /** largest payload in bytes (MTU minus IP/UDP/RTP/SRTP overhead); default 1200 */
  maxPayload?: number;
  /** added to the PTS before it wraps to 32 bits (an RTP session's random start); default 0 */
  timestampOffset?: number;
  /** aggregate small NAL units into STAP-A packets; default true */
  aggregate?: boolean;
}

export const H264_RTP_CLOCK = 90000;
const STAP_A = 24;
const FU_A = 28;
/**
 * Packetizes one access unit given as NAL units (no start codes, emulation
 * prevention kept) with presentation time `pts90k`. Empty NAL units are
 * skipped; throws CodecError when `maxPayload` is below 3 bytes or there is
 * nothing to send.
 */
export function packetizeH264(nalus: readonly Uint8Array[], pts90k: number, opts: H264PacketizeOptions = {}): RtpPayloadOut[] {
  const max = opts.maxPayload ?? 1200;
  if (!Number.isInteger(max) || max < 3) throw new CodecError('rtp-h264', `payload size ${max} too small`);
  const timestamp = rtpTimestamp(pts90k, opts.timestampOffset ?? 0);
  const aggregate = opts.aggregate ?? true;
  const list = nalus.filter((n) => n.length > 0);
  if (list.length === 0) throw new CodecError('rtp-h264', 'an access unit without NAL units');
  const out: RtpPayloadOut[] = [];
  const push = (payload: Buffer) => out.push({ payload, marker: false, timestamp });
  let i = 0;
  while (i < list.length) {
    const nalu = list[i];
    if (nalu.length > max) {
      fragment(nalu, max, push);
      i++;
      continue;
    }
    // how many of the next NAL units fit one STAP-A with this one
    let size = 1 + 2 + nalu.length;
    let j = i + 1;
    if (aggregate) {
      while (j < list.length && size + 2 + list[j].length <= max) {
        size += 2 + list[j].length;
        j++;
      }
    }
    if (j - i === 1) push(asBuffer(nalu));
    else push(stapA(list.slice(i, j), size));
    i = j;
  }
  out[out.length - 1].marker = true;
  return out;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length);
}

function stapA(group: readonly Uint8Array[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let f = 0;
  let nri = 0;
  for (const n of group) {
    f |= n[0] & 0x80;
    nri = Math.max(nri, n[0] & 0x60);
  }
  out[0] = f | nri | STAP_A;
  let off = 1;
  for (const n of group) {
    out.writeUInt16BE(n.length, off);
    out.set(n, off + 2);
    off += 2 + n.length;
  }
  return out;
}

function fragment(nalu: Uint8Array, max: number, push: (b: Buffer) => void): void {
  const indicator = (nalu[0] & 0xe0) | FU_A;
  const type = nalu[0] & 0x1f;
  const room = max - 2;
  for (let off = 1; off < nalu.length; off += room) {
    const end = Math.min(nalu.length, off + room);
    const b = Buffer.allocUnsafe(2 + end - off);
    b[0] = indicator;
    b[1] = (off === 1 ? 0x80 : 0) | (end === nalu.length ? 0x40 : 0) | type;
    b.set(nalu.subarray(off, end), 2);
    push(b);
  }
}
