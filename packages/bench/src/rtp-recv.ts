/**
 * The WebRTC players' datagram reads in native code (native/rtp_recv.c, built by `npm run build`
 * with node-gyp, optional): once a player's DTLS is up its ICE socket leaves libuv and joins the
 * module's epoll set; a timer every DRAIN_MS drains every ready socket with recvmmsg(2) and counts
 * the SRTP media in C. JavaScript gets back only STUN/DTLS/SRTCP (for werift), each player's first
 * video packet and the access unit starts that may carry the delay probe, each with the wall time
 * it was read (on wallNow()'s clock). Without the module (not built, not Linux, `TSRS_BENCH_RTP_RECV=off`) the players
 * read datagrams through dgram as before (webrtc-player.ts).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:dgram';
import { dgramHandle, socketFd } from '@tsrs/server/dist/src/protocol/rtc/native-send.js';
import { wallNow } from './bench-time.js';

/** what rtp_recv.node exports (its header comment has the shapes and errors) */
interface NativeRtpRecv {
  watch(fd: number, videoPt: number, audioPt: number, tagLength: number): number;
  unwatch(slot: number): void;
  drain(out: Buffer, meta: Float64Array, stats: Float64Array): number;
  readonly SLOTS: number;
  readonly META_FIELDS: number;
  readonly STAT_FIELDS: number;
  readonly KIND_OTHER: number;
  readonly KIND_FIRST: number;
  readonly KIND_PROBE: number;
  readonly PROBE_SCAN: number;
  readonly AUTH_SAMPLE: number;
}

/** Offsets in a slot's stats row (rtp_recv.c, STAT_*). */
export const Stat = {
  bytes: 0,
  packets: 1,
  frames: 2,
  audio: 3,
  lost: 4,
  lastVideoTs: 5,
  videoSsrc: 6,
  /** extended highest sequence number, -1 before the first */
  videoHighest: 7,
  /** RFC 3550 6.4.1 cumulative loss for a receiver report */
  videoReportLost: 8,
  audioSsrc: 9,
  audioHighest: 10,
  audioReportLost: 11,
  late: 12,
} as const;

/** What a watched socket's owner gets back (all synchronous, inside the drain). */
export interface RtpRecvHandler {
  /** STUN, DTLS or SRTCP: werift's; `data` is the owner's to keep */
  other(data: Buffer, address: string, port: number): void;
  /**
   * A video packet: the first one (`probe` false) or an access unit's first packet that may hold
   * the probe (`probe` true). `data` is valid only during the call; `roc` the rollover counter,
   * `readAt` the wall time (ms) the process read it.
   */
  video(data: Buffer, probe: boolean, roc: number, readAt: number): void;
}

/** how often the sockets are drained, ms (the probe is timed at the read, not at this tick) */
const DRAIN_MS = 2;
const OUT_BYTES = 4 * 1024 * 1024;
const META_ENTRIES = 2048;
/** drains in a row per tick when the module says there is more */
const MAX_ROUNDS = 8;

/** One socket's native reads: its counters, and `close()` before the socket is closed. */
export interface RtpWatch {
  /** a counter of the slot's stats row (Stat.*); after close(), its value at close */
  stat(field: number): number;
  close(): void;
}

