/**
 * A light RTMP player: handshake, connect/createStream/play, then a chunk-header state
 * machine. Media payloads are skipped (counted, never copied); only small control,
 * command and data messages are collected, the latter for the latency probe.
 */
import { decodeAmf0All, type Amf0Object } from '@tsrs/server/dist/src/kernel/amf0.js';
import { encodeMessage, type EncodableMessage } from '@tsrs/server/dist/src/protocol/rtmp/chunk-encoder.js';
import { parseClientUrl, type ParsedClientUrl } from '@tsrs/server/dist/src/protocol/rtmp/client-session.js';
import { connectCommand, createStreamCommand, playCommand } from '@tsrs/server/dist/src/protocol/rtmp/commands.js';
import { ClientHandshake } from '@tsrs/server/dist/src/protocol/rtmp/handshake.js';
import { ackMessage, pingResponse, setBufferLength } from '@tsrs/server/dist/src/protocol/rtmp/messages.js';
import { readBenchTime, wallNow } from './bench-time.js';
import { SocketPlayer, type PlayerEnv } from './player.js';

/** collect payloads of these message types (all small); skip the rest */
const COLLECT = new Set([1, 4, 5, 18, 20]);
/** a collected message larger than this is skipped instead (not ours, not a command we need) */
const MAX_COLLECT = 16 * 1024;
/** basic (3) + message header (11) + extended timestamp (4) */
const MAX_HEADER = 18;

/** Per chunk stream: the last header fields and the message in progress. */
class ChunkStream {
  ts = 0;
  delta = 0;
  len = 0;
  type = 0;
  ext = false;
  /** bytes left of the message in progress (0: the next chunk starts a message) */
  left = 0;
  buf: Buffer | null = null;
  bufOff = 0;
}

export class RtmpPlayer extends SocketPlayer {
  private readonly url: ParsedClientUrl;
  private handshake: ClientHandshake | undefined = new ClientHandshake({ complex: false });
  private readonly streams: (ChunkStream | undefined)[] = [];
  private readonly hdr = Buffer.allocUnsafe(MAX_HEADER);
  private hdrLen = 0;
  private cur: ChunkStream | undefined;
  private chunkLeft = 0;
  private inChunk = 128;
  private window = 0;
  private acked = 0;
  private streamId = 0;

  constructor(url: string, env: PlayerEnv) {
    super(env);
    this.url = parseClientUrl(url);
  }

  start(): void {
    this.open(this.url.host, this.url.port);
  }

  protected onConnected(): void {
    this.write(this.handshake!.start());
  }

  private send(msg: EncodableMessage): void {
    this.write(encodeMessage(msg, 128));
  }

  protected onBytes(buf: Buffer, n: number): void {
    if (this.handshake) {
      // Setup only: copy out of the shared read buffer, the handshake keeps the bytes.
      const step = this.handshake.push(Buffer.from(buf.subarray(0, n)));
      if (step.out) this.write(step.out);
      if (!step.done) return;
      this.handshake = undefined;
      this.send(connectCommand(1, { app: this.url.app, tcUrl: this.url.tcUrl }));
      if (step.rest) this.parse(step.rest, 0, step.rest.length);
      return;
    }
    this.parse(buf, 0, n);
    if (this.window > 0 && this.bytes - this.acked >= this.window) {
      this.acked = this.bytes;
      this.send(ackMessage(this.bytes >>> 0));
    }
  }

  private parse(buf: Buffer, off: number, end: number): void {
    while (off < end) {
      if (this.chunkLeft === 0) {
        if (this.hdrLen > 0) {
          // a header split over reads: finish it in the scratch buffer
          const take = Math.min(MAX_HEADER - this.hdrLen, end - off);
          buf.copy(this.hdr, this.hdrLen, off, off + take);
          const used = this.header(this.hdr, 0, this.hdrLen + take);
          if (used === 0) {
            this.hdrLen += take;
            return;
          }
          off += used - this.hdrLen;
          this.hdrLen = 0;
        } else {
          const used = this.header(buf, off, end);
          if (used === 0) {
            buf.copy(this.hdr, 0, off, end);
            this.hdrLen = end - off;
            return;
          }
          off += used;
        }
        if (this.cur!.left === 0) {
          this.message(this.cur!);
          continue;
        }
      }
      const cs = this.cur!;
      const n = Math.min(this.chunkLeft, end - off);
      if (cs.buf) {
        buf.copy(cs.buf, cs.bufOff, off, off + n);
        cs.bufOff += n;
      }
      off += n;
      this.chunkLeft -= n;
      cs.left -= n;
      if (cs.left === 0) this.message(cs);
    }
  }

