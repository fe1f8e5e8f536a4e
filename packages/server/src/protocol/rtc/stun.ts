/**
 * Just enough STUN (RFC 8489) to route a datagram on a shared WebRTC port: is it STUN, and whose
 * ICE username fragment does it name. Pure; never throws on garbage.
 *
 * RFC 7983 tells the protocols apart by the first byte: 0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP.
 * A STUN message: 2 bits 0, 14-bit type, 16-bit length (a multiple of 4), the magic cookie
 * 0x2112A442, a 96-bit transaction id, then attributes (type, length, value padded to 4 bytes).
 * In an ICE connectivity check (RFC 8445 7.2.2) USERNAME is `receiverUfrag:senderUfrag`, PRIORITY
 * (0x0024, 32 bits) the sender's candidate priority and USE-CANDIDATE (0x0025, empty) nominates the pair;
 * MESSAGE-INTEGRITY (0x0008, RFC 8489 14.5) is an HMAC-SHA1 keyed with the receiver's ICE password.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const STUN_MAGIC_COOKIE = 0x2112a442;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const ATTR_PRIORITY = 0x0024;
const ATTR_USE_CANDIDATE = 0x0025;
const BINDING_REQUEST = 0x0001;
const HEADER = 20;

/** True for a datagram that is a well-formed STUN message header (RFC 8489 5, RFC 7983). */
export function isStun(d: Uint8Array): boolean {
  if (d.length < HEADER || d[0] > 3) return false;
  const length = (d[2] << 8) | d[3];
  if (length % 4 !== 0 || HEADER + length !== d.length) return false;
  return ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0 === STUN_MAGIC_COOKIE;
}

/** True for a STUN Binding request (RFC 8489 5: method 0x001, class request), e.g. an ICE connectivity check. */
export function isBindingRequest(d: Uint8Array): boolean {
  return isStun(d) && ((d[0] << 8) | d[1]) === BINDING_REQUEST;
}

/** The value of the first attribute of `type` in a STUN message, or undefined (not STUN, none, malformed). */
function stunAttribute(d: Uint8Array, wanted: number): Buffer | undefined {
  if (!isStun(d)) return undefined;
  let at = HEADER;
  while (at + 4 <= d.length) {
    const type = (d[at] << 8) | d[at + 1];
    const len = (d[at + 2] << 8) | d[at + 3];
    const start = at + 4;
    if (start + len > d.length) return undefined;
    if (type === wanted) return Buffer.from(d.buffer, d.byteOffset + start, len);
    at = start + ((len + 3) & ~3);
  }
  return undefined;
}

/** The USERNAME attribute of a STUN message as text, or undefined (not STUN, none, malformed). */
export function stunUsername(d: Uint8Array): string | undefined {
  return stunAttribute(d, ATTR_USERNAME)?.toString('utf8');
}

/**
 * The PRIORITY of a nominating connectivity check (a Binding request with USE-CANDIDATE,
 * RFC 8445 7.2.2 and 8.1.1), or undefined for any other datagram.
 */
export function nominationPriority(d: Uint8Array): number | undefined {
  if (!isBindingRequest(d) || !stunAttribute(d, ATTR_USE_CANDIDATE)) return undefined;
  const p = stunAttribute(d, ATTR_PRIORITY);
  return p && p.length === 4 ? p.readUInt32BE(0) : undefined;
}

/** The receiver's (our) ufrag of a connectivity check's USERNAME `ours:theirs`, or undefined. */
export function localUfragOf(d: Uint8Array): string | undefined {
  const u = stunUsername(d);
  if (u === undefined) return undefined;
  const colon = u.indexOf(':');
  return colon > 0 ? u.slice(0, colon) : undefined;
}

/**
 * True when the message carries a MESSAGE-INTEGRITY that checks out with `key` (for ICE: the
 * receiver's ice-pwd): HMAC-SHA1 over the message up to that attribute, with the header's length
 * counting through it (RFC 8489 14.5). False for anything else.
 */
export function stunIntegrityOk(d: Uint8Array, key: string): boolean {
  if (!isStun(d)) return false;
  let at = HEADER;
  while (at + 4 <= d.length) {
    const type = (d[at] << 8) | d[at + 1];
    const len = (d[at + 2] << 8) | d[at + 3];
    if (at + 4 + len > d.length) return false;
    if (type === ATTR_MESSAGE_INTEGRITY) {
      if (len !== 20) return false;
      const signed = Buffer.from(d.subarray(0, at));
      signed.writeUInt16BE(at + 24 - HEADER, 2);
      const mac = createHmac('sha1', key).update(signed).digest();
      return timingSafeEqual(mac, Buffer.from(d.subarray(at + 4, at + 24)));
    }
    at += 4 + ((len + 3) & ~3);
  }
  return false;
}

/**
 * An ICE connectivity check as a full agent sends it (RFC 8445 7.2.2, RFC 8489 5): a Binding
 * request with a random transaction ID and USERNAME `username` (`receiverUfrag:senderUfrag`); with
 * `priority`, PRIORITY that value and USE-CANDIDATE (a nominating check); with `key` (the
 * receiver's ice-pwd), MESSAGE-INTEGRITY, the header's length counting through it (14.5). tsrs
 * only answers checks (werift does, ICE-lite); this is what its tests and tools send as a client.
 */
export function encodeBindingRequest(username: string, opts: { priority?: number; key?: string } = {}): Buffer {
  const u = Buffer.from(username);
  const parts = [Buffer.from([ATTR_USERNAME >> 8, ATTR_USERNAME & 0xff, u.length >> 8, u.length & 0xff]), u, Buffer.alloc((4 - (u.length % 4)) % 4)];
  if (opts.priority !== undefined) {
    const priority = Buffer.from([ATTR_PRIORITY >> 8, ATTR_PRIORITY & 0xff, 0, 4, 0, 0, 0, 0]);
    priority.writeUInt32BE(opts.priority >>> 0, 4);
    parts.push(priority, Buffer.from([ATTR_USE_CANDIDATE >> 8, ATTR_USE_CANDIDATE & 0xff, 0, 0]));
  }
  const attrs = Buffer.concat(parts);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(BINDING_REQUEST, 0);
  head.writeUInt16BE(attrs.length + (opts.key === undefined ? 0 : 24), 2);
  head.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  randomBytes(12).copy(head, 8);
  if (opts.key === undefined) return Buffer.concat([head, attrs]);
  const mac = createHmac('sha1', opts.key).update(Buffer.concat([head, attrs])).digest();
  return Buffer.concat([head, attrs, Buffer.from([ATTR_MESSAGE_INTEGRITY >> 8, ATTR_MESSAGE_INTEGRITY & 0xff, 0, 20]), mac]);
}
