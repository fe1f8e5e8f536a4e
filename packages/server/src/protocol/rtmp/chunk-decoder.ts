/**
 * Streaming RTMP chunk stream decoder (Adobe RTMP spec 5.3).
 *
 * Usage: `push(buf)` the bytes as they arrive, then call `next()` until it returns
 * undefined. Pull-style on purpose: the session can stop pulling while an asynchronous
 * decision (a hook) is pending and the bytes simply stay queued.
 *
 * - Basic headers of 1/2/3 bytes, message headers fmt 0/1/2/3, extended timestamps
 *   (also repeated after fmt 3 headers; a missing repetition on a continuation chunk is
 *   tolerated), interleaved chunk streams, Set Chunk Size and Abort applied on the fly.
 * - Zero copy: a message that arrives as one chunk within one input Buffer is emitted as
 *   a subarray of that Buffer. Callers must therefore not reuse the Buffers they push
 *   (Node's socket 'data' Buffers are never reused). Multi-chunk messages are assembled
 *   into one exactly-sized Buffer.
 * - Bounded: chunk size 1..MAX_CHUNK_SIZE, message length <= maxMessageSize (audio, video,
 *   aggregate), <= maxDataSize (data messages, 15/18), <= maxCommandSize (every other type:
 *   commands, protocol control, shared objects), each checked as soon as the message header
 *   arrives, before anything is buffered; queued input plus partially assembled messages of
 *   all chunk streams together <= maxBufferedBytes. Violations throw
 *   RtmpProtocolError; after an error the decoder must be discarded.
 */
import { MSG, RtmpProtocolError, type RtmpMessage } from './messages.js';

/** tsrs refuses chunk sizes above this (the spec allows up to 2^31-1). */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_SIZE = 8 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 128;

export interface ChunkDecoderOptions {
  /** largest accepted message length (default 8 MiB) */
  maxMessageSize?: number;
  /** bound on queued input + partially assembled messages (default 4 x maxMessageSize) */
  maxBufferedBytes?: number;
  /** largest command / protocol control / shared object message (default maxMessageSize) */
  maxCommandSize?: number;
  /** largest data message, AMF0 (18) or AMF3 (15) (default maxMessageSize) */
  maxDataSize?: number;
}

/** Per chunk stream state: the last header seen and the message under assembly. */
interface ChunkStream {
  csid: number;
  /** a header with the full message fields was seen (fmt 0, or fmt 1 for a fresh stream) */
  ready: boolean;
  /** absolute timestamp of the current message */
  timestamp: number;
  /** timestamp field of the last fmt 0/1/2 header (fmt 0: absolute); reused by fmt 3 */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** the last fmt 0/1/2 header used the extended timestamp field */
  extended: boolean;
  /** that extended value, to recognize its repetition after fmt 3 headers */
  extValue: number;
  /** message under assembly (null between messages) */
  buf: Buffer | null;
  received: number;
}

const MSG_HEADER_SIZE = [11, 7, 3, 0];
/** basic header (3) + message header (11) + extended timestamp (4) */
const MAX_HEADER = 18;

export class ChunkDecoder {
  readonly maxMessageSize: number;
  readonly maxBufferedBytes: number;
  readonly maxCommandSize: number;
  readonly maxDataSize: number;
  private inChunkSize = DEFAULT_CHUNK_SIZE;
  private readonly streams = new Map<number, ChunkStream>();
  private readonly queue: Buffer[] = [];
  /** read offset in queue[0] */
  private pos = 0;
  private queued = 0;
  private reserved = 0;
  /** chunk stream whose chunk body is being read, and the body bytes still expected */
  private cur: ChunkStream | null = null;
  private chunkRemaining = 0;

  constructor(opts: ChunkDecoderOptions = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 4 * this.maxMessageSize;
    this.maxCommandSize = Math.min(opts.maxCommandSize ?? this.maxMessageSize, this.maxMessageSize);
    this.maxDataSize = Math.min(opts.maxDataSize ?? this.maxMessageSize, this.maxMessageSize);
  }

  /** The largest message of this type the decoder accepts. */
  maxSizeOf(typeId: number): number {
    switch (typeId) {
      case MSG.AUDIO:
      case MSG.VIDEO:
      case MSG.AGGREGATE:
        return this.maxMessageSize;
      case MSG.AMF0_DATA:
      case MSG.AMF3_DATA:
        return this.maxDataSize;
      default:
        return this.maxCommandSize;
    }
  }

