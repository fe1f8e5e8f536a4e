/**
 * Ogg Opus writing (RFC 3533 pages, RFC 7845 Opus mapping), enough to hand timed Opus packets to a
 * decoder through a pipe. Pure.
 *
 * A page: `OggS`, version 0, header type (0x02 first page), granule position (int64 LE), serial
 * (uint32 LE), page sequence (uint32 LE), CRC-32 (poly 0x04C11DB7, init 0, over the page with this
 * field 0), segment count, lacing values (255s then the remainder, a 0 after an exact multiple of
 * 255), then the packet. RFC 7845: page 0 holds the OpusHead alone (granule 0), page 1 the
 * OpusTags, then audio; an audio page's granule position is the count of 48 kHz samples (pre-skip
 * included) at the end of its last packet. Here each audio packet gets its own page.
 */
import { CodecError } from './bit-reader.js';
import { crc32Mpeg2 } from './mpegts.js';

const HEADER = 27;
/** the largest packet one page carries (255 lacing values of 255 bytes) */
export const OGG_MAX_PACKET = 255 * 255 - 1;

/** One Ogg page holding one whole packet. */
export function oggPage(packet: Uint8Array, granule: bigint, serial: number, sequence: number, headerType = 0): Buffer {
  if (packet.length > OGG_MAX_PACKET) throw new CodecError('ogg', `a packet of ${packet.length} bytes does not fit one page`);
  const lacing = Math.floor(packet.length / 255) + 1;
  const page = Buffer.alloc(HEADER + lacing + packet.length);
  page.write('OggS', 0, 'latin1');
  page[4] = 0;
  page[5] = headerType;
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(serial >>> 0, 14);
  page.writeUInt32LE(sequence >>> 0, 18);
  page[26] = lacing;
  page.fill(255, HEADER, HEADER + lacing - 1);
  page[HEADER + lacing - 1] = packet.length % 255;
  page.set(packet, HEADER + lacing);
  page.writeUInt32LE(crc32Mpeg2(page, 0, page.length, 0), 22);
  return page;
}

/** An OpusTags header (RFC 7845 5.2) with a vendor string and no comments. */
export function opusTags(vendor = 'tsrs'): Buffer {
  const v = Buffer.from(vendor, 'utf8');
  const out = Buffer.alloc(8 + 4 + v.length + 4);
  out.write('OpusTags', 0, 'latin1');
  out.writeUInt32LE(v.length, 8);
  v.copy(out, 12);
  out.writeUInt32LE(0, 12 + v.length);
  return out;
}

/** Writes one Opus logical stream: `start()` once, then `packet()` per Opus packet. */
export class OggOpusWriter {
  private sequence = 0;

  constructor(private readonly serial = 1) {}

  /** The two header pages for `opusHead` (an OpusHead, see opus.ts buildOpusHead). */
  start(opusHead: Uint8Array): Buffer {
    this.sequence = 0;
    const head = oggPage(opusHead, 0n, this.serial, this.sequence++, 0x02);
    const tags = oggPage(opusTags(), 0n, this.serial, this.sequence++);
    return Buffer.concat([head, tags]);
  }

  /** A page for one Opus packet ending at `granule` (48 kHz samples, pre-skip included). */
  packet(packet: Uint8Array, granule: number): Buffer {
    return oggPage(packet, BigInt(Math.max(0, Math.round(granule))), this.serial, this.sequence++);
  }
}
