/**
 * The optional native send path of the WebRTC fan-out (packages/server/native/rtc_send.c): SRTP
 * protection (AES_CM_128_HMAC_SHA1_80, RFC 3711; AEAD_AES_128_GCM, RFC 7714) of a batch of RTP packets and one sendmmsg(2)
 * for all of them. `npm run build` compiles it with node-gyp against the running Node's own
 * headers and OpenSSL; where that cannot be done (no compiler, make or python3, no headers, not Linux) the
 * build says so and tsrs sends from JavaScript (srtp-protect.ts and dgram), the same bytes at a
 * higher CPU cost per packet. `TSRS_RTC_NATIVE=off` in the environment turns the native path
 * off (to compare the two, or if it misbehaves).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:dgram';

/** what rtc_send.node exports (see its header comment for the shapes and errors) */
export interface NativeRtcSend {
  /** a session's SRTP keys: key 16 bytes, salt 14, auth key 20; returns their id */
  open(key: Buffer, salt: Buffer, authKey: Buffer): number;
  /** AEAD_AES_128_GCM keys (RFC 7714): key 16 bytes, salt 12; returns their id (16-byte tags) */
  openGcm(key: Buffer, salt: Buffer): number;
  /** frees an id's keys; an unknown id is ignored, but a closed id may be given out again by `open`, so close each once */
  close(id: number): void;
  /** protects the RTP packet at buf[offset, offset + rtpLength) in place, the tag after it (10 bytes, 16 for GCM keys) */
  protect(id: number, buf: Buffer, offset: number, headerLength: number, rtpLength: number, seq: number, roc: number): void;
  /**
   * Protects and sends `count` datagrams (DESC_WORDS words each in `desc`); returns how many were
   * handled (the rest: the kernel's buffer was full). fd NO_SOCKET: protect only, returns 0.
   * Throws (before changing anything) for a bad descriptor; an Error with code
   * ERR_RTC_SEND_SOCKET when `fd` is no open datagram socket.
   */
  sendBatch(fd: number, area: Buffer, desc: Uint32Array, count: number): number;
  readonly DESC_WORDS: number;
  readonly BATCH_MAX: number;
  readonly NO_PROTECT: number;
  readonly NO_SOCKET: number;
}

/** where `npm run build` puts the module, from dist/src/protocol/rtc/ */
const MODULE_PATH = '../../../../native/build/Release/rtc_send.node';

let loaded: { native?: NativeRtcSend; reason?: string } | undefined;

/**
 * The native module, or undefined with the reason (not built, failed to load, turned off by
 * TSRS_RTC_NATIVE=off). Loaded once per process.
 */
export function nativeRtcSend(): { native?: NativeRtcSend; reason?: string } {
  if (loaded) return loaded;
  if (process.env.TSRS_RTC_NATIVE === 'off') return (loaded = { reason: 'TSRS_RTC_NATIVE=off' });
  if (process.platform !== 'linux') return (loaded = { reason: `sendmmsg is Linux only (${process.platform})` });
  try {
    const native = createRequire(import.meta.url)(MODULE_PATH) as NativeRtcSend;
    return (loaded = { native });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return (loaded = { reason: code === 'MODULE_NOT_FOUND' ? 'native/rtc_send.node was not built (npm run build needs gcc or g++, make and python3)' : String((err as Error).message) });
  }
}

/**
 * The file descriptor of a bound dgram socket (its libuv handle's), or -1 when Node does not
 * show it. Read through dgram's state symbol: `socket._handle` is deprecated (DEP0112).
 */
export function socketFd(socket: Socket): number {
  const fd = dgramHandle(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** A dgram socket's libuv handle (fd, recvStart/recvStop), read through dgram's state symbol; undefined when Node does not show it. */
export function dgramHandle(socket: Socket): Record<string, unknown> | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return state ? (socket as unknown as Record<symbol, { handle?: Record<string, unknown> } | undefined>)[state]?.handle : undefined;
}