  /** The peer's chunk size currently in effect. */
  get chunkSize(): number {
    return this.inChunkSize;
  }

  /** Input bytes received but not decoded yet. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Bytes held: input not decoded yet plus the messages received in part (at their full length). */
  get heldBytes(): number {
    return this.queued + this.reserved;
  }

  /** Applies a chunk size (also done automatically for Set Chunk Size messages). */
  setChunkSize(size: number): void {
    if (!(size >= 1 && size <= MAX_CHUNK_SIZE)) {
      throw new RtmpProtocolError(`invalid chunk size ${size} (allowed 1..${MAX_CHUNK_SIZE})`);
    }
    this.inChunkSize = size;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.queued += data.length;
    if (this.queued + this.reserved > this.maxBufferedBytes) {
      throw new RtmpProtocolError(`too many buffered bytes (${this.queued + this.reserved} > ${this.maxBufferedBytes})`);
    }
    this.queue.push(data);
  }

  /** The next complete message, or undefined when more input is needed. */
  next(): RtmpMessage | undefined {
    for (;;) {
      if (this.cur === null && !this.readHeader()) return undefined;
      const cs = this.cur!;
      if (cs.length === 0) {
        this.cur = null;
        return this.emit(cs, Buffer.alloc(0));
      }
      const payload = this.readBody(cs);
      if (payload === undefined) return undefined; // chunk body incomplete
      if (payload !== null) return this.emit(cs, payload);
      // a chunk ended, the message continues in a later chunk
    }
  }

  private emit(cs: ChunkStream, payload: Buffer): RtmpMessage {
    const msg: RtmpMessage = {
      typeId: cs.typeId,
      streamId: cs.streamId,
      timestamp: cs.timestamp,
      csid: cs.csid,
      payload,
    };
    // Protocol control belongs on stream 0, but the type alone decides: some clients differ.
    if (cs.typeId === MSG.SET_CHUNK_SIZE) {
      if (payload.length < 4) throw new RtmpProtocolError('set chunk size message shorter than 4 bytes');
      // The top bit must be 0; a value with it set is out of range anyway.
      this.setChunkSize(payload.readUInt32BE(0));
    } else if (cs.typeId === MSG.ABORT && payload.length >= 4) {
      const target = this.streams.get(payload.readUInt32BE(0));
      if (target && target.buf) {
        this.reserved -= target.length;
        target.buf = null;
        target.received = 0;
      }
    }
    return msg;
  }

  private advance(n: number): void {
    this.queued -= n;
    while (n > 0) {
      const head = this.queue[0];
      const left = head.length - this.pos;
      if (n < left) {
        this.pos += n;
        return;
      }
      n -= left;
      this.queue.shift();
      this.pos = 0;
    }
  }

  /** Parses the next chunk header; false when more bytes are needed. */
  private readHeader(): boolean {
    if (this.queued === 0) return false;
    const head = this.queue[0];
    let buf = head;
    let off = this.pos;
    if (head.length - off < MAX_HEADER && this.queue.length > 1) {
      // The header may straddle input Buffers: copy at most MAX_HEADER bytes to parse it.
      const n = Math.min(MAX_HEADER, this.queued);
      buf = Buffer.allocUnsafe(n);
      let w = 0;
      for (let i = 0, p = this.pos; w < n; i++, p = 0) {
        const b = this.queue[i];
        w += b.copy(buf, w, p, Math.min(b.length, p + n - w));
      }
      off = 0;
    }
    const used = this.parseHeader(buf, off, buf.length);
    if (used < 0) return false;
    this.advance(used);
    return true;
  }

