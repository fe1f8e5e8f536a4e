/**
 * Every WebRTC session of the server on one UDP port (`rtc_server { listen 8000; }`), as SRS
 * and MediaMTX do. werift opens a UDP socket per peer connection and has no shared-socket mode,
 * so tsrs puts this around it:
 *
 * - `UdpTransport.init` (werift's socket factory, used by its ICE gathering) is wrapped once. A
 *   peer connection is tied to a session by `mux.attach(session, pc)`, which gives it a port range
 *   array of its own (`icePortRange`): werift hands that very array, by reference, to
 *   `UdpTransport.init`'s options when it gathers, and the wrapper looks the array up (a WeakMap)
 *   and returns a `MuxedTransport`, a virtual transport that sends through the shared socket,
 *   instead of binding a new socket. Any other call reaches werift untouched (tsrs's own test
 *   clients keep their own sockets). No AsyncLocalStorage: it would turn on promise hooks for
 *   the whole process, which cost every RTMP and WebRTC packet path about a fifth of its CPU.
 * - Inbound datagrams are routed to a session by the remote address once it is known, else by the
 *   local ICE ufrag in a STUN connectivity check's USERNAME (`ours:theirs`, RFC 8445 7.2.2).
 *   werift answers (and, ICE-lite, nominates) any Binding request naming its ufrag without checking
 *   its MESSAGE-INTEGRITY, so the mux checks it (HMAC-SHA1 with the session's ice-pwd, RFC 8489
 *   14.5): a Binding request that is unsigned, wrongly signed or names another session than its
 *   address's is dropped, and only a signed one binds a new remote address (a stranger cannot use
 *   up a session's address slots, or get werift to nominate its address). Anything else from an
 *   unknown address is dropped and counted.
 * - Sessions run ICE-lite (RFC 8445 2.5): they only answer checks, so every STUN transaction of a
 *   session goes through the one transport that received it.
 * - A browser checks every pair of its candidates with ours and nominates them all (aggressive
 *   nomination toward an ICE-lite peer); werift keeps the first nominated pair, which may be one
 *   the browser itself gives up on (Chromium on one host: its 192.0.2.x socket reaches our
 *   127.0.0.1, but our reply leaves from 192.0.2.x and fails its address check). RFC 8445 8.1.1
 *   has the highest-priority nominated pair win, so the mux sends a session's DTLS, RTP and RTCP
 *   to the address of its highest-PRIORITY nominating check whose MESSAGE-INTEGRITY holds (so a
 *   forged check cannot aim a session's media elsewhere); STUN answers still go where asked.
 * - A session's DTLS leg is werift's: as the DTLS client (werift answers an `actpass` offer with
 *   `a=setup:active`) it fails the whole handshake on a second HelloVerifyRequest, which a peer
 *   sends when our ClientHello was retransmitted (werift retransmits after 500 ms, which a loaded
 *   machine easily exceeds) before its first answer arrived. RFC 6347 4.2.1 makes a duplicate
 *   HelloVerifyRequest only a cue to resend the ClientHello, which werift's own retransmit timer
 *   does anyway, so the mux hands a session only its first HelloVerifyRequest and counts the rest.
 *
 * RTP to players goes out in batches through the native module when it is built (send-batch.ts,
 * native-send.ts: SRTP and one sendmmsg per batch); everything else, and RTP when it is not, is
 * sent through the dgram socket.
 *
 * Bounded: at most `maxSessions` sessions and `maxAddressesPerSession` remote addresses each, and
 * `maxSendQueue` datagrams queued for sending.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv4, type AddressInfo } from 'node:net';
import { UdpTransport, type RTCPeerConnection } from 'werift';
import { isHelloVerifyRequest } from './dtls-record.js';
import { nativeRtcSend, socketFd } from './native-send.js';
import { RtcSendBatch } from './send-batch.js';
import { isBindingRequest, localUfragOf, isStun, nominationPriority, stunIntegrityOk } from './stun.js';

/** werift's `[host, port]` */
type Address = [string, number];

