/**
 * A small promise-based RTMP client over a TCP socket, for publishing or playing one stream.
 * Used by tests, the benchmark, forwarding and edge ingest.
 *
 *   const c = await RtmpClient.connect('rtmp://127.0.0.1/live/s?token=x', { mode: 'publish' });
 *   c.sendMedia(MSG.VIDEO, ts, body);   // or, when playing: c.on('message', (msg) => ...)
 *   await c.close();
 *
 * Events: 'message' (RtmpMessage: audio, video and data while playing; data is unwrapped
 * like the server does), 'status' (onStatus info objects), 'error' (Error), 'close'.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Amf0Object } from '../../kernel/amf0.js';
import type { Packet } from '../../kernel/packet.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { encodeMessage, type EncodableMessage } from './chunk-encoder.js';
import {
  connectCommand,
  createStreamCommand,
  decodeCommand,
  deleteStreamCommand,
  fcPublishCommand,
  fcUnpublishCommand,
  playCommand,
  publishCommand,
  releaseStreamCommand,
  unwrapDataMessage,
  type RtmpCommand,
} from './commands.js';
import { ClientHandshake } from './handshake.js';
import {
  CSID,
  MSG,
  RtmpProtocolError,
  USER_CONTROL,
  ackMessage,
  parseUserControl,
  pingResponse,
  readU32Payload,
  setBufferLength,
  setChunkSizeMessage,
  splitAggregate,
  type RtmpMessage,
} from './messages.js';
import { packetChunks } from './packet-chunks.js';
import { DEFAULT_RTMP_PORT } from './url.js';

export interface RtmpClientOptions {
  /** 'connect': only the NetConnection (connect answered), e.g. to let a server check a connect */
  mode: 'publish' | 'play' | 'connect';
  /** pageUrl and swfUrl sent with connect (as a player's, when a connect is passed on) */
  pageUrl?: string;
  swfUrl?: string;
  /** more properties of the connect command object (e.g. an edge's `tsrs_edge_via`) */
  connectExtra?: Amf0Object;
  /** complex (digest) handshake; default true */
  complexHandshake?: boolean;
  /** our chunk size (default 60000) */
  outChunkSize?: number;
  /** connect + publish/play must finish within this (default 10000 ms) */
  timeoutMs?: number;
  maxMessageSize?: number;
  /** player buffer length announced with SetBufferLength (default 1000 ms) */
  bufferMs?: number;
  /**
   * Reject (error + close) audio, video, data and onStatus messages that arrive on another
   * message stream id than the one createStream answered, as strict players (Flash's NetStream)
   * drop them. Default false.
   */
  strictStreamId?: boolean;
}

export interface ParsedClientUrl {
  host: string;
  port: number;
  app: string;
  /** stream name including its query (that is where servers read the params) */
  stream: string;
  tcUrl: string;
}

/** rtmp://host[:port]/app[/more]/stream[?query] -> app is everything up to the last '/'. */
export function parseClientUrl(url: string): ParsedClientUrl {
  const m = /^rtmp:\/\/(\[[^\]]+\]|[^/:?]+)(?::(\d+))?\/(.*)$/i.exec(url);
  if (!m) throw new RtmpProtocolError(`bad RTMP url: ${url}`);
  const host = m[1].replace(/^\[|\]$/g, '');
  const port = m[2] ? Number(m[2]) : DEFAULT_RTMP_PORT;
  const q = m[3].indexOf('?');
  const path = q < 0 ? m[3] : m[3].slice(0, q);
  const query = q < 0 ? '' : m[3].slice(q);
  const slash = path.lastIndexOf('/');
  if (slash <= 0) throw new RtmpProtocolError(`RTMP url needs /app/stream: ${url}`);
  const app = path.slice(0, slash);
  const hostPart = m[1] + (m[2] ? `:${m[2]}` : '');
  return { host, port, app, stream: path.slice(slash + 1) + query, tcUrl: `rtmp://${hostPart}/${app}` };
}

/**
 * Bounds on the messages held until connect() resolves (a server sends media with or after
 * Play.Start; one that floods instead of answering must not fill memory until the timeout).
 */
