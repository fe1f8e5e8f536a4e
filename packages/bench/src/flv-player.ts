/**
 * A light HTTP-FLV player: GET over a raw socket, then two small state machines,
 * HTTP chunked transfer coding (when the server uses it) and FLV tag headers.
 * Tag bodies are skipped; only script tags are read, for the latency probe.
 */
import { readBenchTime } from './bench-time.js';
import { SocketPlayer, type PlayerEnv } from './player.js';

const MAX_COLLECT = 16 * 1024;
const MAX_HTTP_HEADER = 16 * 1024;

const enum Body {
  /** reading the chunk-size line (hex digits, maybe extensions, CRLF) */
  ChunkSize,
  ChunkData,
  /** the CRLF after a chunk's data */
  ChunkEnd,
  /** no chunked coding: everything is FLV */
  Plain,
}

export class FlvPlayer extends SocketPlayer {
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private head: string | undefined = '';
  private body = Body.Plain;
  private chunkLeft = 0;
  private sizeDigits = 0;
  private sizeLineDone = false;
  // FLV layer: skip the 9-byte header + PreviousTagSize0 first
  private skip = 13;
  private readonly tagHdr = Buffer.allocUnsafe(11);
  private tagHdrLen = 0;
  private tagType = 0;
  private tagTs = 0;
  private collect: Buffer | null = null;
  private collectOff = 0;

  constructor(url: string, env: PlayerEnv) {
    super(env);
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.path = u.pathname + u.search;
  }

  start(): void {
    this.open(this.host, this.port);
  }

  protected onConnected(): void {
    this.write(Buffer.from(`GET ${this.path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nAccept: */*\r\nUser-Agent: tsrs-bench\r\n\r\n`, 'latin1'));
  }

  protected onBytes(buf: Buffer, n: number): void {
    let off = 0;
    if (this.head !== undefined) {
      // Setup only: the response head, a string is fine here.
      const prev = this.head.length;
      this.head += buf.toString('latin1', 0, n);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.head.length > MAX_HTTP_HEADER) throw new Error('HTTP response head too large');
        return;
      }
      const head = this.head;
      this.head = undefined;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status || status[1] !== '200') throw new Error(`HTTP ${status ? status[1] : 'bad response'}: ${head.split('\r\n')[0]}`);
      this.body = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head.slice(0, end)) ? Body.ChunkSize : Body.Plain;
      this.playing();
      off = end + 4 - prev;
    }
    if (this.body === Body.Plain) this.flv(buf, off, n);
    else this.chunked(buf, off, n);
  }

  /** HTTP/1.1 chunked transfer coding: hands the chunk data to the FLV layer in place. */
  private chunked(buf: Buffer, off: number, end: number): void {
    while (off < end) {
      switch (this.body) {
        case Body.ChunkSize: {
          const c = buf[off++];
          if (c === 0x0a) {
            if (this.sizeDigits === 0) continue; // tolerate a stray CRLF
            if (this.chunkLeft === 0) throw new Error('HTTP stream ended (last chunk)');
            this.body = Body.ChunkData;
            this.sizeDigits = 0;
            this.sizeLineDone = false;
          } else if (!this.sizeLineDone) {
            const v = hexValue(c);
            if (v < 0) this.sizeLineDone = true; // CR or ';' extensions
            else {
              this.chunkLeft = this.chunkLeft * 16 + v;
              this.sizeDigits++;
            }
          }
          break;
        }
        case Body.ChunkData: {
          const k = Math.min(this.chunkLeft, end - off);
          this.flv(buf, off, off + k);
          off += k;
          this.chunkLeft -= k;
          if (this.chunkLeft === 0) this.body = Body.ChunkEnd;
          break;
        }
        case Body.ChunkEnd:
          // CR LF after the data: skip until LF
          if (buf[off++] === 0x0a) this.body = Body.ChunkSize;
          break;
      }
    }
  }

  /** FLV tags: 11-byte header, body (skipped or collected), 4-byte PreviousTagSize. */
  private flv(buf: Buffer, off: number, end: number): void {
    while (off < end) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, end - off);
        if (this.collect) {
          const c = Math.min(k, this.collect.length - this.collectOff);
          if (c > 0) buf.copy(this.collect, this.collectOff, off, off + c);
          this.collectOff += c;
        }
        off += k;
        this.skip -= k;
        if (this.skip === 0 && this.tagType !== 0) this.tagDone();
        continue;
      }
      // tag header, maybe split over reads
      const k = Math.min(11 - this.tagHdrLen, end - off);
      buf.copy(this.tagHdr, this.tagHdrLen, off, off + k);
      this.tagHdrLen += k;
      off += k;
      if (this.tagHdrLen < 11) return;
      this.tagHdrLen = 0;
      const h = this.tagHdr;
      this.tagType = h[0] & 0x1f;
      const size = (h[1] << 16) | (h[2] << 8) | h[3];
      this.tagTs = ((h[7] << 24) >>> 0) + ((h[4] << 16) | (h[5] << 8) | h[6]);
      this.collect = this.tagType === 18 && size <= MAX_COLLECT ? Buffer.allocUnsafe(size) : null;
      this.collectOff = 0;
      this.skip = size + 4;
    }
  }

  private tagDone(): void {
    if (this.tagType === 9) {
      this.frames++;
      this.lastVideoTs = this.tagTs;
    } else if (this.tagType === 8) this.audio++;
    else if (this.tagType === 18 && this.collect) {
      const sent = readBenchTime(this.collect, 0, this.collect.length);
      if (sent > 0) this.probe(sent);
    }
    this.tagType = 0;
    this.collect = null;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
