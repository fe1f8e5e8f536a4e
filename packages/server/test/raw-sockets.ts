/** Test helpers: raw TCP clients that speak as little of a protocol as a test wants. */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { ChunkDecoder } from '../src/protocol/rtmp/chunk-decoder.js';
import { encodeMessage, type EncodableMessage } from '../src/protocol/rtmp/chunk-encoder.js';
import { decodeCommand, type RtmpCommand } from '../src/protocol/rtmp/commands.js';
import { MSG } from '../src/protocol/rtmp/messages.js';

/** A raw RTMP connection after a simple (plain) handshake, for sending hand-made bytes. */
export async function rawRtmpHandshake(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const c1 = randomBytes(1536);
  c1.fill(0, 0, 8);
  s.write(Buffer.concat([Buffer.from([3]), c1]));
  let got = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 1 + 1536 * 2) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
  });
  s.write(got.subarray(1, 1537)); // C2 = S1
  return s;
}

/** Resolves true when `s` closes within `ms` (whatever it receives meanwhile is read and dropped). */
export function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.on('data', () => undefined);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** An RTMP conversation held by hand: commands sent one by one, every command the server sends kept. */
export interface RtmpTalk {
  socket: Socket;
  /** the server's commands (_result, _error, onStatus, ...) in arrival order */
  commands: RtmpCommand[];
  send(msg: EncodableMessage): void;
  /** the first command (already received or to come) that `match` accepts; rejects on close or after `ms` */
  waitFor(match: (c: RtmpCommand) => boolean, ms?: number): Promise<RtmpCommand>;
  /** resolves when the server has closed the socket */
  closed: Promise<void>;
}

/** A plain handshake, then the server's messages decoded as they come (chunk size changes followed). */
export async function rtmpTalk(port: number): Promise<RtmpTalk> {
  const socket = await rawRtmpHandshake(port);
  const decoder = new ChunkDecoder();
  const commands: RtmpCommand[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => {
    decoder.push(d);
    for (let m = decoder.next(); m; m = decoder.next()) {
      if (m.typeId === MSG.AMF0_COMMAND) commands.push(decodeCommand(m));
    }
    for (const w of waiters) w();
  });
  socket.once('close', () => {
    for (const w of waiters) w();
  });
  return {
    socket,
    commands,
    closed,
    send: (msg) => {
      if (!socket.destroyed) socket.write(encodeMessage(msg, 128));
    },
    waitFor: (match, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const c = commands.find(match);
          if (c) done(() => resolve(c));
          else if (socket.destroyed) done(() => reject(new Error(`closed without it; got ${commands.map(describe).join(', ')}`)));
        };
        const t = setTimeout(() => done(() => reject(new Error(`not within ${ms} ms; got ${commands.map(describe).join(', ')}`))), ms);
        const done = (f: () => void) => {
          clearTimeout(t);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** `_result`, `_error NetConnection.Connect.Rejected`, `onStatus NetStream.Play.Start`, ... */
export function describe(c: RtmpCommand): string {
  const info = c.args[0] as { code?: unknown } | undefined;
  return info && typeof info === 'object' && typeof info.code === 'string' ? `${c.name} ${info.code}` : c.name;
}

/** The status object (`{level, code, description}`) a `_error`/`onStatus` carries, if any. */
export function statusOf(c: RtmpCommand): { level?: string; code?: string; description?: string } {
  const info = c.args[0];
  return info && typeof info === 'object' ? (info as { level?: string; code?: string; description?: string }) : {};
}