const MAX_EARLY_MESSAGES = 4096;
const MAX_EARLY_BYTES = 16 * 1024 * 1024;

/** Message types that belong to a NetStream once it exists (checked by `strictStreamId`). */
const NETSTREAM_TYPES = new Set<number>([MSG.AUDIO, MSG.VIDEO, MSG.AMF0_DATA, MSG.AMF3_DATA, MSG.AGGREGATE, MSG.AMF0_COMMAND]);

/** The server answered a connect, publish or play with an error (`_error` or an error onStatus). */
export class RtmpRefusedError extends Error {}

/**
 * The server refused with a redirect (SRS's RTMP 302: an error onStatus or `_error` whose
 * `ex` object holds `code: 302` and `redirect: <rtmp url>`): connect there instead.
 */
export class RtmpRedirectError extends RtmpRefusedError {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** The redirect URL an error info object carries (`ex.redirect`), if any. */
export function redirectOf(info: unknown): string | undefined {
  if (!info || typeof info !== 'object') return undefined;
  const ex = (info as Amf0Object).ex;
  if (!ex || typeof ex !== 'object') return undefined;
  const url = (ex as Amf0Object).redirect;
  return typeof url === 'string' && /^rtmp:\/\//i.test(url) ? url : undefined;
}

interface Pending {
  resolve(cmd: RtmpCommand): void;
  reject(err: Error): void;
}

export class RtmpClient extends EventEmitter {
  streamId = 0;
  bytesIn = 0;
  bytesOut = 0;
  private readonly socket: net.Socket;
  private readonly handshake: ClientHandshake;
  private readonly decoder: ChunkDecoder;
  private outChunk = 128;
  private tid = 1;
  private readonly pending = new Map<number, Pending>();
  private statusWaiter: ((info: Amf0Object) => void) | undefined;
  private peerWindow = 0;
  private lastAck = 0;
  private closed = false;

  private constructor(
    readonly url: ParsedClientUrl,
    readonly opts: RtmpClientOptions,
  ) {
    super();
    this.handshake = new ClientHandshake({ complex: opts.complexHandshake ?? true });
    this.decoder = new ChunkDecoder({ maxMessageSize: opts.maxMessageSize });
    this.socket = net.connect({ host: url.host, port: url.port });
    this.socket.setNoDelay(true);
  }