  /** Returns the header size consumed, or -1 if incomplete. State changes only on success. */
  private parseHeader(buf: Buffer, off: number, end: number): number {
    let p = off;
    if (p >= end) return -1;
    const b0 = buf[p++];
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    if (csid === 0) {
      if (p + 1 > end) return -1;
      csid = 64 + buf[p++];
    } else if (csid === 1) {
      if (p + 2 > end) return -1;
      csid = 64 + buf[p] + (buf[p + 1] << 8);
      p += 2;
    }
    const hs = MSG_HEADER_SIZE[fmt];
    if (p + hs > end) return -1;

    let cs = this.streams.get(csid);
    const inProgress = cs !== undefined && cs.buf !== null;
    if (fmt !== 3 && inProgress) {
      throw new RtmpProtocolError(`chunk stream ${csid}: fmt ${fmt} header inside a partially received message`);
    }
    if (fmt >= 2 && (cs === undefined || !cs.ready)) {
      throw new RtmpProtocolError(`chunk stream ${csid}: fmt ${fmt} chunk without a previous header`);
    }

    if (fmt === 3) {
      const s = cs!;
      let ext = 0;
      let extUsed = false;
      if (s.extended) {
        if (p + 4 > end) return -1;
        ext = buf.readUInt32BE(p);
        // A continuation chunk should repeat the extended timestamp, but some encoders
        // don't: consume the 4 bytes only if they match.
        if (!inProgress || ext === s.extValue) {
          extUsed = true;
          p += 4;
        }
      }
      if (!inProgress) {
        // A new message with the previous header's fields and delta.
        if (extUsed) s.delta = ext;
        s.timestamp = (s.timestamp + s.delta) >>> 0;
        this.startMessage(s);
      } else {
        this.cur = s;
        this.chunkRemaining = Math.min(this.inChunkSize, s.length - s.received);
      }
      return p - off;
    }

    const tsField = buf.readUIntBE(p, 3);
    let length = cs ? cs.length : 0;
    let typeId = cs ? cs.typeId : 0;
    let streamId = cs ? cs.streamId : 0;
    if (fmt <= 1) {
      length = buf.readUIntBE(p + 3, 3);
      typeId = buf[p + 6];
      if (fmt === 0) streamId = buf.readUInt32LE(p + 7);
    }
    p += hs;
    const extended = tsField === 0xffffff;
    let ts = tsField;
    if (extended) {
      if (p + 4 > end) return -1;
      ts = buf.readUInt32BE(p);
      p += 4;
    }
    const max = this.maxSizeOf(typeId);
    if (length > max) {
      throw new RtmpProtocolError(`message type ${typeId} of ${length} bytes exceeds the maximum ${max} for its type`);
    }

    if (cs === undefined) {
      cs = {
        csid,
        ready: false,
        timestamp: 0,
        delta: 0,
        length: 0,
        typeId: 0,
        streamId: 0,
        extended: false,
        extValue: 0,
        buf: null,
        received: 0,
      };
      this.streams.set(csid, cs);
    }
    cs.ready = true;
    cs.length = length;
    cs.typeId = typeId;
    cs.streamId = streamId;
    cs.extended = extended;
    cs.extValue = ts;
    cs.delta = ts;
    cs.timestamp = fmt === 0 ? ts : (cs.timestamp + ts) >>> 0;
    this.startMessage(cs);
    return p - off;
  }

  private startMessage(cs: ChunkStream): void {
    cs.received = 0;
    this.cur = cs;
    this.chunkRemaining = Math.min(this.inChunkSize, cs.length);
  }

  /**
   * Reads the current chunk's body. Returns the payload when the message completes,
   * null when the chunk completed but the message did not, undefined when input ran out.
   */
  private readBody(cs: ChunkStream): Buffer | null | undefined {
    while (this.chunkRemaining > 0) {
      if (this.queued === 0) return undefined;
      const head = this.queue[0];
      const avail = head.length - this.pos;
      if (cs.buf === null && this.chunkRemaining === cs.length && avail >= cs.length) {
        // Whole message in one chunk, in one input Buffer: zero copy.
        const payload = head.subarray(this.pos, this.pos + cs.length);
        this.advance(cs.length);
        this.cur = null;
        this.chunkRemaining = 0;
        return payload;
      }
      if (cs.buf === null) {
        if (this.queued + this.reserved + cs.length > this.maxBufferedBytes) {
          throw new RtmpProtocolError(`too many buffered bytes for a ${cs.length}-byte message`);
        }
        this.reserved += cs.length;
        cs.buf = Buffer.allocUnsafe(cs.length);
      }
      const n = Math.min(avail, this.chunkRemaining);
      head.copy(cs.buf, cs.received, this.pos, this.pos + n);
      cs.received += n;
      this.chunkRemaining -= n;
      this.advance(n);
    }
    this.cur = null;
    if (cs.buf !== null && cs.received === cs.length) {
      const payload = cs.buf;
      cs.buf = null;
      cs.received = 0;
      this.reserved -= cs.length;
      return payload;
    }
    return null;
  }
}
