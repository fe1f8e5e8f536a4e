/**
 * A batch of RTP datagrams to WebRTC players, protected (SRTP) and sent by the native module
 * (native-send.ts) in one call: one sendmmsg(2) for up to BATCH_SLOTS datagrams instead of a
 * dgram send (and its request object and system call) per packet and player.
 *
 * A sender writes its RTP packet (header, then payload) into a slot of `area` between `begin`
 * and `commit`; the slot's descriptor names the session's SRTP keys (an id from `openKeys`:
 * AES_CM_128_HMAC_SHA1_80, 10-byte tag; or `openGcmKeys`: AEAD_AES_128_GCM, RFC 7714), the
 * lengths, the sequence number and rollover counter (RFC 3711 3.3.1) and the peer's address. The
 * batch is sent when its slots are full and at the end of the current synchronous run (a
 * microtask scheduled by its first packet), so a flush round of the fan-out leaves as a few large
 * batches and no packet waits past the round. Datagrams the kernel did not take (its buffer full)
 * are already protected: they go to the `fallback` (dgram's queue, bounded by the mux). While
 * dgram's queue holds datagrams (`queued()`), a batch is only protected and goes to the fallback
 * whole, so no datagram overtakes one that waits there.
 *
 * Bounded: BATCH_SLOTS datagrams of at most SLOT_BYTES, one area per batch (one batch per UDP
 * port).
 */
import type { NativeRtcSend } from './native-send.js';
import { SRTP_AUTH_TAG_LENGTH } from './srtp-protect.js';

/** AEAD_AES_128_GCM's authentication tag (RFC 7714 13.1) */
export const SRTP_GCM_TAG_LENGTH = 16;

/** bytes of one slot: an RTP packet of at most 1500 bytes, the SRTP tag (10 or 16 bytes), alignment */
export const SLOT_BYTES = 1536;
/** datagrams per sendmmsg */
export const BATCH_SLOTS = 64;

/** `[host, port]`, as the mux keeps addresses */
export type BatchAddress = [string, number];

/** What the batch reads of a mux session: where its media goes, and whether it is closed. */
export interface BatchSession {
  closed: boolean;
  selected: { addr: BatchAddress } | undefined;
  peer: BatchAddress | undefined;
  /** the batch's cache of that address as numbers (written by the batch) */
  batchAddress?: { of: BatchAddress; ip: number; port: number };
}

/** The IPv4 literal `a.b.c.d` as a 32-bit number in host order, or -1. */
export function ipv4Number(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) return -1;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

export class RtcSendBatch {
  /** where senders write their packets: slot i at i * SLOT_BYTES */
  readonly area = Buffer.alloc(BATCH_SLOTS * SLOT_BYTES);
  private readonly desc: Uint32Array;
  private readonly words: number;
  private readonly addresses: (BatchAddress | undefined)[] = new Array<BatchAddress | undefined>(BATCH_SLOTS);
  /** the tag length of each open keys id (a datagram the kernel did not take is that much longer than its RTP) */
  private readonly tagOf = new Map<number, number>();
  private count = 0;
  private scheduled = false;
  /** ids of closed senders' keys, freed at the next flush (a slot may still name them) */
  private closing: number[] = [];
  private readonly finalizer = new FinalizationRegistry<number>((id) => this.closeId(id));
  /**
   * datagrams the kernel took from a batch (or dropped by their own error), datagrams given to the
   * fallback, batches sent, and datagrams lost to an error of the whole batch (`onError` told)
   */
  readonly counters = { sent: 0, fallback: 0, batches: 0, lost: 0 };
  private closed = false;

  constructor(
    private readonly native: NativeRtcSend,
    private fd: number,
    /** sends one protected datagram the kernel did not take through dgram (its queue, bounded) */
    private readonly fallback: (datagram: Buffer, address: BatchAddress) => void,
    /** whether dgram's send queue holds datagrams */
    private readonly queued: () => boolean = () => false,
    /** told of an error that lost a whole batch (the socket closed; a bug) */
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.words = native.DESC_WORDS;
    this.desc = new Uint32Array(BATCH_SLOTS * this.words);
  }