export interface RtcUdpMuxOptions {
  /** sessions at once (a function: read at each openSession) */
  maxSessions: number | (() => number);
  maxAddressesPerSession: number;
  /** datagrams waiting in the socket's send queue (the kernel's buffer was full) beyond which `sendTo` drops */
  maxSendQueue: number;
  /** told of each datagram `sendTo` drops at `maxSendQueue` (the owner logs the episode) */
  onSendDropped?: () => void;
  /** told of an error that lost a native send batch (send-batch.ts) */
  onSendError?: (err: Error) => void;
}

/**
 * What `sendTo` did with a datagram: 'sent' (the kernel has its bytes: the buffer may be written
 * again at once), 'queued' (the kernel's buffer was full: Node holds the buffer until it goes) or
 * 'dropped' (no peer address, the session closed, or `maxSendQueue` datagrams already waiting).
 */
export type DatagramResult = 'sent' | 'queued' | 'dropped';

/**
 * dgram's address lookup for the socket: an IPv4 literal (every address the mux sends to comes
 * from a received datagram) is answered synchronously, so a send reaches the kernel within the
 * call (dns.lookup answers a literal through process.nextTick, a tick per datagram, and the
 * buffer stays held until then); anything else goes to dns.lookup. `now` is told whether the
 * answer came within the call.
 */
function literalLookup(now: (synchronous: boolean) => void) {
  return (hostname: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
    if (isIPv4(hostname)) {
      now(true);
      callback(null, hostname, 4);
    } else {
      now(false);
      dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
    }
  };
}

export const DEFAULT_RTC_UDP_MUX_OPTIONS: RtcUdpMuxOptions = { maxSessions: 1000, maxAddressesPerSession: 8, maxSendQueue: 8192 };

export interface RtcUdpMuxStats {
  sessions: number;
  /** datagrams handed to a session */
  routed: number;
  /** datagrams from an unknown address that named no known ufrag */
  dropped: number;
  /** repeated DTLS HelloVerifyRequests kept from a session (see the module comment) */
  duplicateHelloVerify: number;
  /** datagrams `sendTo` dropped because the socket's send queue was full */
  sendDropped: number;
  /** RTP datagrams sent in native batches (sendmmsg), and the batches */
  batched: number;
  batches: number;
}

/** One peer connection's share of the port. */
export class MuxSession {
  ufrag: string | undefined;
  /** the address of the client that asked for it (its offer's HTTP request), for per-IP bounds */
  ip: string | undefined;
  readonly transports: MuxedTransport[] = [];
  readonly addresses = new Set<string>();
  closed = false;
  /** a DTLS HelloVerifyRequest was handed to werift */
  helloVerified = false;
  /** its peer connection reached 'connected' (ICE and DTLS done): it no longer counts as pending */
  connected = false;
  /** the remote address of the highest-priority nominating check (RFC 8445 8.1.1), where media goes */
  selected: { addr: Address; priority: number } | undefined;
  /** the local ICE password, which every connectivity check must be signed with */
  password: string | undefined;
  /** where werift last sent this session's DTLS (its selected pair's remote address) */
  peer: Address | undefined;
  /** the native send batch's numbers for the address media goes to (send-batch.ts) */
  batchAddress?: { of: Address; ip: number; port: number };
}

/** A werift transport that has no socket of its own. */
export class MuxedTransport {
  readonly type = 'udp';
  closed = false;
  onData: (data: Buffer, addr: Address) => void = () => {};

  constructor(
    private readonly mux: RtcUdpMux,
    private readonly session: MuxSession,
  ) {}

  get address(): AddressInfo {
    return this.mux.address;
  }

  send = async (data: Buffer, addr?: Address): Promise<void> => {
    if (this.closed || !addr) return;
    if (isStun(data)) return this.mux.send(data, addr);
    this.session.peer = addr;
    const selected = this.session.selected;
    this.mux.send(data, selected ? selected.addr : addr);
  };

  close = async (): Promise<void> => {
    this.closed = true;
    const i = this.session.transports.indexOf(this);
    if (i >= 0) this.session.transports.splice(i, 1);
  };
}

interface MuxContext {
  mux: RtcUdpMux;
  session: MuxSession;
}

/** the `icePortRange` arrays given to attached peer connections, and their sessions */
const attached = new WeakMap<readonly number[], MuxContext>();
let installed = false;

