/**
 * FLV container (Adobe FLV spec v10.1, annex E): file header, tag encoding
 * and a streaming demuxer for DVR files, HTTP-FLV ingest and the bench.
 *
 * Layout: header (9 bytes) | PreviousTagSize0 (4) | { tag header (11) | body | PreviousTagSize (4) }*
 */
import { CodecError } from './bit-reader.js';
import { MESSAGE_TYPE, Packet, type PacketKind } from './packet.js';

export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;

export const FLV_HEADER_SIZE = 9;
export const FLV_TAG_HEADER_SIZE = 11;
export const FLV_PREVIOUS_TAG_SIZE = 4;

/** Largest tag body the demuxer accepts by default (the DataSize field allows 16 MiB - 1). */
export const FLV_DEFAULT_MAX_TAG_SIZE = 8 * 1024 * 1024;

export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** DataOffset: the header length (9 for version 1) */
  headerSize: number;
}

/** The 9-byte FLV header followed by PreviousTagSize0 (13 bytes). */
export function encodeFlvHeader(hasAudio = true, hasVideo = true): Buffer {
  const b = Buffer.alloc(FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0);
  b.writeUInt32BE(FLV_HEADER_SIZE, 5);
  return b;
}

/** Parses the 9-byte FLV header. */
export function parseFlvHeader(buf: Uint8Array): FlvHeader {
  if (buf.length < FLV_HEADER_SIZE) throw new CodecError('flv', 'header too short');
  if (buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) throw new CodecError('flv', 'bad signature, not an FLV stream');
  const headerSize = ((buf[5] << 24) >>> 0) + (buf[6] << 16) + (buf[7] << 8) + buf[8];
  if (headerSize < FLV_HEADER_SIZE || headerSize > 1024) throw new CodecError('flv', `bad DataOffset ${headerSize}`);
  return { version: buf[3], hasAudio: (buf[4] & 4) !== 0, hasVideo: (buf[4] & 1) !== 0, headerSize };
}

/**
 * Writes an 11-byte tag header. The timestamp is in ms; the upper 8 bits go to
 * TimestampExtended, so it wraps at 2^32 like RTMP.
 */
export function writeFlvTagHeader(out: Uint8Array, offset: number, type: number, timestampMs: number, dataSize: number): void {
  if (dataSize > 0xffffff) throw new CodecError('flv', `tag body too large (${dataSize} bytes)`);
  const ts = timestampMs >>> 0;
  out[offset] = type;
  out[offset + 1] = dataSize >> 16;
  out[offset + 2] = (dataSize >> 8) & 0xff;
  out[offset + 3] = dataSize & 0xff;
  out[offset + 4] = (ts >> 16) & 0xff;
  out[offset + 5] = (ts >> 8) & 0xff;
  out[offset + 6] = ts & 0xff;
  out[offset + 7] = ts >>> 24;
  out[offset + 8] = 0; // StreamID, always 0
  out[offset + 9] = 0;
  out[offset + 10] = 0;
}

/** One complete tag: header + body + PreviousTagSize, in a single allocation. */
export function encodeFlvTag(type: number, timestampMs: number, body: Uint8Array): Buffer {
  const size = FLV_TAG_HEADER_SIZE + body.length;
  const out = Buffer.allocUnsafe(size + FLV_PREVIOUS_TAG_SIZE);
  writeFlvTagHeader(out, 0, type, timestampMs, body.length);
  out.set(body, FLV_TAG_HEADER_SIZE);
  out.writeUInt32BE(size, size);
  return out;
}

/** The packet's FLV tag, made once and cached on the packet for every HTTP-FLV player and DVR. */
export function flvTagOf(packet: Packet): Buffer {
  return (packet.flvTag ??= encodeFlvTag(MESSAGE_TYPE[packet.kind], packet.dts, packet.body));
}

// ---------------------------------------------------------------------------
// Tag -> Packet
// ---------------------------------------------------------------------------

const KIND_OF: Record<number, PacketKind> = { 8: 'audio', 9: 'video', 18: 'script' };

/**
 * Builds the immutable Packet for a tag; keyframe, sequence start and composition time come
 * from the classifier (kernel/flv-tag.ts). Throws CodecError on an unknown tag type or a
 * video/audio header the classifier cannot read.
 */
export function packetFromFlvTag(type: number, timestampMs: number, body: Buffer): Packet {
  const kind = KIND_OF[type];
  if (!kind) throw new CodecError('flv', `unknown tag type ${type}`);
  const p = Packet.of(kind, timestampMs, body);
  const error = p.video?.error ?? p.audio?.error;
  if (error) throw new CodecError('flv', error);
  return p;
}

// ---------------------------------------------------------------------------
// Streaming demuxer
// ---------------------------------------------------------------------------

export interface FlvTag {
  /** 8 audio, 9 video, 18 script */
  type: number;
  /** ms, 32-bit (TimestampExtended included) */
  timestamp: number;
  /** a subarray of the pushed data when the tag arrived in one chunk (no copy) */
  body: Buffer;
}

export interface FlvDemuxerOptions {
  /** expect the 9-byte header + PreviousTagSize0 first (default true) */
  header?: boolean;
  /** reject tags whose body is larger (default 8 MiB) */
  maxTagSize?: number;
  /** throw when PreviousTagSize does not match the tag (default true) */
  checkPreviousTagSize?: boolean;
  /**
   * Also reject what the spec fixes but readers usually tolerate: a PreviousTagSize0 other
   * than 0 and a StreamID other than 0 (default false; players and tests of tsrs's own output).
   */
  strict?: boolean;
}

