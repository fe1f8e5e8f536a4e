/**
 * Socket-agnostic RTMP server connection: handshake, chunk stream, protocol control and the
 * NetConnection/NetStream command flow. The listener feeds it socket bytes with `push()` and
 * gives it a `send` function; the application decides through a ServerSessionHandler.
 *
 * Decisions (connect, publish, play) may be asynchronous (HTTP hooks): while a decision is
 * pending the session keeps queueing input (bounded by maxBufferedBytes) but processes no
 * further message, so nothing the client sends later overtakes the reply.
 *
 * A decision is accepted when the handler returns (or resolves to) undefined, and rejected
 * when it returns `{ reject: description }` or throws/rejects (the error's message is the
 * description). On reject the session sends the proper `_error`/onStatus and then calls
 * `end()`: the listener closes the socket there. `end()` is also called after a protocol
 * error, which `onError` reports first. The listener calls `close()` when the socket closes.
 */
import type { Amf0Object, Amf0Value } from '../../kernel/amf0.js';
import { isOnMetaData } from '../../kernel/flv-tag.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { encodeMessage, type EncodableMessage } from './chunk-encoder.js';
import {
  connectError,
  connectResult,
  createStreamResult,
  dataStart,
  decodeCommand,
  onBWDone,
  onFCPublish,
  onFCUnpublish,
  onStatus,
  pauseNotify,
  playReset,
  playStart,
  playStreamNotFound,
  playUnpublishNotify,
  publishBadName,
  publishStart,
  sampleAccess,
  simpleResult,
  unpauseNotify,
  unpublishSuccess,
  unwrapDataMessage,
  type RtmpCommand,
  type StatusInfo,
} from './commands.js';
import { ServerHandshake } from './handshake.js';
import {
  MSG,
  PEER_BANDWIDTH,
  RtmpProtocolError,
  USER_CONTROL,
  ackMessage,
  parseUserControl,
  pingResponse,
  readU32Payload,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  splitAggregate,
  streamBegin,
  streamEof,
  windowAckSizeMessage,
  type RtmpMessage,
} from './messages.js';
import { parseRtmpUrl, type RtmpUrl } from './url.js';

export interface ConnectRequest {
  app: string;
  tcUrl: string;
  pageUrl: string;
  swfUrl: string;
  flashVer: string;
  objectEncoding: number;
  /** the whole connect command object */
  commandObject: Amf0Object;
  /** optional user arguments after the command object */
  args: Amf0Value[];
  /** tcUrl parsed (stream and param from the tcUrl only) */
  url: RtmpUrl;
}

export interface PublishRequest {
  streamName: string;
  /** "live" | "record" | "append" */
  type: string;
  streamId: number;
  /** tcUrl + stream name: vhost, app, stream, param */
  url: RtmpUrl;
  /** the encoder called FCPublish first (FMLE/OBS/FFmpeg style, SRS's "fmle-publish") */
  fmle: boolean;
}

export interface PlayRequest {
  streamName: string;
  start: number;
  duration: number;
  reset: boolean;
  streamId: number;
  url: RtmpUrl;
}

/**
 * undefined accepts; `{ reject }` refuses with that description (and optional status code);
 * `ex` goes into the refusal's info object (SRS's RTMP 302: `{ code: 302, redirect: url }`).
 */
export type Decision = void | Rejection;
export interface Rejection {
  reject: string;
  code?: string;
  ex?: Amf0Object;
}
type Decider<T> = (req: T) => Decision | Promise<Decision>;

export interface ServerSessionHandler {
  onConnect?: Decider<ConnectRequest>;
  onPublish?: Decider<PublishRequest>;
  onPlay?: Decider<PlayRequest>;
  /** a player paused (true) or resumed (false); position in ms */
  onPause?(paused: boolean, position: number): void;
  /** the publisher stopped: FCUnpublish, deleteStream or closeStream (called once) */
  onUnpublish?(): void;
  /** a player stopped: deleteStream or closeStream (called once) */
  onStop?(): void;
  /**
   * Audio (8), video (9) or data (18) from the publisher. Aggregates are split, data is
   * normalized: "@setDataFrame" removed, AMF3 data turned into AMF0 data.
   * Payloads may share memory with the socket's Buffers: never write into them.
   */
  onMedia?(msg: RtmpMessage): void;
  /** a protocol error (RtmpProtocolError/Amf0Error) or a handler exception; end() follows */
  onError?(err: Error): void;
}