/** Wraps werift's UDP socket factory once per process (see the module comment). */
function installWeriftHook(): void {
  if (installed) return;
  installed = true;
  const original = UdpTransport.init.bind(UdpTransport);
  const hooked = async (type: Parameters<typeof UdpTransport.init>[0], options?: Parameters<typeof UdpTransport.init>[1]) => {
    const ctx = options?.portRange ? attached.get(options.portRange) : undefined;
    if (!ctx) return original(type, options);
    return ctx.mux.createTransport(ctx.session, type) as unknown as UdpTransport;
  };
  (UdpTransport as unknown as { init: typeof hooked }).init = hooked;
}

export class RtcUdpMux {
  private readonly byUfrag = new Map<string, MuxSession>();
  private readonly byAddress = new Map<string, MuxSession>();
  private readonly sessions = new Set<MuxSession>();
  private counters = { routed: 0, dropped: 0, duplicateHelloVerify: 0, sendDropped: 0 };

  private constructor(
    private readonly socket: Socket,
    private readonly opts: RtcUdpMuxOptions,
    /** whether the socket's last address lookup answered within the send */
    private readonly lookup: { synchronous: boolean },
  ) {
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    const { native, reason } = nativeRtcSend();
    const fd = native ? socketFd(socket) : -1;
    if (native && fd >= 0) {
      this.sendBatch = new RtcSendBatch(
        native,
        fd,
        (data, addr) => this.sendQueued(data, addr),
        () => socket.getSendQueueCount() > 0,
        (err) => this.opts.onSendError?.(err),
      );
    }
    else this.nativeOffReason = reason ?? 'the UDP socket shows no file descriptor';
  }

  /** the native batch RTP to players goes through, when the native module is built */
  readonly sendBatch: RtcSendBatch | undefined;
  /** why there is no `sendBatch` */
  readonly nativeOffReason: string | undefined;

