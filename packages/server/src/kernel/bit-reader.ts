/**
 * Bounded, MSB-first bit reader for codec headers (H.264/H.265 RBSP, AAC
 * AudioSpecificConfig) plus the shared error type of the kernel codecs.
 *
 * Every read is checked against the end of the buffer, so a malformed or
 * hostile header produces a `CodecError` instead of garbage or a hang.
 */

/** The one error type thrown by the kernel parsers on malformed input. */
export class CodecError extends Error {
  override name = 'CodecError';
  constructor(
    /** which parser failed, e.g. 'sps', 'flv', 'asc' */
    readonly codec: string,
    message: string,
  ) {
    super(`${codec}: ${message}`);
  }
}

export class BitReader {
  /** absolute bit position in `buf` */
  private pos: number;
  private readonly endBit: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    /** name used in error messages */
    private readonly what = 'bitstream',
  ) {
    if (start < 0 || end > buf.length || start > end) throw new CodecError(what, 'bad bounds');
    this.pos = start * 8;
    this.endBit = end * 8;
  }

  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** true when the reader is at a byte boundary */
  get aligned(): boolean {
    return (this.pos & 7) === 0;
  }

  private need(n: number): void {
    if (n > this.endBit - this.pos) throw new CodecError(this.what, `read past end (${n} bits, ${this.bitsLeft} left)`);
  }

  readBit(): number {
    this.need(1);
    const p = this.pos++;
    return (this.buf[p >> 3] >> (7 - (p & 7))) & 1;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /** Reads n bits (0..32) as an unsigned number. */
  readBits(n: number): number {
    if (n < 0 || n > 32) throw new CodecError(this.what, `bad bit count ${n}`);
    this.need(n);
    let v = 0;
    while (n > 0) {
      const p = this.pos;
      const bitInByte = p & 7;
      const take = Math.min(8 - bitInByte, n);
      const byte = this.buf[p >> 3];
      const bits = (byte >> (8 - bitInByte - take)) & ((1 << take) - 1);
      // multiplication keeps values above 2^31 positive
      v = v * (1 << take) + bits;
      this.pos += take;
      n -= take;
    }
    return v;
  }

  skipBits(n: number): void {
    if (n < 0) throw new CodecError(this.what, `bad skip ${n}`);
    this.need(n);
    this.pos += n;
  }

  byteAlign(): void {
    const r = this.pos & 7;
    if (r) this.skipBits(8 - r);
  }

  /** Unsigned Exp-Golomb ue(v). Codes longer than 32 bits are rejected. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > 31) throw new CodecError(this.what, 'exp-golomb code too long');
    }
    if (zeros === 0) return 0;
    return (2 ** zeros - 1) + this.readBits(zeros);
  }

  /** Signed Exp-Golomb se(v). */
  readSE(): number {
    const k = this.readUE();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/**
 * Removes H.264/H.265 emulation prevention bytes (00 00 03 -> 00 00) from a NAL
 * unit. Returns a subarray of the input (no copy) when there is nothing to remove,
 * which is the common case for SPS/PPS.
 */
export function unescapeRbsp(buf: Uint8Array, start = 0, end = buf.length): Uint8Array {
  let i = buf.indexOf(3, start);
  // fast path: find a 00 00 03 at all
  let found = -1;
  while (i !== -1 && i < end) {
    if (i - 2 >= start && buf[i - 1] === 0 && buf[i - 2] === 0) {
      found = i;
      break;
    }
    i = buf.indexOf(3, i + 1);
  }
  if (found === -1) return buf.subarray(start, end);

  const out = new Uint8Array(end - start);
  let o = 0;
  let zeros = 0;
  for (let j = start; j < end; j++) {
    const b = buf[j];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue; // drop the emulation prevention byte
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
