/**
 * `max_connections` as SRS means it: one count of every client socket of every TCP listener
 * (RTMP, the HTTP server, the HTTP API with socket.io), from accept to close, handshake or not.
 * A socket over the count is closed at once and counted; the log says so once per episode.
 *
 * Connections tsrs opens itself to push a stream elsewhere (forward's RTMP pushes) count too, as
 * SRS counts every connection: `reserve()` takes a slot before the connect and gives it back when
 * that connection ends; a push over the cap is refused (logged once per episode, as at accept)
 * and retried by its owner with backoff.
 *
 * The open-file limit bounds the count too: a socket is a descriptor, and tsrs needs some for
 * itself (listeners, the database, HLS/DVR files, hook requests, the /proc sampler). So the cap
 * is `min(max_connections, ulimit -n - reserve)`; a config that asks for more is told at start.
 *
 * Accept on Node 20 (libuv 1.46) at EMFILE: libuv closes a descriptor it holds in reserve,
 * accepts and closes every pending connection, and takes the reserve back; `net.Server` emits
 * no 'error' and does not spin (checked under `prlimit --nofile`). Other Node versions may emit
 * 'error' with EMFILE/ENFILE instead: listeners pass it to `resourceError()`, and so does any
 * other path that ran out of descriptors, memory or disk. Then the limit backs off: for
 * BACKOFF_MS after the last such error every new socket is closed at once, which gives its
 * descriptor straight back, and players already connected keep playing.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { Episode } from './resource-errors.js';

/** What the limit needs of a socket (a net.Socket). */
export interface CountedSocket {
  readonly remoteAddress?: string;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Descriptors kept out of the connection cap: at least this many ... */
const FD_RESERVE_MIN = 64;
/** ... or this share of the limit, whichever is more. */
const FD_RESERVE_SHARE = 1 / 8;
/** New sockets are refused for this long after the last resource error. */
export const BACKOFF_MS = 2000;

/** The soft open-file limit of this process (from /proc/self/limits), undefined when unknown. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How many client sockets an open-file limit leaves room for. */
export function socketsForFdLimit(fdLimit: number): number {
  return Math.max(1, fdLimit - Math.max(FD_RESERVE_MIN, Math.floor(fdLimit * FD_RESERVE_SHARE)));
}

export class ConnectionLimit {
  /** client sockets open now, all listeners */
  open = 0;
  /** sockets closed at accept because the server was full or backing off */
  refusedTotal = 0;
  private readonly fdCap: number;
  private backoffUntil = 0;
  private readonly full: Episode;
  private readonly starved: Episode;

  /** open sockets per remote address, kept only while max_connections_per_ip is set */
  private readonly perIp = new Map<string, number>();
  private readonly ipFull: Episode;

  constructor(
    private readonly maxConnections: () => number,
    private readonly log: Logger,
    fdLimit = openFileLimit(),
    /** max_connections_per_ip, read at each accept (0 = none) */
    private readonly maxPerIp: () => number = () => 0,
  ) {
    this.fdCap = fdLimit === undefined ? Number.POSITIVE_INFINITY : socketsForFdLimit(fdLimit);
    this.full = new Episode(log, 'max_connections reached: new connections are closed at accept');
    this.starved = new Episode(log, 'out of resources: new connections are closed at accept for a while');
    this.ipFull = new Episode(log, 'max_connections_per_ip reached: new connections from that address are closed at accept');
    const max = maxConnections();
    if (max > this.fdCap) {
      log.warn(
        { max_connections: max, open_files: fdLimit, allowed: this.fdCap },
        'max_connections is more than the open-file limit (ulimit -n) allows: connections are capped lower; raise the limit',
      );
    }
  }

  /** The number of sockets allowed at once. */
  get cap(): number {
    return Math.min(this.maxConnections(), this.fdCap);
  }

  /**
   * Count a just-accepted socket, or close it at once when the server is full or backing off.
   * Returns whether the socket may be served.
   */
  admit(socket: CountedSocket, listener: string): boolean {
    const backingOff = Date.now() < this.backoffUntil;
    if (backingOff || this.open >= this.cap) {
      this.refusedTotal++;
      (backingOff ? this.starved : this.full).hit({ listener, ip: socket.remoteAddress, open: this.open, cap: this.cap });
      socket.destroy();
      return false;
    }
    const perIp = this.maxPerIp();
    const ip = socket.remoteAddress ?? '';
    if (perIp > 0) {
      const mine = this.perIp.get(ip) ?? 0;
      if (mine >= perIp) {
        this.refusedTotal++;
        this.ipFull.hit({ listener, ip, open: mine, cap: perIp });
        socket.destroy();
        return false;
      }
      this.perIp.set(ip, mine + 1);
    }
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (perIp <= 0) return;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n > 0) this.perIp.set(ip, n);
      else this.perIp.delete(ip);
    });
    return true;
  }

  /**
   * Take a slot for an outgoing connection (`what`, to `to`). Returns its release (idempotent;
   * call it when the connection closed or failed), or undefined when the server is full or
   * backing off: counted in refusedTotal and logged as a refused accept is.
   */
  reserve(what: string, to: string): (() => void) | undefined {
    const backingOff = Date.now() < this.backoffUntil;
    if (backingOff || this.open >= this.cap) {
      this.refusedTotal++;
      (backingOff ? this.starved : this.full).hit({ outgoing: what, to, open: this.open, cap: this.cap });
      return undefined;
    }
    this.open++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.open--;
    };
  }

  /**
   * A resource error somewhere (accept, a file, the sampler): refuse new sockets for a while.
   * Returns true when it started a new episode (the caller need not log it again).
   */
  resourceError(err: unknown, where: string): boolean {
    this.backoffUntil = Date.now() + BACKOFF_MS;
    return this.starved.hit({ where, err: String(err), open: this.open });
  }

  /** Whether new sockets are being refused because of a recent resource error. */
  get backingOff(): boolean {
    return Date.now() < this.backoffUntil;
  }

  close(): void {
    this.full.stop();
    this.starved.stop();
    this.ipFull.stop();
  }
}