  /**
   * Keys for a sender (k_e 16 bytes, k_s 14, k_a 20: RFC 3711 4.3's session keys), freed by
   * `closeKeys(owner)` or when `owner` is collected. Throws RangeError for keys of the wrong length.
   */
  openKeys(owner: object, key: Buffer, salt: Buffer, authKey: Buffer): number {
    return this.own(owner, this.native.open(key, salt, authKey), SRTP_AUTH_TAG_LENGTH);
  }

  /**
   * AEAD_AES_128_GCM keys (RFC 7714: key 16 bytes, salt 12) for a sender, freed as `openKeys`'
   * ones. Throws RangeError for keys of the wrong length.
   */
  openGcmKeys(owner: object, key: Buffer, salt: Buffer): number {
    return this.own(owner, this.native.openGcm(key, salt), SRTP_GCM_TAG_LENGTH);
  }

  private own(owner: object, id: number, tagLength: number): number {
    this.tagOf.set(id, tagLength);
    this.finalizer.register(owner, id, owner);
    return id;
  }

  closeKeys(owner: object, id: number): void {
    if (this.finalizer.unregister(owner)) this.closeId(id);
  }

  private closeId(id: number): void {
    // a slot of the current batch may still name the id: free it after the batch is sent
    if (this.count > 0) this.closing.push(id);
    else this.free(id);
  }

  private free(id: number): void {
    this.tagOf.delete(id);
    this.native.close(id);
  }

  /**
   * Starts a datagram to `session`: the offset in `area` where its RTP packet (at most 1500
   * bytes, room for the tag (up to 16 bytes) after it) is written, or -1 when the session is closed or has
   * no address yet (dropped, as dgram would). Sends the batch first when it is full.
   */
  begin(session: BatchSession): number {
    const addr = session.selected?.addr ?? session.peer;
    if (session.closed || !addr || this.closed) return -1;
    if (this.count === BATCH_SLOTS) this.flush();
    let cached = session.batchAddress;
    if (cached?.of !== addr) {
      const ip = ipv4Number(addr[0]);
      if (ip < 0) return -1;
      cached = session.batchAddress = { of: addr, ip, port: addr[1] };
    }
    const i = this.count;
    this.addresses[i] = addr;
    const d = i * this.words;
    this.desc[d + 6] = cached.ip;
    this.desc[d + 7] = cached.port;
    return i * SLOT_BYTES;
  }

  /** Ends the datagram `begin` started: protect with `keys` (an `openKeys` id) and send it with the batch. */
  commit(keys: number, headerLength: number, rtpLength: number, sequenceNumber: number, rolloverCounter: number): void {
    const i = this.count++;
    const d = i * this.words;
    const desc = this.desc;
    desc[d] = keys;
    desc[d + 1] = i * SLOT_BYTES;
    desc[d + 2] = headerLength;
    desc[d + 3] = rtpLength;
    desc[d + 4] = sequenceNumber;
    desc[d + 5] = rolloverCounter >>> 0;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Sends what the batch holds and takes no more (the socket is closing). */
  close(): void {
    this.flush();
    this.closed = true;
    this.fd = -1;
  }

  /** Protects and sends what the batch holds; what the kernel does not take goes to the fallback. */
  flush(): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    let handled: number;
    try {
      handled = this.native.sendBatch(this.queued() ? this.native.NO_SOCKET : this.fd, this.area, this.desc, n);
      this.counters.batches++;
    } catch (err) {
      // the socket closed under the batch, or a bad descriptor (a bug): the batch is lost, the process goes on
      this.counters.lost += n;
      this.onError(err as Error);
      this.release(n);
      return;
    }
    this.counters.sent += handled;
    for (let i = handled; i < n; i++) {
      const d = i * this.words;
      const keys = this.desc[d];
      const length = this.desc[d + 3] + (keys === this.native.NO_PROTECT ? 0 : (this.tagOf.get(keys) ?? SRTP_AUTH_TAG_LENGTH));
      const at = this.desc[d + 1];
      this.counters.fallback++;
      this.fallback(Buffer.from(this.area.subarray(at, at + length)), this.addresses[i]!);
    }
    this.release(n);
  }

  /** After a batch of `n`: its addresses forgotten, the keys closed meanwhile freed. */
  private release(n: number): void {
    this.addresses.fill(undefined, 0, n);
    if (this.closing.length > 0) {
      for (const id of this.closing) this.free(id);
      this.closing = [];
    }
  }
}
