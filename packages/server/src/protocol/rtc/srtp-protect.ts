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
 *   (index * 2^16) plus the block number, where index = ROC * 2^16 + SEQ (RFC 3711 3.3.1).
 *   A sender's packets come in sequence, so the keystream of the next KEYSTREAM_BATCH packets
 *   is made in one cipher call (each packet's share as long as the longest payload so far;
 *   a longer one, or a jump in the index, makes a new batch);
 * - the payload XORed with it in place (32 bits at a time when both are aligned);
 * - the authentication tag (RFC 3711 4.2.1): HMAC-SHA1 (RFC 2104) over the RTP header, the
 *   encrypted payload and the ROC, its first 80 bits appended; computed as two one-shot SHA-1
 *   digests, H(K XOR opad || H(K XOR ipad || message)), the inner pad written into the 64 bytes
 *   the caller leaves before the packet, so no HMAC object is made per packet.
 *
 * The session keys (k_e, k_s, k_a) are the ones werift derived from the DTLS-SRTP master key
 * (RFC 3711 4.3, RFC 5764 4.2); this module only protects. Errors: a key of the wrong length
 * throws a RangeError at construction; a packet without room for the tag throws at `protect`.
 */
import crypto, { createCipheriv, timingSafeEqual, type Cipher } from 'node:crypto';

/**
 * A one-shot SHA-1 digest as a latin1 string (one character per byte): `crypto.hash` (Node >=
 * 20.12), else through a Hash object. A string costs far less to make than a Buffer (no
 * ArrayBuffer per digest), and `write(..., 'latin1')` puts its bytes back.
 */
const sha1: (data: Buffer) => string = (() => {
  const hash = (crypto as unknown as { hash?: (algorithm: string, data: Buffer, encoding: 'latin1') => string }).hash;
  return hash ? (data: Buffer) => hash('sha1', data, 'latin1') : (data: Buffer) => crypto.createHash('sha1').update(data).digest('binary');
})();

/** bytes of the authentication tag of AES_CM_128_HMAC_SHA1_80 */
export const SRTP_AUTH_TAG_LENGTH = 10;
/** bytes a caller leaves before the RTP packet for the HMAC's inner pad (SHA-1's block) */
export const SRTP_PREFIX = 64;
/** the largest RTP packet protected here, header included (a datagram fits one Ethernet MTU) */
export const SRTP_MAX_PACKET = 1500;
const BLOCK = 16;
const MAX_BLOCKS = Math.ceil(SRTP_MAX_PACKET / BLOCK);
/** packets whose keystream one cipher call makes */
export const KEYSTREAM_BATCH = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** counter blocks of one batch, filled per batch (protect is synchronous, so one for all) */
const counterWords = new Int32Array(KEYSTREAM_BATCH * MAX_BLOCKS * 4);
const counterBytes = Buffer.from(counterWords.buffer);
/** where `verify` puts the HMAC's inner pad, a packet and its ROC */
const verifyArea = Buffer.allocUnsafeSlow(SRTP_PREFIX + SRTP_MAX_PACKET + 4);
/** a 32-bit view of the whole ArrayBuffer the last packet was in (callers reuse one area) */
let wordsOf: ArrayBufferLike | undefined;
let words32: Int32Array<ArrayBufferLike> = new Int32Array(0);

