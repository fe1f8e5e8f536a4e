/**
 * Ogg (RFC 3533) page reader: bytes in, whole packets out, as an FFmpeg child writes an Opus
 * stream (`-f ogg`, RFC 7845) to a pipe.
 *
 * A page is `OggS`, version 0, header type (0x01 continued packet, 0x02 first page, 0x04 last
 * page), granule position (int64 LE), serial number, page sequence number, CRC-32, the segment
 * count and the lacing values; a packet is the concatenation of segments up to one shorter than
 * 255 bytes and may run across pages. The CRC is not checked (the reader serves a local pipe).
 *
 * Bounded: at most `maxPacketBytes` per packet (longer packets are dropped and counted); a page
 * is at most 65 307 bytes, so at most one page plus one chunk is buffered. Throws CodecError on
 * bytes that are not Ogg pages (lost sync), after which the reader is unusable.
 */
import { CodecError } from './bit-reader.js';

export interface OggPacket {
  data: Buffer;
  /** the bitstream's serial number */
  serial: number;
  /**
   * the granule position of the page the packet ends on, when it is the last packet ending
   * there; -1 otherwise (RFC 3533 6). For Opus: 48 kHz samples decoded up to its end.
   */
  granule: number;
  /** the packet starts its logical bitstream (first packet of a BOS page) */
  bos: boolean;
}

const CAPTURE = Buffer.from('OggS', 'latin1');
const HEADER = 27;

export class OggReader {
  /** packets dropped for size */
  dropped = 0;
  private pending: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private skipping = false;

  constructor(private readonly maxPacketBytes = 1024 * 1024) {}

  /** Appends bytes; returns the packets they complete, in order. */
  push(chunk: Buffer): OggPacket[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: OggPacket[] = [];
    let off = 0;
    const buf = this.pending;
    while (buf.length - off >= HEADER) {
      if (buf.compare(CAPTURE, 0, 4, off, off + 4) !== 0 || buf[off + 4] !== 0) throw new CodecError('ogg', `no page at byte ${off} of a chunk`);
      const nsegs = buf[off + 26];
      if (buf.length - off < HEADER + nsegs) break;
      let bodyLen = 0;
      for (let i = 0; i < nsegs; i++) bodyLen += buf[off + HEADER + i];
      const pageLen = HEADER + nsegs + bodyLen;
      if (buf.length - off < pageLen) break;
      this.page(buf.subarray(off, off + pageLen), nsegs, out);
      off += pageLen;
    }
    this.pending = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    return out;
  }

  private page(page: Buffer, nsegs: number, out: OggPacket[]): void {
    const type = page[5];
    const granule = Number(page.readBigInt64LE(6));
    const serial = page.readUInt32LE(14);
    if (!(type & 0x01)) this.reset(); // a fresh packet starts here: a dangling partial one is lost
    let bodyOff = HEADER + nsegs;
    let segStart = bodyOff;
    let lastEnded = -1;
    const ended: Buffer[] = [];
    for (let i = 0; i < nsegs; i++) {
      const lace = page[HEADER + i];
      bodyOff += lace;
      if (lace < 255) {
        const done = this.take(page.subarray(segStart, bodyOff), true);
        if (done) ended.push(done);
        else ended.push(Buffer.alloc(0)); // dropped: keeps the granule on the right packet
        lastEnded = ended.length - 1;
        segStart = bodyOff;
      }
    }
    if (segStart < bodyOff || (nsegs > 0 && page[HEADER + nsegs - 1] === 255)) this.take(page.subarray(segStart, bodyOff), false);
    ended.forEach((data, i) => {
      if (data.length === 0) return;
      out.push({ data, serial, granule: i === lastEnded ? granule : -1, bos: (type & 0x02) !== 0 && i === 0 });
    });
  }

  /** Adds segment bytes to the packet being read; returns it when `end` (undefined when dropped). */
  private take(bytes: Buffer, end: boolean): Buffer | undefined {
    if (!this.skipping) {
      if (this.partialBytes + bytes.length > this.maxPacketBytes) {
        this.skipping = true;
        this.partial = [];
        this.partialBytes = 0;
      } else if (bytes.length > 0) {
        this.partial.push(Buffer.from(bytes));
        this.partialBytes += bytes.length;
      }
    }
    if (!end) return undefined;
    const skipped = this.skipping;
    const data = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
    this.reset();
    if (skipped) {
      this.dropped++;
      return undefined;
    }
    return data;
  }

  private reset(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.skipping = false;
  }
}