export interface ServerSessionOptions {
  /** writes bytes to the socket */
  send(buf: Buffer): void;
  /** the session is over (rejected or broken): close the socket */
  end?(reason: string): void;
  /** our chunk size, announced after connect (default 60000) */
  outChunkSize?: number;
  /** window ack size and peer bandwidth we announce (default 2500000) */
  windowAckSize?: number;
  /** largest incoming message (default 8 MiB) */
  maxMessageSize?: number;
  /** bound on queued input while a decision is pending (default 4 x maxMessageSize) */
  maxBufferedBytes?: number;
  /**
   * largest command, protocol control or shared object message, and largest data message
   * other than metadata (default 64 KiB); bigger closes the connection
   */
  maxCommandSize?: number;
  /** largest data message, @setDataFrame/onMetaData included (default 1 MiB) */
  maxDataSize?: number;
}

export const DEFAULT_MAX_COMMAND_SIZE = 64 * 1024;
export const DEFAULT_MAX_DATA_SIZE = 1024 * 1024;


export type SessionState = 'handshake' | 'connecting' | 'connected' | 'closed';
export type SessionRole = 'none' | 'publish' | 'play';

/**
 * Commands that get no answer. getStreamLength: FFmpeg wants a number and warns about a null,
 * and a live stream has no length anyway.
 */
const IGNORED_COMMANDS = new Set(['_result', '_error', 'onStatus', 'onBWDone', 'play2', 'getStreamLength']);

export class ServerSession {
  state: SessionState = 'handshake';
  role: SessionRole = 'none';
  /** the NetStream id of the publish/play */
  streamId = 0;
  connectRequest: ConnectRequest | undefined;
  publishRequest: PublishRequest | undefined;
  playRequest: PlayRequest | undefined;
  paused = false;
  /** the client's buffer length (SetBufferLength), ms */
  bufferLength = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly handshake = new ServerHandshake();

  private readonly decoder: ChunkDecoder;
  private outChunk = 128;
  private readonly wantOutChunk: number;
  private readonly windowAckSize: number;
  /** the peer's window ack size: we acknowledge every that many bytes (0: never) */
  private peerWindow = 0;
  private lastAck = 0;
  private nextStreamId = 0;
  private fcPublished = false;
  /** a decision is pending: leave input queued */
  private waiting = false;

  constructor(
    private readonly handler: ServerSessionHandler,
    private readonly opts: ServerSessionOptions,
  ) {
    this.wantOutChunk = opts.outChunkSize ?? 60000;
    this.windowAckSize = opts.windowAckSize ?? 2_500_000;
    this.maxCommandSize = opts.maxCommandSize ?? DEFAULT_MAX_COMMAND_SIZE;
    this.maxDataSize = opts.maxDataSize ?? DEFAULT_MAX_DATA_SIZE;
    this.decoder = new ChunkDecoder({
      maxMessageSize: opts.maxMessageSize,
      maxBufferedBytes: opts.maxBufferedBytes,
      maxCommandSize: this.maxCommandSize,
      maxDataSize: this.maxDataSize,
    });
  }

  private readonly maxCommandSize: number;
  private readonly maxDataSize: number;

  /**
   * A data message, unwrapped: metadata may be up to maxDataSize (the decoder checked that);
   * any other data (cue points, text) is held to the command bound.
   */
  private data(msg: RtmpMessage): RtmpMessage {
    const out = unwrapDataMessage(msg);
    const n = out.payload.length;
    // (an aggregate's data sub-messages were not checked by the decoder)
    if (n > this.maxDataSize) throw new RtmpProtocolError(`data message of ${n} bytes exceeds the maximum ${this.maxDataSize}`);
    if (n > this.maxCommandSize && !isOnMetaData(out.payload)) {
      throw new RtmpProtocolError(`data message of ${n} bytes that is not onMetaData exceeds the maximum ${this.maxCommandSize}`);
    }
    return out;
  }

  get outChunkSize(): number {
    return this.outChunk;
  }

  /** Input bytes queued (e.g. during a pending decision): a listener may pause reading. */
  get queuedBytes(): number {
    return this.decoder.queuedBytes;
  }