  /** Binds the shared UDP port (IPv4). Rejects with the bind error (EADDRINUSE, EACCES). */
  static async listen(port: number, host = '0.0.0.0', opts: Partial<RtcUdpMuxOptions> = {}): Promise<RtcUdpMux> {
    installWeriftHook();
    const lookup = { synchronous: false };
    const socket = createSocket({ type: 'udp4', lookup: literalLookup((now) => (lookup.synchronous = now)) as never });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: host }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {}); // a send error (ICMP unreachable) must not end the process
    return new RtcUdpMux(socket, { ...DEFAULT_RTC_UDP_MUX_OPTIONS, ...opts }, lookup);
  }

  get address(): AddressInfo {
    return this.socket.address();
  }

  get stats(): RtcUdpMuxStats {
    const b = this.sendBatch?.counters;
    return { sessions: this.sessions.size, ...this.counters, batched: b?.sent ?? 0, batches: b?.batches ?? 0 };
  }

  /** `maxSessions` sessions are open: openSession would throw. */
  get full(): boolean {
    const max = this.opts.maxSessions;
    return this.sessions.size >= (typeof max === 'function' ? max() : max);
  }

  /**
   * Sessions opened for `ip` whose peer connection is not connected yet (ICE or DTLS not done):
   * a signed connectivity check alone, which costs a client one datagram, does not take a
   * session out of this count; the DTLS handshake does.
   */
  pendingOf(ip: string): number {
    let n = 0;
    for (const s of this.sessions) if (s.ip === ip && !s.connected) n++;
    return n;
  }

  /** A new session (for the client at `ip`); throws when `maxSessions` are open. */
  openSession(ip?: string): MuxSession {
    if (this.full) throw new Error(`${this.sessions.size} WebRTC sessions already open (rtc_server.max_sessions)`);
    const s = new MuxSession();
    s.ip = ip;
    this.sessions.add(s);
    return s;
  }

  /**
   * Ties `pc` to `session`: the ICE transports it gathers use this port. Call it right after
   * making `pc`, before any transceiver or description: werift makes the ICE gatherer (and reads
   * `icePortRange`) with the first transceiver. Its `icePortRange` becomes an array of the session's own, which werift
   * passes by reference to its socket factory (the range itself is never bound: it names the
   * shared port, so a transport that escaped the hook would fail with EADDRINUSE).
   */
  attach(session: MuxSession, pc: RTCPeerConnection): void {
    const port = this.address.port;
    const range = [port, port + 1];
    attached.set(range, { mux: this, session });
    (pc as unknown as { config: { icePortRange?: number[] } }).config.icePortRange = range;
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') session.connected = true;
    });
  }

  /**
   * Names the session's local ICE ufrag and password (its answer's `a=ice-ufrag`, `a=ice-pwd`), so
   * connectivity checks signed with that password find it. Throws when another session has the ufrag.
   */
  bindUfrag(session: MuxSession, ufrag: string, password: string): void {
    if (session.closed) return;
    session.password = password;
    const other = this.byUfrag.get(ufrag);
    if (other && other !== session) throw new Error(`ICE ufrag ${ufrag} is already in use`);
    if (session.ufrag && session.ufrag !== ufrag) this.byUfrag.delete(session.ufrag);
    session.ufrag = ufrag;
    this.byUfrag.set(ufrag, session);
  }

  closeSession(session: MuxSession): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    if (session.ufrag && this.byUfrag.get(session.ufrag) === session) this.byUfrag.delete(session.ufrag);
    for (const a of session.addresses) if (this.byAddress.get(a) === session) this.byAddress.delete(a);
    session.addresses.clear();
    for (const t of [...session.transports]) void t.close();
  }

  /** @internal the werift hook */
  createTransport(session: MuxSession, type: string): MuxedTransport {
    if (type !== 'udp4') throw new Error(`the WebRTC port is IPv4 (${type} asked)`);
    if (session.closed) throw new Error('the WebRTC session is closed');
    const t = new MuxedTransport(this, session);
    session.transports.push(t);
    return t;
  }

  /** @internal */
  send(data: Buffer, addr: Address): void {
    this.socket.send(data, addr[1], addr[0]);
  }

  /**
   * Sends one datagram of `session` (RTP or RTCP) where its media goes (see the module comment),
   * without werift. 'sent': the kernel took the bytes within the call and `data` may be reused;
   * 'queued': Node holds `data` until the kernel takes it; 'dropped': the session is closed, has
   * no remote address yet, or `maxSendQueue` datagrams are already waiting.
   */
  sendTo(session: MuxSession, data: Buffer): DatagramResult {
    const addr = session.selected?.addr ?? session.peer;
    if (session.closed || !addr) return 'dropped';
    return this.sendQueued(data, addr);
  }

  /** Sends `data` to `addr` through dgram, or drops it when `maxSendQueue` datagrams are waiting. */
  private sendQueued(data: Buffer, addr: Address): DatagramResult {
    const waiting = this.socket.getSendQueueCount();
    if (waiting >= this.opts.maxSendQueue) {
      this.counters.sendDropped++;
      this.opts.onSendDropped?.();
      return 'dropped';
    }
    this.lookup.synchronous = false;
    this.socket.send(data, addr[1], addr[0]);
    // the send went out within the call only if the lookup did, and libuv tries a send at once
    // only when nothing waits (order is kept); else Node holds `data` until it goes
    return this.lookup.synchronous && waiting === 0 && this.socket.getSendQueueCount() === 0 ? 'sent' : 'queued';
  }

  async close(): Promise<void> {
    this.sendBatch?.close();
    for (const s of [...this.sessions]) this.closeSession(s);
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let session = this.byAddress.get(key);
    const check = isBindingRequest(msg);
    if (check) {
      const ufrag = localUfragOf(msg);
      const named = ufrag === undefined ? undefined : this.byUfrag.get(ufrag);
      if (!named || (session && session !== named) || named.password === undefined || !stunIntegrityOk(msg, named.password)) {
        this.counters.dropped++;
        return;
      }
      if (!session && named.addresses.size < this.opts.maxAddressesPerSession) {
        named.addresses.add(key);
        this.byAddress.set(key, named);
        session = named;
      }
    }
    const transport = session?.transports[0];
    if (!session || !transport) {
      this.counters.dropped++;
      return;
    }
    const priority = check ? nominationPriority(msg) : undefined;
    if (priority !== undefined && (!session.selected || priority > session.selected.priority)) {
      session.selected = { addr: [rinfo.address, rinfo.port], priority };
    }
    if (isHelloVerifyRequest(msg)) {
      if (session.helloVerified) {
        this.counters.duplicateHelloVerify++;
        return;
      }
      session.helloVerified = true;
    }
    this.counters.routed++;
    transport.onData(msg, [rinfo.address, rinfo.port]);
  }
}