  /** Parses one chunk header at b[o..end); returns its size, or 0 when incomplete. */
  private header(b: Buffer, o: number, end: number): number {
    const avail = end - o;
    const fmt = b[o] >> 6;
    let csid = b[o] & 0x3f;
    let p = o + 1;
    if (csid === 0) {
      if (avail < 2) return 0;
      csid = 64 + b[p];
      p += 1;
    } else if (csid === 1) {
      if (avail < 3) return 0;
      csid = 64 + b[p] + b[p + 1] * 256;
      p += 2;
    }
    const mh = fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0;
    if (end - p < mh) return 0;
    let cs = this.streams[csid];
    if (!cs) cs = this.streams[csid] = new ChunkStream();
    const tsField = fmt <= 2 ? (b[p] << 16) | (b[p + 1] << 8) | b[p + 2] : 0;
    const ext = fmt <= 2 ? tsField === 0xffffff : cs.ext;
    const size = p - o + mh + (ext ? 4 : 0);
    if (avail < size) return 0;
    const ts = ext ? b.readUInt32BE(p + mh) : tsField;
    let starts = cs.left === 0;
    if (fmt <= 1) {
      cs.len = (b[p + 3] << 16) | (b[p + 4] << 8) | b[p + 5];
      cs.type = b[p + 6];
    }
    if (fmt === 0) {
      cs.ts = ts;
      cs.delta = 0;
    } else if (fmt <= 2) {
      cs.delta = ts;
      cs.ts += ts;
    } else if (starts) cs.ts += cs.delta;
    if (fmt <= 2) {
      cs.ext = ext;
      starts = true; // a full header always starts a new message
    }
    if (starts) {
      cs.left = cs.len;
      cs.buf = COLLECT.has(cs.type) && cs.len <= MAX_COLLECT ? Buffer.allocUnsafe(cs.len) : null;
      cs.bufOff = 0;
    }
    this.cur = cs;
    this.chunkLeft = Math.min(this.inChunk, cs.left);
    return size;
  }

  private message(cs: ChunkStream): void {
    const payload = cs.buf;
    cs.buf = null;
    switch (cs.type) {
      case 9:
        this.frames++;
        this.lastVideoTs = cs.ts;
        return;
      case 8:
        this.audio++;
        return;
      case 18:
        if (payload) {
          const sent = readBenchTime(payload, 0, payload.length);
          if (sent > 0) this.probe(sent);
        }
        return;
      case 1:
        if (payload && payload.length >= 4) this.inChunk = payload.readUInt32BE(0) & 0x7fffffff;
        return;
      case 5:
        if (payload && payload.length >= 4) this.window = payload.readUInt32BE(0);
        return;
      case 4:
        // ping request: answer, some servers drop silent peers
        if (payload && payload.length >= 6 && payload.readUInt16BE(0) === 6) this.send(pingResponse(payload.readUInt32BE(2)));
        return;
      case 20:
        if (payload) {
          let values: unknown[];
          try {
            values = decodeAmf0All(payload);
          } catch {
            return; // a command we cannot read is not one we wait for
          }
          this.command(values);
        }
        return;
    }
  }

  private command(values: unknown[]): void {
    const [name, tid] = values;
    if (name === '_result' && tid === 1) {
      this.send(createStreamCommand(2));
    } else if (name === '_result' && tid === 2) {
      this.streamId = typeof values[3] === 'number' ? values[3] : 1;
      this.send(setBufferLength(this.streamId, 1000));
      this.playAskedAt = wallNow();
      this.send(playCommand(this.streamId, this.url.stream));
    } else if (name === '_error') {
      this.fail(new Error(`RTMP ${String(describe(values[3]))}`));
    } else if (name === 'onStatus') {
      const info = (values[3] ?? {}) as Amf0Object;
      if (info.code === 'NetStream.Play.Start') this.playing();
      else if (info.level === 'error') this.fail(new Error(`RTMP ${describe(info)}`));
    }
  }
}

function describe(v: unknown): string {
  if (v && typeof v === 'object') {
    const o = v as Amf0Object;
    return `${String(o.code ?? '')} ${String(o.description ?? '')}`.trim();
  }
  return String(v);
}