  /** Input bytes held: queued plus messages received in part (see ChunkDecoder.heldBytes). */
  get heldBytes(): number {
    return this.decoder.heldBytes;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Feeds bytes from the socket. Never throws: errors go to onError, then end(). */
  push(data: Buffer): void {
    if (this.state === 'closed') return;
    try {
      this.bytesIn += data.length;
      if (this.state === 'handshake') {
        const step = this.handshake.push(data);
        if (step.out) this.sendRaw(step.out);
        if (!step.done) return;
        this.state = 'connecting';
        if (!step.rest) return;
        data = step.rest;
      }
      this.maybeAck();
      this.decoder.push(data);
      this.pump();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Encodes and sends one message with the current out chunk size. */
  sendMessage(msg: EncodableMessage): void {
    this.sendRaw(encodeMessage(msg, this.outChunk));
  }

  /** Sends pre-encoded bytes (e.g. a Packet's cached chunks made with `outChunkSize`). */
  sendRaw(buf: Buffer): void {
    if (this.state === 'closed') return;
    this.bytesOut += buf.length;
    this.opts.send(buf);
  }

  /** Changes our chunk size (announces it first). */
  setOutChunkSize(size: number): void {
    this.sendMessage(setChunkSizeMessage(size));
    this.outChunk = size;
  }

  /** Tells a player that the publisher left: StreamEOF + NetStream.Play.UnpublishNotify. */
  notifyUnpublish(): void {
    if (this.role !== 'play') return;
    this.sendMessage(streamEof(this.streamId));
    this.sendMessage(playUnpublishNotify(this.streamId));
  }

  /** Sends an onStatus on the active stream, then ends the session. */
  closeWithStatus(info: StatusInfo): void {
    if (this.state === 'closed') return;
    this.sendMessage(onStatus(this.streamId, info));
    this.finish(info.description);
  }

  /**
   * The transport is gone (call it from the socket's 'close'): stop sending, ignore further
   * input, and fire onUnpublish/onStop if a publish/play was still active, so those fire
   * exactly once per stream however it ended.
   */
  close(): void {
    this.state = 'closed';
    try {
      this.stopRole();
    } catch (err) {
      this.handler.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // ---------------------------------------------------------------------------------------

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.opts.end?.(reason);
  }

  private fail(err: unknown): void {
    if (this.state === 'closed') return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.state = 'closed';
    try {
      this.handler.onError?.(e);
    } finally {
      this.opts.end?.(e.message);
    }
  }

  private maybeAck(): void {
    if (this.peerWindow > 0 && this.bytesIn - this.lastAck >= this.peerWindow) {
      this.lastAck = this.bytesIn;
      this.sendMessage(ackMessage(this.bytesIn >>> 0));
    }
  }

  private pump(): void {
    while (!this.waiting && this.state !== 'closed') {
      const msg = this.decoder.next();
      if (!msg) return;
      const pending = this.handle(msg);
      if (pending) {
        this.waiting = true;
        pending.then(
          () => {
            this.waiting = false;
            try {
              this.pump();
            } catch (err) {
              this.fail(err);
            }
          },
          (err) => this.fail(err),
        );
        return;
      }
    }
  }

  /** Handles one message; returns a promise when a decision is pending. */
  private handle(msg: RtmpMessage): Promise<void> | undefined {
    switch (msg.typeId) {
      case MSG.AUDIO:
      case MSG.VIDEO:
        if (this.role === 'publish') this.handler.onMedia?.(msg);
        return;
      case MSG.AMF0_DATA:
      case MSG.AMF3_DATA: {
        const data = this.data(msg);
        if (this.role === 'publish') this.handler.onMedia?.(data);
        return;
      }
      case MSG.AGGREGATE:
        if (this.role === 'publish') {
          for (const sub of splitAggregate(msg)) {
            if (sub.typeId === MSG.AUDIO || sub.typeId === MSG.VIDEO) this.handler.onMedia?.(sub);
            else if (sub.typeId === MSG.AMF0_DATA || sub.typeId === MSG.AMF3_DATA) {
              this.handler.onMedia?.(this.data(sub));
            }
          }
        }
        return;
      case MSG.AMF0_COMMAND:
      case MSG.AMF3_COMMAND:
        return this.command(decodeCommand(msg), msg);
      case MSG.USER_CONTROL: {
        const ev = parseUserControl(msg.payload);
        if (ev.event === USER_CONTROL.PING_REQUEST && 'timestamp' in ev) {
          this.sendMessage(pingResponse(ev.timestamp));
        } else if (ev.event === USER_CONTROL.SET_BUFFER_LENGTH && 'bufferLength' in ev) {
          this.bufferLength = ev.bufferLength;
        }
        return;
      }
      case MSG.WINDOW_ACK_SIZE:
        this.peerWindow = readU32Payload(msg);
        return;
      // Set chunk size and abort are applied by the decoder; ack, peer bandwidth and
      // shared objects need nothing from us.
      default:
        return;
    }
  }

  private command(cmd: RtmpCommand, msg: RtmpMessage): Promise<void> | undefined {
    if (this.state !== 'connected') {
      if (cmd.name !== 'connect') throw new RtmpProtocolError(`expected connect, got "${cmd.name}"`);
      return this.connect(cmd);
    }
    const tid = cmd.transactionId;
    const arg0 = cmd.args[0];
    switch (cmd.name) {
      case 'connect':
        throw new RtmpProtocolError('connect received twice');
      case 'createStream':
        this.nextStreamId++;
        this.sendMessage(createStreamResult(tid, this.nextStreamId));
        return;
      case 'releaseStream':
        this.sendMessage(simpleResult(tid));
        return;
      case 'FCPublish':
        this.fcPublished = true;
        this.sendMessage(simpleResult(tid));
        return;
      case 'publish':
        return this.publish(cmd, msg.streamId);
      case 'play':
        return this.play(cmd, msg.streamId);
      case 'pause':
        this.pause(arg0 === true, typeof cmd.args[1] === 'number' ? cmd.args[1] : 0);
        return;
      case 'FCUnpublish':
        if (this.role === 'publish') {
          this.sendMessage(onFCUnpublish(this.streamId));
          this.sendMessage(simpleResult(tid));
          this.sendMessage(unpublishSuccess(this.streamId));
          this.stopRole();
        } else if (tid > 0) {
          this.sendMessage(simpleResult(tid));
        }
        return;
      case 'deleteStream':
        // deleteStream(null, streamId) is sent on the NetConnection; closeStream on the stream.
        if (typeof arg0 !== 'number' || arg0 === this.streamId) this.stopRole();
        return;
      case 'closeStream':
        this.stopRole();
        return;
      default:
        // _checkbw, FCSubscribe, custom calls: a neutral answer if asked for.
        if (tid > 0 && !IGNORED_COMMANDS.has(cmd.name)) this.sendMessage(simpleResult(tid, null));
        return;
    }
  }

  /** Runs a decision; calls `done` with the outcome, synchronously when possible. */
  private decide<T>(
    fn: Decider<T> | undefined,
    req: T,
    done: (rejected: Rejection | undefined) => void,
  ): Promise<void> | undefined {
    const toReject = (err: unknown) => ({ reject: err instanceof Error ? err.message : String(err) });
    let result: Decision | Promise<Decision>;
    try {
      result = fn ? fn.call(this.handler, req) : undefined;
    } catch (err) {
      done(toReject(err));
      return;
    }
    if (result && typeof (result as Promise<Decision>).then === 'function') {
      return (result as Promise<Decision>).then(
        (d) => {
          if (this.state !== 'closed') done(d || undefined);
        },
        (err) => {
          if (this.state !== 'closed') done(toReject(err));
        },
      );
    }
    done((result as Decision) || undefined);
    return;
  }

  private connect(cmd: RtmpCommand): Promise<void> | undefined {
    const o = (cmd.commandObject && typeof cmd.commandObject === 'object' && !Array.isArray(cmd.commandObject)
      ? cmd.commandObject
      : {}) as Amf0Object;
    const str = (v: Amf0Value) => (typeof v === 'string' ? v : '');
    const tcUrl = str(o.tcUrl);
    const req: ConnectRequest = {
      app: str(o.app),
      tcUrl,
      pageUrl: str(o.pageUrl),
      swfUrl: str(o.swfUrl),
      flashVer: str(o.flashVer),
      objectEncoding: typeof o.objectEncoding === 'number' ? o.objectEncoding : 0,
      commandObject: o,
      args: cmd.args,
      url: parseRtmpUrl(tcUrl || `rtmp:///${str(o.app)}`),
    };
    this.connectRequest = req;
    return this.decide(this.handler.onConnect, req, (rejected) => {
      if (rejected) {
        this.sendMessage(connectError(cmd.transactionId, rejected.reject, rejected.code, rejected.ex));
        this.finish(rejected.reject);
        return;
      }
      this.state = 'connected';
      this.sendMessage(windowAckSizeMessage(this.windowAckSize));
      this.sendMessage(setPeerBandwidthMessage(this.windowAckSize, PEER_BANDWIDTH.DYNAMIC));
      this.setOutChunkSize(this.wantOutChunk);
      this.sendMessage(connectResult(cmd.transactionId, req.objectEncoding));
      this.sendMessage(onBWDone());
    });
  }

  private streamUrl(streamName: string): RtmpUrl {
    const c = this.connectRequest!;
    return parseRtmpUrl(c.tcUrl || `rtmp:///${c.app}`, streamName);
  }

  private publish(cmd: RtmpCommand, streamId: number): Promise<void> | undefined {
    if (this.role !== 'none') throw new RtmpProtocolError(`publish while already ${this.role === 'publish' ? 'publishing' : 'playing'}`);
    const streamName = typeof cmd.args[0] === 'string' ? cmd.args[0] : '';
    const req: PublishRequest = {
      streamName,
      type: typeof cmd.args[1] === 'string' ? cmd.args[1] : 'live',
      streamId,
      url: this.streamUrl(streamName),
      fmle: this.fcPublished,
    };
    this.publishRequest = req;
    // Known from here on: what the adapter sends on this NetStream (while the decision is pending
    // too) carries the stream's id, never 0 (strict clients drop such messages).
    this.streamId = streamId;
    return this.decide(this.handler.onPublish, req, (rejected) => {
      if (rejected) {
        this.sendMessage(
          rejected.code
            ? onStatus(streamId, refusal(rejected, rejected.code))
            : publishBadName(streamId, rejected.reject),
        );
        this.finish(rejected.reject);
        return;
      }
      this.role = 'publish';
      if (this.fcPublished) this.sendMessage(onFCPublish(streamId));
      this.sendMessage(publishStart(streamId, streamName));
    });
  }

  private play(cmd: RtmpCommand, streamId: number): Promise<void> | undefined {
    if (this.role !== 'none') throw new RtmpProtocolError(`play while already ${this.role === 'publish' ? 'publishing' : 'playing'}`);
    const [name, start, duration, reset] = cmd.args;
    const streamName = typeof name === 'string' ? name : '';
    const req: PlayRequest = {
      streamName,
      start: typeof start === 'number' ? start : -2,
      duration: typeof duration === 'number' ? duration : -1,
      reset: typeof reset === 'boolean' ? reset : true,
      streamId,
      url: this.streamUrl(streamName),
    };
    this.playRequest = req;
    this.streamId = streamId;
    return this.decide(this.handler.onPlay, req, (rejected) => {
      if (rejected) {
        this.sendMessage(
          rejected.code
            ? onStatus(streamId, refusal(rejected, rejected.code))
            : playStreamNotFound(streamId, rejected.reject),
        );
        this.finish(rejected.reject);
        return;
      }
      this.role = 'play';
      this.sendMessage(streamBegin(streamId));
      this.sendMessage(playReset(streamId, streamName));
      this.sendMessage(playStart(streamId, streamName));
      this.sendMessage(sampleAccess(streamId));
      this.sendMessage(dataStart(streamId));
    });
  }

  private pause(paused: boolean, position: number): void {
    if (this.role !== 'play' || paused === this.paused) return;
    this.paused = paused;
    this.handler.onPause?.(paused, position);
    if (paused) {
      this.sendMessage(pauseNotify(this.streamId));
      this.sendMessage(streamEof(this.streamId));
    } else {
      this.sendMessage(unpauseNotify(this.streamId));
      this.sendMessage(streamBegin(this.streamId));
    }
  }

  private stopRole(): void {
    const role = this.role;
    this.role = 'none';
    this.fcPublished = false;
    if (role === 'publish') this.handler.onUnpublish?.();
    else if (role === 'play') this.handler.onStop?.();
  }
}

/** The error info object of a refusal with its own status code. */
function refusal(r: Rejection, code: string): StatusInfo {
  const info: StatusInfo = { level: 'error', code, description: r.reject };
  if (r.ex) info.ex = r.ex;
  return info;
}
