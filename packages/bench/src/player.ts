/**
 * What every light player shares: byte/frame counters, the state and the latency probe
 * (`Player`); the TCP ones (`SocketPlayer`) also share one read buffer for all sockets
 * (Node's `onread` option: no allocation per read) and parse only headers (RTMP chunk / FLV
 * tag headers). The WebRTC one is in webrtc-player.ts.
 */
import net from 'node:net';
import { wallNow } from './bench-time.js';

/**
 * One read buffer for every socket of the process: `onread` fills it and calls us
 * synchronously, and we are done with it before the next read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export type PlayerState = 'connecting' | 'playing' | 'failed' | 'closed';

/** What the players report to (the `play` command's aggregator). */
export interface PlayerEnv {
  recordLag(ms: number): void;
  onPlaying(p: Player): void;
  onFailed(p: Player, err: Error): void;
}

export abstract class Player {
  bytes = 0;
  /** video messages/tags (WebRTC: access units, by marker bit) received */
  frames = 0;
  /** audio messages/tags (WebRTC: RTP packets) received */
  audio = 0;
  /** media units received: RTP packets (WebRTC, video and audio), else video + audio messages/tags */
  packets = 0;
  /** media units lost (WebRTC: RTP sequence number gaps; TCP players lose nothing) */
  lost = 0;
  /** packets that failed a check (WebRTC: SRTP authentication) */
  corrupt = 0;
  /** timestamp (ms) of the last video frame */
  lastVideoTs = 0;
  state: PlayerState = 'connecting';
  error: string | undefined;
  /** wall time we asked to play (HTTP: connected; RTMP: play sent; WebRTC: offer posted): probes sent before it are cached (stale) copies */
  protected playAskedAt = 0;

  constructor(protected readonly env: PlayerEnv) {}

  abstract start(): void;

  /** releases the transport (socket, peer connection); called once, on fail or close */
  protected abstract teardown(): void | Promise<void>;

  protected playing(): void {
    if (this.state !== 'connecting') return;
    this.state = 'playing';
    this.env.onPlaying(this);
  }

  /** a probe message with the publisher's send time, read at `readAt` (wall ms) */
  protected probe(sentAt: number, readAt = wallNow()): void {
    if (sentAt >= this.playAskedAt && this.state === 'playing') this.env.recordLag(readAt - sentAt);
  }

  /** Brings the counters up to date where they are kept elsewhere (the WebRTC player's native reads); before reading them. */
  sync(): void {}

  /** how this player reads its media, when it can differ (WebRTC: 'native' or 'js') */
  reader(): string | undefined {
    return undefined;
  }

  fail(err: Error): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.error = err.message;
    void this.teardown();
    this.env.onFailed(this, err);
  }

  /** Stops playing; resolves once the transport is released (a WebRTC session is DELETEd). */
  async close(): Promise<void> {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'closed';
    await this.teardown();
  }
}

/** A player over one TCP connection (RTMP, HTTP-FLV). */
export abstract class SocketPlayer extends Player {
  protected socket: net.Socket | undefined;

  /** bytes from the socket, valid only during this call */
  protected abstract onBytes(buf: Buffer, n: number): void;
  protected abstract onConnected(): void;

  protected open(host: string, port: number): void {
    const socket = net.connect({
      host,
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.bytes += n;
          try {
            this.onBytes(buf as Buffer, n);
          } catch (err) {
            this.fail(err instanceof Error ? err : new Error(String(err)));
          }
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.playAskedAt = wallNow();
      this.onConnected();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('closed by peer')));
  }

  protected write(buf: Buffer): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(buf);
  }

  protected teardown(): void {
    this.socket?.destroy();
  }
}