  /**
   * Connects, then publishes or plays; resolves once the server said Publish.Start/Play.Start.
   * `url` may also give the parts as sent (app, stream and tcUrl exactly, e.g. for tests).
   */
  static async connect(url: string | ParsedClientUrl, opts: RtmpClientOptions): Promise<RtmpClient> {
    const client = new RtmpClient(typeof url === 'string' ? parseClientUrl(url) : url, opts);
    const timeoutMs = opts.timeoutMs ?? 10000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`RTMP ${opts.mode} ${client.url.tcUrl} ${client.url.stream} timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      // Media that arrived with Play.Start was held back: hand it over once the caller listens.
      setImmediate(() => client.releaseEarly());
      return client;
    } catch (err) {
      client.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async start(): Promise<void> {
    const { socket } = this;
    const ready = new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        this.failAll(err);
        reject(err);
      };
      socket.on('error', onError);
      socket.once('connect', () => socket.write(this.handshake.start()));
      socket.on('data', (data: Buffer) => {
        try {
          if (this.onData(data)) resolve();
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          if (this.listenerCount('error') > 0) this.emit('error', e);
          this.failAll(e);
          reject(e);
          this.destroy();
        }
      });
      socket.on('close', () => {
        this.closed = true;
        this.failAll(new Error('RTMP connection closed'));
        reject(new Error('RTMP connection closed'));
        this.emit('close');
      });
    });
    await ready; // handshake done

    const { app, tcUrl, stream } = this.url;
    await this.call(connectCommand(this.tid, { app, tcUrl, pageUrl: this.opts.pageUrl, swfUrl: this.opts.swfUrl, extra: this.opts.connectExtra }));
    if (this.opts.mode === 'connect') return;
    this.setOutChunkSize(this.opts.outChunkSize ?? 60000);
    if (this.opts.mode === 'publish') {
      this.sendMessage(releaseStreamCommand(++this.tid, stream));
      this.sendMessage(fcPublishCommand(++this.tid, stream));
    }
    const created = await this.call(createStreamCommand(++this.tid));
    this.streamId = typeof created.args[0] === 'number' ? created.args[0] : 1;
    if (this.opts.mode === 'publish') {
      this.sendMessage(publishCommand(this.streamId, stream));
      await this.waitStatus('NetStream.Publish.Start');
    } else {
      this.sendMessage(setBufferLength(this.streamId, this.opts.bufferMs ?? 1000));
      this.sendMessage(playCommand(this.streamId, stream));
      await this.waitStatus('NetStream.Play.Start');
    }
  }

  /** Returns true when the handshake just completed. */
  private onData(data: Buffer): boolean {
    this.bytesIn += data.length;
    let handshakeDone = false;
    if (!this.handshakeDone) {
      const step = this.handshake.push(data);
      if (step.out) this.write(step.out);
      if (!step.done) return false;
      this.handshakeDone = handshakeDone = true;
      if (!step.rest) return true;
      data = step.rest;
    }
    if (this.peerWindow > 0 && this.bytesIn - this.lastAck >= this.peerWindow) {
      this.lastAck = this.bytesIn;
      this.sendMessage(ackMessage(this.bytesIn >>> 0));
    }
    this.decoder.push(data);
    for (let msg = this.decoder.next(); msg; msg = this.decoder.next()) this.handle(msg);
    return handshakeDone;
  }

  private handshakeDone = false;

  /** messages received before connect() resolved (nobody could listen yet) */
  private early: RtmpMessage[] | undefined = [];

  private earlyBytes = 0;

  /** Throws RtmpProtocolError when more than MAX_EARLY_MESSAGES / MAX_EARLY_BYTES would be held. */
  private deliver(msg: RtmpMessage): void {
    if (!this.early) return void this.emit('message', msg);
    this.earlyBytes += msg.payload.length;
    if (this.early.length >= MAX_EARLY_MESSAGES || this.earlyBytes > MAX_EARLY_BYTES) {
      throw new RtmpProtocolError(`more than ${MAX_EARLY_MESSAGES} messages or ${MAX_EARLY_BYTES} bytes before the ${this.opts.mode} started`);
    }
    this.early.push(msg);
  }

  private releaseEarly(): void {
    const early = this.early ?? [];
    this.early = undefined;
    for (const m of early) this.emit('message', m);
  }

  private handle(msg: RtmpMessage): void {
    if (this.opts.strictStreamId && this.streamId !== 0 && msg.streamId !== this.streamId && NETSTREAM_TYPES.has(msg.typeId)) {
      // onStatus is the only command a NetStream gets; _result/_error belong to the NetConnection
      if (msg.typeId !== MSG.AMF0_COMMAND || decodeCommand(msg).name === 'onStatus') {
        throw new RtmpProtocolError(`message type ${msg.typeId} on stream ${msg.streamId}, expected stream ${this.streamId}`);
      }
    }
    switch (msg.typeId) {
      case MSG.AUDIO:
      case MSG.VIDEO:
        this.deliver(msg);
        return;
      case MSG.AMF0_DATA:
      case MSG.AMF3_DATA:
        this.deliver(unwrapDataMessage(msg));
        return;
      case MSG.AGGREGATE:
        for (const sub of splitAggregate(msg)) this.handle(sub);
        return;
      case MSG.AMF0_COMMAND:
      case MSG.AMF3_COMMAND:
        this.onCommand(decodeCommand(msg));
        return;
      case MSG.USER_CONTROL: {
        const ev = parseUserControl(msg.payload);
        if (ev.event === USER_CONTROL.PING_REQUEST && 'timestamp' in ev) this.sendMessage(pingResponse(ev.timestamp));
        return;
      }
      case MSG.WINDOW_ACK_SIZE:
        this.peerWindow = readU32Payload(msg);
        return;
      default:
        return;
    }
  }

  private onCommand(cmd: RtmpCommand): void {
    if (cmd.name === '_result' || cmd.name === '_error') {
      const p = this.pending.get(cmd.transactionId);
      if (!p) return;
      this.pending.delete(cmd.transactionId);
      if (cmd.name === '_result') p.resolve(cmd);
      else p.reject(failure(`RTMP call failed: ${describe(cmd.args[0])}`, cmd.args[0]));
      return;
    }
    if (cmd.name === 'onStatus') {
      const info = (cmd.args[0] ?? {}) as Amf0Object;
      this.emit('status', info);
      this.statusWaiter?.(info);
    }
  }

  private call(msg: RtmpMessage): Promise<RtmpCommand> {
    const tid = this.tid;
    return new Promise<RtmpCommand>((resolve, reject) => {
      this.pending.set(tid, { resolve, reject });
      this.sendMessage(msg);
    });
  }

  private waitStatus(code: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.set(-1, { resolve: () => {}, reject });
      this.statusWaiter = (info) => {
        if (info.code === code) {
          this.statusWaiter = undefined;
          this.pending.delete(-1);
          resolve();
        } else if (info.level === 'error') {
          this.statusWaiter = undefined;
          this.pending.delete(-1);
          reject(failure(`RTMP ${this.opts.mode} rejected: ${String(info.code)} ${String(info.description ?? '')}`, info));
        }
      };
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private write(buf: Buffer): boolean {
    if (this.closed) return false;
    this.bytesOut += buf.length;
    return this.socket.write(buf);
  }

  setOutChunkSize(size: number): void {
    this.sendMessage(setChunkSizeMessage(size));
    this.outChunk = size;
  }

  /** Sends a message; returns false when the socket buffer is full (wait for 'drain'). */
  sendMessage(msg: EncodableMessage): boolean {
    return this.write(encodeMessage(msg, this.outChunk));
  }

  /** Publishes one audio (8), video (9) or data (18) message on our stream. */
  sendMedia(typeId: number, timestamp: number, payload: Buffer): boolean {
    const csid = typeId === MSG.AUDIO ? CSID.AUDIO : typeId === MSG.VIDEO ? CSID.VIDEO : CSID.OVER_CONNECTION2;
    return this.sendMessage({ typeId, streamId: this.streamId, timestamp, csid, payload });
  }

  /** Bytes written but not yet taken by the socket (backpressure). */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Publishes a Source's packets on our stream, corked into one write: each packet's chunked form
   * for our chunk size and stream id is made once and shared with the server's players of that
   * shape. Returns false when the socket buffer is full (wait for drained()) or the socket is gone.
   */
  sendPackets(packets: readonly Packet[]): boolean {
    if (this.closed) return false;
    this.socket.cork();
    let ok = true;
    for (let i = 0; i < packets.length; i++) ok = this.write(packetChunks(packets[i], this.outChunk, this.streamId));
    this.socket.uncork();
    return ok;
  }

  /** Resolves when the socket is writable again (for backpressure). */
  drained(): Promise<void> {
    return this.socket.writableNeedDrain ? new Promise((r) => this.socket.once('drain', () => r())) : Promise.resolve();
  }

  /** Politely stops (FCUnpublish/deleteStream), then ends the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.streamId) {
      if (this.opts.mode === 'publish') this.sendMessage(fcUnpublishCommand(++this.tid, this.url.stream));
      this.sendMessage(deleteStreamCommand(++this.tid, this.streamId));
    }
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
      }, 2000).unref();
    });
  }

  /** false once the socket closed or destroy() was called. */
  get open(): boolean {
    return !this.closed;
  }

  /** Closes at once. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** An RtmpRefusedError, or an RtmpRedirectError when the refusal carries a redirect. */
function failure(message: string, info: unknown): Error {
  const url = redirectOf(info);
  return url ? new RtmpRedirectError(url, `${message} (redirect to ${url})`) : new RtmpRefusedError(message);
}

function describe(v: unknown): string {
  if (v && typeof v === 'object') {
    const o = v as Amf0Object;
    return `${String(o.code ?? '')} ${String(o.description ?? '')}`.trim();
  }
  return String(v);
}