class RtpReceiver {
  private readonly out = Buffer.allocUnsafeSlow(OUT_BYTES);
  private readonly meta: Float64Array;
  private readonly stats: Float64Array;
  private readonly handlers: (RtpRecvHandler | undefined)[];
  private watched = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly native: NativeRtpRecv) {
    this.meta = new Float64Array(META_ENTRIES * native.META_FIELDS);
    this.stats = new Float64Array(native.SLOTS * native.STAT_FIELDS);
    this.handlers = new Array(native.SLOTS);
  }

  /**
   * Takes `socket`'s reads (libuv stops reading it; the module reads a dup of its descriptor).
   * Throws when the socket shows no descriptor, is not IPv4 UDP, or every slot is taken; the
   * socket is then left as it was.
   */
  watch(socket: Socket, videoPt: number, audioPt: number, tagLength: number, handler: RtpRecvHandler): RtpWatch {
    const fd = socketFd(socket);
    const handle = recvStopper(socket);
    if (fd < 0 || !handle) throw new Error('rtp-recv: the socket shows no descriptor');
    const slot = this.native.watch(fd, videoPt < 0 ? 0xff : videoPt, audioPt < 0 ? 0xff : audioPt, tagLength);
    if (handle.recvStop() !== 0) {
      this.native.unwatch(slot);
      throw new Error('rtp-recv: libuv did not stop reading the socket');
    }
    const F = this.native.STAT_FIELDS;
    this.stats.fill(0, slot * F, slot * F + F);
    this.stats[slot * F + Stat.videoHighest] = -1;
    this.stats[slot * F + Stat.audioHighest] = -1;
    this.handlers[slot] = handler;
    if (this.watched++ === 0) {
      this.timer = setInterval(() => this.drain(), DRAIN_MS);
      this.timer.unref();
    }
    /** the row as it was at close (the slot is another socket's after it) */
    let closed: Float64Array | undefined;
    return {
      stat: (field) => (closed ? closed[field] : this.stats[slot * F + field]),
      close: () => {
        if (closed) return;
        closed = this.stats.slice(slot * F, slot * F + F);
        this.native.unwatch(slot);
        this.handlers[slot] = undefined;
        if (--this.watched === 0) clearInterval(this.timer);
      },
    };
  }

  private drain(): void {
    const { native, out, meta } = this;
    const M = native.META_FIELDS;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const r = native.drain(out, meta, this.stats);
      // the module's read times are CLOCK_MONOTONIC ms (process.hrtime's clock): to wall ms as wallNow()
      const toWall = wallNow() - Number(process.hrtime.bigint()) / 1e6;
      const n = r >>> 1;
      for (let i = 0; i < n; i++) {
        const m = i * M;
        const h = this.handlers[meta[m]];
        if (!h) continue;
        const data = out.subarray(meta[m + 1], meta[m + 1] + meta[m + 2]);
        const kind = meta[m + 3];
        try {
          if (kind === native.KIND_OTHER) {
            const ip = meta[m + 4];
            h.other(Buffer.from(data), `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`, meta[m + 5]);
          } else h.video(data, kind === native.KIND_PROBE, meta[m + 7], meta[m + 6] + toWall);
        } catch {
          // a player's own error ends that player (it fails on its own); the others go on
        }
      }
      if ((r & 1) === 0) return;
    }
  }
}

/** dgram's libuv handle with its recvStop (libuv stops reading the socket) */
function recvStopper(socket: Socket): { recvStop(): number } | undefined {
  const handle = dgramHandle(socket);
  return typeof handle?.recvStop === 'function' ? (handle as { recvStop(): number }) : undefined;
}

/** where `npm run build` puts the module, from dist/src/ */
const MODULE_PATH = '../../native/build/Release/rtp_recv.node';
let receiver: { r?: RtpReceiver; reason?: string } | undefined;

/** The process's receiver, or undefined with the reason (not built, failed to load, TSRS_BENCH_RTP_RECV=off). */
export function rtpReceiver(): { r?: RtpReceiver; reason?: string } {
  if (receiver) return receiver;
  if (process.env.TSRS_BENCH_RTP_RECV === 'off') return (receiver = { reason: 'TSRS_BENCH_RTP_RECV=off' });
  if (process.platform !== 'linux') return (receiver = { reason: `recvmmsg is Linux only (${process.platform})` });
  try {
    return (receiver = { r: new RtpReceiver(createRequire(import.meta.url)(MODULE_PATH) as NativeRtpRecv) });
  } catch (err) {
    return (receiver = { reason: (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'native/rtp_recv.node was not built' : String((err as Error).message) });
  }
}

export type { RtpReceiver };