export class FlvDemuxer {
  /** the FLV header, once read */
  header: FlvHeader | undefined;
  /** bytes consumed so far (offset of the next unread byte in the stream) */
  position = 0;
  private readonly maxTagSize: number;
  private readonly checkPrev: boolean;
  private readonly strict: boolean;
  private state: 'header' | 'tags' | 'failed';
  private chunks: Buffer[] = [];
  private head = 0; // read offset into chunks[0]
  private available = 0;

  constructor(opts: FlvDemuxerOptions = {}) {
    this.state = opts.header === false ? 'tags' : 'header';
    this.maxTagSize = opts.maxTagSize ?? FLV_DEFAULT_MAX_TAG_SIZE;
    this.checkPrev = opts.checkPreviousTagSize ?? true;
    this.strict = opts.strict ?? false;
  }

  /** Bytes pushed but not yet returned as tags (a partial tag). */
  get pendingBytes(): number {
    return this.available;
  }

  /** Feeds bytes; returns the tags completed by them. Throws CodecError on corrupt input (and stays failed). */
  push(chunk: Buffer): FlvTag[] {
    if (this.state === 'failed') throw new CodecError('flv', 'demuxer failed earlier');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.available += chunk.length;
    }
    const tags: FlvTag[] = [];
    try {
      for (;;) {
        if (this.state === 'header') {
          if (this.available < FLV_HEADER_SIZE) break;
          const h = parseFlvHeader(this.peek(FLV_HEADER_SIZE));
          if (this.available < h.headerSize + FLV_PREVIOUS_TAG_SIZE) break;
          const prev0 = this.peek(h.headerSize + FLV_PREVIOUS_TAG_SIZE).readUInt32BE(h.headerSize);
          if (this.strict && prev0 !== 0) throw new CodecError('flv', `PreviousTagSize0 is ${prev0}, not 0`);
          this.skip(h.headerSize + FLV_PREVIOUS_TAG_SIZE);
          this.header = h;
          this.state = 'tags';
          continue;
        }
        // each step consumes: tag header (11) | body | its PreviousTagSize (4)
        if (this.available < FLV_TAG_HEADER_SIZE) break;
        const th = this.peek(FLV_TAG_HEADER_SIZE);
        const type = th[0] & 0x1f;
        if (th[0] & 0xc0) throw new CodecError('flv', `reserved bits set in tag header at byte ${this.position}`);
        if (th[0] & 0x20) throw new CodecError('flv', `encrypted (filtered) tag at byte ${this.position} is not supported`);
        if (type !== 8 && type !== 9 && type !== 18) throw new CodecError('flv', `unknown tag type ${type} at byte ${this.position}`);
        if (this.strict && (th[8] | th[9] | th[10]) !== 0) throw new CodecError('flv', `StreamID not 0 at byte ${this.position}`);
        const dataSize = (th[1] << 16) | (th[2] << 8) | th[3];
        if (dataSize > this.maxTagSize) throw new CodecError('flv', `tag of ${dataSize} bytes exceeds the ${this.maxTagSize} byte limit`);
        const timestamp = (((th[7] << 24) >>> 0) + ((th[4] << 16) | (th[5] << 8) | th[6]));
        const total = FLV_TAG_HEADER_SIZE + dataSize + FLV_PREVIOUS_TAG_SIZE;
        if (this.available < total) break;
        const whole = this.peek(total);
        const prevSize = whole.readUInt32BE(FLV_TAG_HEADER_SIZE + dataSize);
        if (this.checkPrev && prevSize !== FLV_TAG_HEADER_SIZE + dataSize) {
          throw new CodecError('flv', `PreviousTagSize ${prevSize} != ${FLV_TAG_HEADER_SIZE + dataSize} at byte ${this.position}`);
        }
        tags.push({ type, timestamp, body: whole.subarray(FLV_TAG_HEADER_SIZE, FLV_TAG_HEADER_SIZE + dataSize) });
        this.skip(total);
      }
    } catch (e) {
      this.state = 'failed';
      this.chunks = [];
      this.available = 0;
      throw e;
    }
    return tags;
  }

  /** Call at end of input: throws if a partial header or tag is left over (a truncated file). */
  end(): void {
    if (this.state === 'failed') return;
    if (this.state === 'header') throw new CodecError('flv', 'stream ended before the FLV header');
    if (this.available > 0) throw new CodecError('flv', `stream ended inside a tag (${this.available} bytes left over)`);
  }

  /**
   * The input is abandoned (the publish ended): drops the bytes of a partial tag at once, so
   * whoever still holds the demuxer does not hold them. Later pushes throw, `end()` does nothing.
   */
  release(): void {
    this.state = 'failed';
    this.chunks = [];
    this.head = 0;
    this.available = 0;
  }

  /** The first n bytes (n <= available) as one Buffer; joins chunks only when a read spans them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const joined = Buffer.concat([first.subarray(this.head), ...this.chunks.slice(1)], this.available);
    this.chunks = [joined];
    this.head = 0;
    return joined.subarray(0, n);
  }

  private skip(n: number): void {
    this.available -= n;
    this.position += n;
    while (n > 0) {
      const left = this.chunks[0].length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }
}
