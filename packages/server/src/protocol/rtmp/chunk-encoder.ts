/**
 * RTMP chunk stream encoder: one complete message -> one Buffer holding a fmt 0 chunk and
 * as many fmt 3 continuation chunks as the chunk size requires.
 *
 * fmt 0 always: it makes every encoded message self-contained, so the same Buffer can be
 * written to any number of players (see Packet.rtmp) whatever they were sent before.
 * When the timestamp needs the extended field, it is repeated after every fmt 3 header,
 * as Flash Player and FFmpeg expect.
 */
import type { RtmpMessage } from './messages.js';
import { RtmpProtocolError } from './messages.js';

const TWO_32 = 0x1_0000_0000;

/** Reduces any (possibly negative or > 32-bit) ms timestamp to the uint32 sent on the wire. */
export function wireTimestamp(ms: number): number {
  const t = Math.floor(ms) % TWO_32;
  return t < 0 ? t + TWO_32 : t;
}

/**
 * Extends a uint32 wire timestamp to a monotonic-ish ms timeline, given the previous
 * extended value: picks the candidate nearest to `previous` (handles wrap both ways).
 */
export function unwrapTimestamp(previous: number, wire: number): number {
  const base = previous - wireTimestamp(previous);
  let t = base + wire;
  if (t - previous > TWO_32 / 2) t -= TWO_32;
  else if (previous - t > TWO_32 / 2) t += TWO_32;
  return t;
}

/** Size of the basic header for a chunk stream id. */
export function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

function writeBasicHeader(buf: Buffer, off: number, fmt: number, csid: number): number {
  if (csid < 64) {
    buf[off] = (fmt << 6) | csid;
    return off + 1;
  }
  if (csid < 320) {
    buf[off] = fmt << 6;
    buf[off + 1] = csid - 64;
    return off + 2;
  }
  const v = csid - 64;
  buf[off] = (fmt << 6) | 1;
  buf[off + 1] = v & 0xff;
  buf[off + 2] = v >> 8;
  return off + 3;
}

export type EncodableMessage = Pick<RtmpMessage, 'typeId' | 'streamId' | 'timestamp' | 'csid' | 'payload'>;

/** Encodes a whole message into chunks in a single allocation. */
export function encodeMessage(msg: EncodableMessage, chunkSize: number): Buffer {
  const { typeId, streamId, csid, payload } = msg;
  if (csid < 2 || csid > 65599) throw new RtmpProtocolError(`invalid chunk stream id ${csid}`);
  if (chunkSize < 1) throw new RtmpProtocolError(`invalid chunk size ${chunkSize}`);
  if (payload.length > 0xffffff) throw new RtmpProtocolError(`message too large (${payload.length} bytes)`);
  const ts = wireTimestamp(msg.timestamp);
  const extended = ts >= 0xffffff;
  const bh = basicHeaderSize(csid);
  const ext = extended ? 4 : 0;
  const len = payload.length;
  const chunks = len === 0 ? 1 : Math.ceil(len / chunkSize);
  const size = bh + 11 + ext + len + (chunks - 1) * (bh + ext);
  const buf = Buffer.allocUnsafe(size);

  let off = writeBasicHeader(buf, 0, 0, csid);
  buf.writeUIntBE(extended ? 0xffffff : ts, off, 3);
  buf.writeUIntBE(len, off + 3, 3);
  buf[off + 6] = typeId;
  buf.writeUInt32LE(streamId >>> 0, off + 7);
  off += 11;
  if (extended) off = buf.writeUInt32BE(ts, off);

  let pos = 0;
  for (;;) {
    const n = Math.min(chunkSize, len - pos);
    payload.copy(buf, off, pos, pos + n);
    off += n;
    pos += n;
    if (pos >= len) break;
    off = writeBasicHeader(buf, off, 3, csid);
    if (extended) off = buf.writeUInt32BE(ts, off);
  }
  return buf;
}