/** The 32-bit word an Int32Array over these 4 bytes reads. */
function word(b0: number, b1: number, b2: number, b3: number): number {
  return LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

/** Protects the RTP packets of ONE SSRC with one session's keys (not safe to share between SSRCs). */
export class SrtpCmProtector {
  private readonly ecb: Cipher;
  /** K XOR ipad (64 bytes), and K XOR opad followed by room for the inner digest (64 + 20) */
  private readonly ipad = Buffer.alloc(SRTP_PREFIX, 0x36);
  private readonly opad = Buffer.alloc(SRTP_PREFIX + 20, 0x5c);
  private readonly salt: Buffer;
  /** the first two words of every counter block: salt XOR SSRC (bytes 0-7) */
  private readonly w0: number;
  private readonly w1: number;
  /** the keystream of KEYSTREAM_BATCH packets from index `first`, `stride` bytes each */
  private keystream = new Int32Array(0);
  private keystreamBytes = new Uint8Array(0);
  private first = -1;
  private stride = 0;

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
    for (let i = 0; i < authKey.length; i++) {
      this.ipad[i] ^= authKey[i];
      this.opad[i] ^= authKey[i];
    }
    const s = (this.salt = Buffer.from(sessionSalt));
    this.w0 = word(s[0], s[1], s[2], s[3]);
    this.w1 = word(s[4] ^ (ssrc >>> 24), s[5] ^ ((ssrc >>> 16) & 0xff), s[6] ^ ((ssrc >>> 8) & 0xff), s[7] ^ (ssrc & 0xff));
  }

  /**
   * Protects one RTP packet in place and returns the SRTP packet, a view of `area`: `area` holds
   * SRTP_PREFIX bytes this may overwrite, then the RTP header (`headerLength` bytes) and payload,
   * `rtpLength` bytes in all, then SRTP_AUTH_TAG_LENGTH spare bytes. The payload is encrypted
   * and the tag written after it. `sequenceNumber` is the header's, `rolloverCounter` the
   * sender's ROC for it (RFC 3711 3.3.1). Throws RangeError when `area` is too short or the
   * packet longer than SRTP_MAX_PACKET.
   */
  protect(area: Buffer, headerLength: number, rtpLength: number, sequenceNumber: number, rolloverCounter: number): Buffer {
    if (area.length < SRTP_PREFIX + rtpLength + SRTP_AUTH_TAG_LENGTH) throw new RangeError('SRTP: no room for the HMAC pad and the authentication tag');
    if (rtpLength > SRTP_MAX_PACKET) throw new RangeError(`SRTP: RTP packet of ${rtpLength} bytes, at most ${SRTP_MAX_PACKET}`);
    const payloadLength = rtpLength - headerLength;
    if (payloadLength > 0) this.crypt(area, SRTP_PREFIX + headerLength, payloadLength, sequenceNumber, rolloverCounter);
    // authenticated portion: header || encrypted payload || ROC, the ROC where the tag goes
    const end = SRTP_PREFIX + rtpLength;
    area.writeUInt32BE(rolloverCounter >>> 0, end);
    this.ipad.copy(area, 0);
    this.opad.write(sha1(area.subarray(0, end + 4)), SRTP_PREFIX, 'latin1');
    area.write(sha1(this.opad), end, SRTP_AUTH_TAG_LENGTH, 'latin1');
    return area.subarray(SRTP_PREFIX, end + SRTP_AUTH_TAG_LENGTH);
  }

  /**
   * Whether `srtp`, an SRTP packet of this SSRC (RTP header, encrypted payload, then the
   * SRTP_AUTH_TAG_LENGTH-byte tag), carries the authentication tag of this session's key for
   * rollover counter `rolloverCounter` (RFC 3711 3.4: what a receiver checks before it decrypts).
   * False for a packet shorter than an RTP header plus the tag or longer than SRTP_MAX_PACKET.
   * `srtp` is not changed.
   */
  verify(srtp: Buffer, rolloverCounter: number): boolean {
    const n = srtp.length - SRTP_AUTH_TAG_LENGTH;
    if (n < 12 || n > SRTP_MAX_PACKET) return false;
    const area = verifyArea;
    this.ipad.copy(area, 0);
    srtp.copy(area, SRTP_PREFIX, 0, n);
    area.writeUInt32BE(rolloverCounter >>> 0, SRTP_PREFIX + n);
    this.opad.write(sha1(area.subarray(0, SRTP_PREFIX + n + 4)), SRTP_PREFIX, 'latin1');
    const tag = Buffer.from(sha1(this.opad).slice(0, SRTP_AUTH_TAG_LENGTH), 'latin1');
    return timingSafeEqual(tag, srtp.subarray(n));
  }

  /**
   * XORs `length` bytes at `packet[offset]` (at most SRTP_MAX_PACKET) with the keystream of the
   * packet whose sequence number is `seq` and rollover counter `roc`, from the keystream's start:
   * counter mode, so it encrypts a payload and decrypts an encrypted one (or a prefix of one)
   * alike. Nothing is authenticated.
   */
  crypt(packet: Buffer, offset: number, length: number, seq: number, roc: number): void {
    const index = roc * 0x10000 + seq;
    if (index < this.first || index >= this.first + KEYSTREAM_BATCH || length > this.stride) this.makeKeystream(index, length);
    const ks = this.keystream;
    const at = ((index - this.first) * this.stride) >>> 2;
    const start = packet.byteOffset + offset;
    const words = length >>> 2;
    let i = 0;
    if ((start & 3) === 0) {
      if (packet.buffer !== wordsOf) {
        wordsOf = packet.buffer;
        words32 = new Int32Array(packet.buffer, 0, packet.buffer.byteLength >>> 2);
      }
      const p32 = words32;
      const w0 = start >>> 2;
      for (let w = 0; w < words; w++) p32[w0 + w] ^= ks[at + w];
      i = words << 2;
    }
    const ks8 = this.keystreamBytes;
    for (const k = at * 4; i < length; i++) packet[offset + i] ^= ks8[k + i];
  }

  /** The keystream of KEYSTREAM_BATCH packets from `index`, each at least `length` bytes. */
  private makeKeystream(index: number, length: number): void {
    this.stride = Math.min(MAX_BLOCKS * BLOCK, Math.max(this.stride, Math.ceil(length / BLOCK) * BLOCK));
    const blocks = this.stride / BLOCK;
    const s = this.salt;
    let o = 0;
    for (let p = 0; p < KEYSTREAM_BATCH; p++) {
      // index * 2^16 lands in bytes 8-13: ROC in 8-11, SEQ in 12-13, each XOR the salt there
      const i = index + p;
      const roc = Math.floor(i / 0x10000) >>> 0;
      const seq = i & 0xffff;
      const w2 = word(s[8] ^ (roc >>> 24), s[9] ^ ((roc >>> 16) & 0xff), s[10] ^ ((roc >>> 8) & 0xff), s[11] ^ (roc & 0xff));
      const q0 = s[12] ^ (seq >>> 8);
      const q1 = s[13] ^ (seq & 0xff);
      for (let b = 0; b < blocks; b++, o += 4) {
        counterWords[o] = this.w0;
        counterWords[o + 1] = this.w1;
        counterWords[o + 2] = w2;
        counterWords[o + 3] = word(q0, q1, b >>> 8, b & 0xff);
      }
    }
    const out = this.ecb.update(counterBytes.subarray(0, o * 4));
    // the cipher's output is its own buffer; copy when it is not 4-byte aligned for the word view
    const aligned = (out.byteOffset & 3) === 0 ? out : Buffer.from(out);
    this.keystream = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
    this.keystreamBytes = aligned;
    this.first = index;
  }
}
