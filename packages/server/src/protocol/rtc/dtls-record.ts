/**
 * Just enough DTLS (RFC 6347) to look at a datagram on a shared WebRTC port without decrypting it.
 * Pure; never throws on garbage.
 *
 * RFC 7983: a first byte of 20-63 is DTLS. A DTLS record: content type (1 byte; 22 = handshake),
 * version (2), epoch (2), sequence number (6), length (2), then the fragment. An epoch-0 handshake
 * fragment starts with its handshake header: msg_type (1), length (3), message_seq (2),
 * fragment_offset (3), fragment_length (3).
 */

const RECORD_HEADER = 13;
const CONTENT_HANDSHAKE = 22;
/** RFC 6347 4.2.1 */
const HELLO_VERIFY_REQUEST = 3;

/** True when the first byte says DTLS (RFC 7983 7). */
export function isDtls(d: Uint8Array): boolean {
  return d.length >= RECORD_HEADER && d[0] >= 20 && d[0] <= 63;
}

/**
 * True for a datagram whose first record is a plaintext (epoch 0) HelloVerifyRequest: the
 * server's answer to a ClientHello without a cookie (RFC 6347 4.2.1).
 */
export function isHelloVerifyRequest(d: Uint8Array): boolean {
  if (!isDtls(d) || d[0] !== CONTENT_HANDSHAKE || d.length < RECORD_HEADER + 1) return false;
  const epoch = (d[3] << 8) | d[4];
  return epoch === 0 && d[RECORD_HEADER] === HELLO_VERIFY_REQUEST;
}
