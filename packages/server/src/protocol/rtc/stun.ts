/**
 * Just enough STUN (RFC 8489) to route a datagram on a shared WebRTC port: is it STUN, and whose
 * ICE username fragment does it name. Pure; never throws on garbage.
 *
 * RFC 7983 tells the protocols apart by the first byte: 0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP.
 * A STUN message: 2 bits 0, 14-bit type, 16-bit length (a multiple of 4), the magic cookie
 * 0x2112A442, a 96-bit transaction id, then attributes (type, length, value padded to 4 bytes).
 * In an ICE connectivity check (RFC 8445 7.2.2) USERNAME is `receiverUfrag:senderUfrag`.
 */

export const STUN_MAGIC_COOKIE = 0x2112a442;
const ATTR_USERNAME = 0x0006;
const HEADER = 20;

/** True for a datagram that is a well-formed STUN message header (RFC 8489 5, RFC 7983). */
export function isStun(d: Uint8Array): boolean {
  if (d.length < HEADER || d[0] > 3) return false;
  const length = (d[2] << 8) | d[3];
  if (length % 4 !== 0 || HEADER + length !== d.length) return false;
  return ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0 === STUN_MAGIC_COOKIE;
}

/** The USERNAME attribute of a STUN message as text, or undefined (not STUN, none, malformed). */
export function stunUsername(d: Uint8Array): string | undefined {
  if (!isStun(d)) return undefined;
  let at = HEADER;
  while (at + 4 <= d.length) {
    const type = (d[at] << 8) | d[at + 1];
    const len = (d[at + 2] << 8) | d[at + 3];
    const start = at + 4;
    if (start + len > d.length) return undefined;
    if (type === ATTR_USERNAME) return Buffer.from(d.buffer, d.byteOffset + start, len).toString('utf8');
    at = start + ((len + 3) & ~3);
  }
  return undefined;
}

/** The receiver's (our) ufrag of a connectivity check's USERNAME `ours:theirs`, or undefined. */
export function localUfragOf(d: Uint8Array): string | undefined {
  const u = stunUsername(d);
  if (u === undefined) return undefined;
  const colon = u.indexOf(':');
  return colon > 0 ? u.slice(0, colon) : undefined;
}
