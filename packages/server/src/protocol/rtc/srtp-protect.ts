/**
 * SRTP protection (RFC 3711) of the RTP that tsrs sends to WebRTC players, for the
 * AES_CM_128_HMAC_SHA1_80 profile (RFC 5764 4.1.2), the one SRS uses and every WebRTC endpoint
 * implements (RFC 8827 6.5). The fan-out protects every packet once per player, so the
 * per-packet cost decides how many players a core serves; werift's own path makes a new
 * AES-CTR cipher per packet and allocates the header, counter, ROC and output separately.
 *
 * Per packet this does:
 * - the AES counter-mode keystream (RFC 3711 4.1.1) from ONE AES-128-ECB cipher kept for the
 *   session: ECB of the packet's counter blocks, IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR
 *   (index * 2^16) plus the block number, where index = ROC * 2^16 + SEQ (RFC 3711 3.3.1);
 * - the payload XORed with it in place (32 bits at a time when both are aligned);
 * - the authentication tag (RFC 3711 4.2.1): HMAC-SHA1 over the RTP header, the encrypted
 *   payload and the ROC, its first 80 bits appended.
 *
 * The session keys (k_e, k_s, k_a) are the ones werift derived from the DTLS-SRTP master key
 * (RFC 3711 4.3, RFC 5764 4.2); this module only protects. Errors: a key of the wrong length
 * throws a RangeError at construction; a packet without room for the tag throws at `protect`.
 */
import { createCipheriv, createHmac, createSecretKey, type Cipher, type KeyObject } from 'node:crypto';

/** bytes of the authentication tag of AES_CM_128_HMAC_SHA1_80 */
export const SRTP_AUTH_TAG_LENGTH = 10;
/** the largest RTP packet protected here, header included (a datagram fits one Ethernet MTU) */
export const SRTP_MAX_PACKET = 1500;
const BLOCK = 16;
const MAX_BLOCKS = Math.ceil(SRTP_MAX_PACKET / BLOCK);

/** Protects the RTP packets of ONE SSRC with one session's keys (not safe to share between SSRCs). */
export class SrtpCmProtector {
  private readonly ecb: Cipher;
  private readonly authKey: KeyObject;
  /** counter blocks: bytes 0-7 (salt XOR SSRC) and 14-15 (block number) are fixed per SSRC */
  private readonly counters = Buffer.alloc(MAX_BLOCKS * BLOCK);
  private readonly salt: Buffer;

  /**
   * @param sessionKey k_e, 16 bytes
   * @param sessionSalt k_s, 14 bytes
   * @param authKey k_a, 20 bytes
   * @param ssrc the SSRC every packet protected here carries
   */
  constructor(sessionKey: Buffer, sessionSalt: Buffer, authKey: Buffer, ssrc: number) {
    if (sessionKey.length !== 16) throw new RangeError(`SRTP session key: 16 bytes expected, got ${sessionKey.length}`);
    if (sessionSalt.length !== 14) throw new RangeError(`SRTP session salt: 14 bytes expected, got ${sessionSalt.length}`);
    if (authKey.length !== 20) throw new RangeError(`SRTP auth key: 20 bytes expected, got ${authKey.length}`);
    this.ecb = createCipheriv('aes-128-ecb', sessionKey, null);
    this.ecb.setAutoPadding(false);
    this.authKey = createSecretKey(authKey);
    this.salt = Buffer.from(sessionSalt);
    const c = this.counters;
    for (let b = 0; b < MAX_BLOCKS; b++) {
      const o = b * BLOCK;
      sessionSalt.copy(c, o, 0, 8);
      c[o + 4] ^= ssrc >>> 24;
      c[o + 5] ^= (ssrc >>> 16) & 0xff;
      c[o + 6] ^= (ssrc >>> 8) & 0xff;
      c[o + 7] ^= ssrc & 0xff;
      c[o + 14] = b >>> 8;
      c[o + 15] = b & 0xff;
    }
  }

  /**
   * Protects one RTP packet in place: `packet` holds the RTP header (`headerLength` bytes) and
   * the payload up to `rtpLength`, and has SRTP_AUTH_TAG_LENGTH spare bytes after it; the
   * payload is encrypted and the tag written there. `sequenceNumber` is the header's,
   * `rolloverCounter` the sender's ROC for it (RFC 3711 3.3.1).
   */
  protect(packet: Buffer, headerLength: number, rtpLength: number, sequenceNumber: number, rolloverCounter: number): void {
    if (packet.length < rtpLength + SRTP_AUTH_TAG_LENGTH) throw new RangeError('SRTP: no room for the authentication tag');
    if (rtpLength > SRTP_MAX_PACKET) throw new RangeError(`SRTP: RTP packet of ${rtpLength} bytes, at most ${SRTP_MAX_PACKET}`);
    const payloadLength = rtpLength - headerLength;
    if (payloadLength > 0) this.encrypt(packet, headerLength, payloadLength, sequenceNumber, rolloverCounter);
    // authenticated portion: header || encrypted payload || ROC, the ROC where the tag goes
    packet.writeUInt32BE(rolloverCounter >>> 0, rtpLength);
    const tag = createHmac('sha1', this.authKey).update(packet.subarray(0, rtpLength + 4)).digest();
    tag.copy(packet, rtpLength, 0, SRTP_AUTH_TAG_LENGTH);
  }

  private encrypt(packet: Buffer, offset: number, length: number, seq: number, roc: number): void {
    const blocks = Math.ceil(length / BLOCK);
    const c = this.counters;
    const s = this.salt;
    // index * 2^16 lands in bytes 8-13: ROC in 8-11, SEQ in 12-13, each XOR the salt there
    const r0 = s[8] ^ (roc >>> 24), r1 = s[9] ^ ((roc >>> 16) & 0xff), r2 = s[10] ^ ((roc >>> 8) & 0xff), r3 = s[11] ^ (roc & 0xff);
    const q0 = s[12] ^ (seq >>> 8), q1 = s[13] ^ (seq & 0xff);
    for (let b = 0, o = 8; b < blocks; b++, o += BLOCK) {
      c[o] = r0;
      c[o + 1] = r1;
      c[o + 2] = r2;
      c[o + 3] = r3;
      c[o + 4] = q0;
      c[o + 5] = q1;
    }
    const keystream = this.ecb.update(c.subarray(0, blocks * BLOCK));
    const start = packet.byteOffset + offset;
    let i = 0;
    if ((start & 3) === 0 && (keystream.byteOffset & 3) === 0) {
      const words = length >>> 2;
      const p32 = new Int32Array(packet.buffer, start, words);
      const k32 = new Int32Array(keystream.buffer, keystream.byteOffset, words);
      for (let w = 0; w < words; w++) p32[w] ^= k32[w];
      i = words << 2;
    }
    for (; i < length; i++) packet[offset + i] ^= keystream[i];
  }
}
