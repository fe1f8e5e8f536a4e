/**
 * The media path of one werift `RTCRtpSender`, without werift's per-packet work: the fan-out to
 * WebRTC players sends every RTP packet once per player, and werift's `sendRtp` (an async chain
 * per packet through its ICE connection, header extensions rebuilt from the negotiated list, an
 * NTP time made through strings, bandwidth-estimation records, a new cipher per packet) cost
 * several times the SRTP protection itself. Per packet this does only: the RTP header (RFC 3550
 * 5.1: the sender's SSRC and payload type, the caller's sequence number and timestamp) with the
 * negotiated header extensions (RFC 8285 one-byte form: `sdes:mid`, abs-send-time,
 * transport-wide sequence number) written from a template into the one datagram buffer, the
 * payload copied after it, SRTP protection in place (srtp-protect.ts for AES_CM_128_HMAC_SHA1_80;
 * werift's SRTP context for AEAD_AES_128_GCM), and one datagram. With a native batch
 * (send-batch.ts: the native module is built), the packet is written into the batch's area
 * instead, and protected (either profile) and sent there with the rest of the batch.
 *
 * RTCP sender reports (RFC 3550 6.4.1) are made here on the sender's counts and the NTP/RTP
 * timestamp pair of the newest packet, at RFC 3550's interval (SENDER_REPORT_MS), and sent
 * through werift's SRTCP. What werift still does for the sender: NACK answers from its
 * retransmission history (each packet is put in the history werift resends from, its last 128
 * per sender, as light entries whose header is made only when a NACK asks for one; werift's
 * rollover counter for the SSRC is kept in step), PLI/FIR events, and TWCC feedback (read, not
 * acted on: tsrs does not adapt the bitrate of a stream to one player).
 */
import {
  compactNtp,
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtcpSenderInfo,
  RtcpSourceDescriptionPacket,
  RtcpSrPacket,
  RtpHeader,
  RtpPacket,
  SourceDescriptionChunk,
  SourceDescriptionItem,
  type RtcpPacket,
  type RTCRtpSender,
} from 'werift';
import { SrtpCmProtector, SRTP_AUTH_TAG_LENGTH, SRTP_MAX_PACKET, SRTP_PREFIX } from './srtp-protect.js';
import type { BatchSession, RtcSendBatch } from './send-batch.js';
import type { DatagramResult } from './udp-mux.js';

export const URI_SDES_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const URI_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const URI_TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** werift's RTP_HISTORY_SIZE: the packets a sender keeps for NACKs */
export const RTP_HISTORY_SIZE = 128;
/**
 * Sender reports (RFC 3550 6.4.1) of one sender: the first 0.5-1.5 s after its first packet (so a
 * player can sync audio and video early), then every 2.5-7.5 s: RFC 3550 6.2's 5 s minimum,
 * randomized by +-50 % as 6.3.1 does. (werift sent one every 0.5-1.5 s, through its SRTCP path,
 * which at hundreds of players cost about a twentieth of the server's CPU.)
 */
export const FIRST_SENDER_REPORT_MS = [500, 1500] as const;
export const SENDER_REPORT_MS = 5000;
/** seconds from 1900-01-01 (NTP era 0) to 1970-01-01 */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** werift's rollover counter state of one SSRC in its SRTP context */
interface SrtpSsrcState {
  rolloverCounter: number;
  lastSequenceNumber: number;
  rolloverHasProcessed?: boolean;
}

/** The parts of werift's SRTP context (0.24) this path reads: the profile and the session keys. */
interface SrtpLocalContext {
  profile: number;
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
  getSrtpSsrcState(ssrc: number): SrtpSsrcState;
}

/** The parts of werift's RTCRtpSender (0.24) and its DTLS transport this path reads and feeds (exported for tests' stand-ins). */
export interface SenderInternals {
  ssrc: number;
  mid?: string;
  codec?: { payloadType: number };
  headerExtensions: { id: number; uri: string }[];
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  octetCount: number;
  packetCount: number;
  rtpCache: unknown[];
  cname?: string;
  handleRtcpPacket(rtcp: RtcpPacket): void;
  lastSRtimestamp?: number;
  lastSentSRTimestamp?: number;
  dtlsTransport?: {
    sendRtcp(packets: RtcpPacket[]): Promise<unknown>;
    state: string;
    onStateChange?: { subscribe(f: (state: string) => void): { unSubscribe(): void } };
    transportSequenceNumber: number;
    srtp?: { encrypt(payload: Buffer, header: RtpHeader): Buffer; localContext?: SrtpLocalContext };
  };
}

/** The 64-bit NTP timestamp (RFC 3550 4) of a Unix time in ms. */
export function ntpTimestamp(unixMs: number): bigint {
  const secs = Math.floor(unixMs / 1000);
  const frac = Math.floor(((unixMs - secs * 1000) / 1000) * 2 ** 32);
  return (BigInt(secs + NTP_UNIX_OFFSET) << 32n) | BigInt(frac);
}

/** abs-send-time (webrtc.org): 24 bits, seconds in 6.18 fixed point, of a Unix time in ms. */
export function absSendTime(unixMs: number): number {
  return Math.floor(((unixMs / 1000) * (1 << 18)) % (1 << 24));
}

/** Sends one datagram to the peer; see `RtcUdpMux.sendTo` for what each result means for `data`. */
export type DatagramSink = (data: Buffer) => DatagramResult;

/** The native batch of the sender's UDP port and the mux session its datagrams go to. */
export interface BatchRoute {
  batch: RtcSendBatch;
  session: BatchSession;
}

const SCRATCH_LENGTH = SRTP_PREFIX + SRTP_MAX_PACKET + SRTP_AUTH_TAG_LENGTH;
/**
 * The one area every player's RTP packet is written, protected and sent from (the process is
 * single-threaded and a packet is sent within `send`): a send the kernel took at once leaves it
 * free for the next packet; a queued one keeps it, and the next packet gets a new area.
 */
let scratch = Buffer.allocUnsafeSlow(SCRATCH_LENGTH);

/**
 * werift's retransmission history of one sender (`rtpCache`, read by its NACK handler as
 * `rtpCache[seq % RTP_HISTORY_SIZE]`, an RtpPacket with `.header` and `.payload`): the numbers of
 * the last RTP_HISTORY_SIZE packets in typed arrays and their shared payloads, no object per
 * packet (at hundreds of players the entries outlived the young generation and were promoted,
 * hundreds of thousands of them, for the old-generation collector to walk); an entry's RtpPacket
 * is made when werift reads it.
 */
class SentHistory {
  private readonly payloads: (Buffer | undefined)[] = new Array<Buffer | undefined>(RTP_HISTORY_SIZE);
  private readonly seq = new Uint16Array(RTP_HISTORY_SIZE);
  private readonly timestamp = new Uint32Array(RTP_HISTORY_SIZE);
  private readonly marker = new Uint8Array(RTP_HISTORY_SIZE);
  private readonly absTime = new Uint32Array(RTP_HISTORY_SIZE);
  private readonly transportSeq = new Uint16Array(RTP_HISTORY_SIZE);
  /** the rollover counter each packet was protected with (RFC 3711 3.3.1) */
  private readonly roc = new Uint32Array(RTP_HISTORY_SIZE);
  /** what werift's sender holds as `rtpCache` */
  readonly view: unknown[];

  constructor(private readonly out: RtpOut) {
    this.view = new Proxy<unknown[]>([], {
      get: (target, key, receiver) => {
        if (typeof key === 'string' && key.length <= 3 && key >= '0' && key <= '9') {
          const i = Number(key);
          if (Number.isInteger(i) && i >= 0 && i < RTP_HISTORY_SIZE) return this.entry(i);
        }
        return Reflect.get(target, key, receiver);
      },
    });
  }

  add(payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean, absTime: number, transportSeq: number, roc: number): void {
    const i = sequenceNumber % RTP_HISTORY_SIZE;
    this.roc[i] = roc;
    this.payloads[i] = payload;
    this.seq[i] = sequenceNumber;
    this.timestamp[i] = timestamp;
    this.marker[i] = marker ? 1 : 0;
    this.absTime[i] = absTime;
    this.transportSeq[i] = transportSeq;
  }

  /**
   * The entry werift reads to answer a NACK. werift protects the packet at once, with the
   * rollover counter it guesses from its last sequence number (a 100-packet window, seq 0 a
   * special case): its state is set to this packet's own numbers first, so the resent packet has
   * the ROC it was first sent with (a wrong one would not decrypt, and would reuse an IV of a
   * later packet: with AEAD_AES_128_GCM that exposes the authentication key).
   */
  private entry(i: number): RtpPacket | undefined {
    const payload = this.payloads[i];
    if (!payload) return undefined;
    this.out.primeRollover(this.seq[i], this.roc[i]);
    return new RtpPacket(this.out.header(this.seq[i], this.timestamp[i], this.marker[i] === 1, this.absTime[i], this.transportSeq[i]), payload);
  }
}

export class RtpOut {
  private readonly s: SenderInternals;
  private readonly mid: { id: number; payload: Buffer } | undefined;
  private readonly absId: number | undefined;
  private readonly twccId: number | undefined;
  /** the RTP header with every field fixed for the sender filled in (SSRC, extension layout, mid) */
  private readonly template: Buffer;
  /** where abs-send-time's 3 bytes and the transport-wide sequence number's 2 bytes go, or -1 */
  private readonly absAt: number;
  private readonly twccAt: number;
  /** AES_CM_128_HMAC_SHA1_80 here; undefined: the native batch (GCM) or werift's SRTP context protects */
  private readonly protector: SrtpCmProtector | undefined;
  private readonly rocState: SrtpSsrcState | undefined;
  private roc = 0;
  private lastSeq = -1;
  /** the time (ms) of the sender report's NTP/RTP pair, and its NTP timestamp once werift asked */
  private lastNtpMs = -1;
  private ntpMs = -1;
  private ntp = 0n;
  /** when the next sender report is due (ms), -1 before the first packet */
  private nextReportAt = -1;
  private readonly history = new SentHistory(this);
  /** the sender's SRTP keys in the native batch, or -1: protected here and sent through `datagram` */
  private batchKeys = -1;
  /** the DTLS transport is connected (kept from its state events: no werift field read per packet) */
  private live = true;
  private readonly unwatch: (() => void) | undefined;
  private readonly payloadType: number;
  /** what werift's sender reports count (RFC 3550 6.4.1), kept here and read by werift through accessors */
  private packets = 0;
  private octets = 0;
  private lastRtpTimestamp = 0;

  private constructor(
    sender: RTCRtpSender,
    private readonly datagram: DatagramSink,
    private readonly route: BatchRoute | undefined,
  ) {
    this.s = sender as unknown as SenderInternals;
    this.s.rtpCache = this.history.view;
    // werift reads the NTP timestamp for a sender report about once a second: made then, not per packet
    Object.defineProperty(this.s, 'ntpTimestamp', {
      configurable: true,
      enumerable: true,
      get: () => {
        if (this.ntpMs !== this.lastNtpMs) {
          this.ntpMs = this.lastNtpMs;
          this.ntp = this.lastNtpMs < 0 ? 0n : ntpTimestamp(this.lastNtpMs);
        }
        return this.ntp;
      },
      // werift's own sendRtp (not used) would write it: kept until the next packet's time
      set: (v: bigint) => {
        this.ntp = v;
        this.ntpMs = this.lastNtpMs;
      },
    });
    // the counts werift reads (getStats) are this sender's own, made per packet here
    const counts: Record<string, () => number> = {
      packetCount: () => this.packets,
      octetCount: () => this.octets,
      rtpTimestamp: () => this.lastRtpTimestamp,
    };
    for (const [field, get] of Object.entries(counts)) Object.defineProperty(this.s, field, { configurable: true, enumerable: true, get, set: () => {} });
    this.payloadType = this.s.codec!.payloadType;
    const dtls = this.s.dtlsTransport!;
    const sub = dtls.onStateChange?.subscribe((state) => {
      if (state !== 'connected') this.live = false;
    });
    this.unwatch = sub && (() => sub.unSubscribe());
    // werift answers NACKs from the history with its own SRTP state of the SSRC: brought up to date first
    const handle = this.s.handleRtcpPacket.bind(this.s);
    this.s.handleRtcpPacket = (rtcp) => {
      this.syncWerift();
      handle(rtcp);
    };
    const id = (uri: string) => this.s.headerExtensions.find((e) => e.uri === uri)?.id;
    const midId = id(URI_SDES_MID);
    this.mid = midId !== undefined && this.s.mid ? { id: midId, payload: Buffer.from(this.s.mid) } : undefined;
    this.absId = id(URI_ABS_SEND_TIME);
    this.twccId = id(URI_TRANSPORT_CC);
    // the header once through werift's serializer: its extension layout, then where the varying fields sit
    const h = this.header(0, 0, false, 0, 0);
    this.template = h.serialize(h.serializeSize);
    this.absAt = this.extensionAt(this.absId);
    this.twccAt = this.extensionAt(this.twccId);
    const ctx = this.s.dtlsTransport?.srtp?.localContext;
    this.rocState = ctx?.getSrtpSsrcState(this.s.ssrc);
    if (ctx && ctx.profile === ProtectionProfileAes128CmHmacSha1_80) {
      this.protector = new SrtpCmProtector(ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag, this.s.ssrc);
      try {
        if (route) this.batchKeys = route.batch.openKeys(this, ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag);
      } catch {
        this.batchKeys = -1; // the native module's session table is full: this sender protects in JavaScript
      }
    } else if (ctx && ctx.profile === ProtectionProfileAeadAes128Gcm && route) {
      // AEAD_AES_128_GCM (RFC 7714) in the native batch; werift's SRTP context otherwise
      try {
        // RFC 7714 11: a 96-bit session salt (werift derives 14 bytes, as for AES-CM, and uses the first 12)
        this.batchKeys = route.batch.openGcmKeys(this, ctx.srtpSessionKey, ctx.srtpSessionSalt.subarray(0, 12));
      } catch {
        this.batchKeys = -1;
      }
    }
  }

  /**
   * The fast path of `sender`, once its DTLS transport is connected (SRTP keys exist) and a codec
   * was negotiated; undefined before. With `route`, AES_CM_128_HMAC_SHA1_80 packets go through
   * the native batch; `close()` frees their keys there.
   */
  static of(sender: RTCRtpSender, datagram: DatagramSink, route?: BatchRoute): RtpOut | undefined {
    const s = sender as unknown as SenderInternals;
    if (s.dtlsTransport?.state !== 'connected' || !s.dtlsTransport.srtp || !s.codec) return undefined;
    return new RtpOut(sender, datagram, route);
  }

  /** whether packets are protected here (AES_CM_128_HMAC_SHA1_80) rather than by werift */
  get protectsHere(): boolean {
    return this.protector !== undefined;
  }

  /** Ends the sender (idempotent): its keys in the native batch are freed and later packets are not sent. */
  close(): void {
    this.live = false;
    this.unwatch?.();
    if (this.batchKeys < 0 || !this.route) return;
    this.route.batch.closeKeys(this, this.batchKeys);
    this.batchKeys = -1;
  }

  /** werift's header of a packet of this sender (the template, and NACK answers) */
  header(sequenceNumber: number, timestamp: number, marker: boolean, absTime: number, transportSeq: number): RtpHeader {
    const extensions: { id: number; payload: Buffer }[] = [];
    if (this.mid) extensions.push(this.mid);
    if (this.absId !== undefined) extensions.push({ id: this.absId, payload: Buffer.from([absTime >>> 16, (absTime >>> 8) & 0xff, absTime & 0xff]) });
    if (this.twccId !== undefined) extensions.push({ id: this.twccId, payload: Buffer.from([transportSeq >>> 8, transportSeq & 0xff]) });
    extensions.sort((a, b) => a.id - b.id);
    return new RtpHeader({ sequenceNumber, timestamp, marker, payloadType: this.payloadType, ssrc: this.s.ssrc, extensions });
  }

  /** the offset in the template of a one-byte-form extension's data, or -1 */
  private extensionAt(extId: number | undefined): number {
    const t = this.template;
    if (extId === undefined || t.length <= 12) return -1;
    const end = 16 + t.readUInt16BE(14) * 4;
    for (let o = 16; o < end; ) {
      const b = t[o];
      if (b === 0) {
        o++; // padding
        continue;
      }
      if (b >> 4 === extId) return o + 1;
      o += 2 + (b & 0x0f);
    }
    return -1;
  }

  /**
   * Sends one RTP packet; `payload` is not copied into the history and must not change
   * afterwards (it stays there for NACK answers). Returns false when the transport is gone.
   */
  send(payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean, nowMs = Date.now()): boolean {
    if (!this.live) return false;
    const rtpLength = this.template.length + payload.length;
    // past 1500 bytes (a hostile publisher's frame): dropped, as no profile here protects it (before
    // it takes a transport-wide sequence number, which the player would report as lost)
    if (rtpLength > SRTP_MAX_PACKET) return false;
    const abs = this.absAt >= 0 ? absSendTime(nowMs) : 0;
    let transportSeq = 0;
    if (this.twccAt >= 0) {
      const dtls = this.s.dtlsTransport!;
      transportSeq = dtls.transportSequenceNumber = (dtls.transportSequenceNumber + 1) & 0xffff;
    }
    // rollover counter (RFC 3711 3.3.1): the sequence numbers come from the player in order
    if (this.lastSeq >= 0 && sequenceNumber < this.lastSeq && this.lastSeq - sequenceNumber > 0x8000) this.roc = (this.roc + 1) >>> 0;
    this.lastSeq = sequenceNumber;
    if (this.batchKeys >= 0) {
      const batch = this.route!.batch;
      const at = batch.begin(this.route!.session);
      if (at >= 0) {
        this.writePacket(batch.area, at, payload, sequenceNumber, timestamp, marker, abs, transportSeq);
        batch.commit(this.batchKeys, this.template.length, rtpLength, sequenceNumber, this.roc);
      }
      this.count(payload, sequenceNumber, timestamp, marker, abs, transportSeq, nowMs);
    } else if (this.protector) {
      // a packet the batch does not take (too long, keys closed) goes after those waiting in it
      this.route?.batch.flush();
      const area = scratch;
      this.writePacket(area, SRTP_PREFIX, payload, sequenceNumber, timestamp, marker, abs, transportSeq);
      const datagram = this.protector.protect(area, this.template.length, rtpLength, sequenceNumber, this.roc);
      this.count(payload, sequenceNumber, timestamp, marker, abs, transportSeq, nowMs);
      if (this.datagram(datagram) === 'queued') scratch = Buffer.allocUnsafeSlow(SCRATCH_LENGTH);
    } else {
      const srtp = this.s.dtlsTransport?.srtp;
      if (!srtp) return false;
      this.route?.batch.flush();
      // werift's rollover state of the SSRC is only brought up to date for NACKs: this packet's first
      this.primeRollover(sequenceNumber, this.roc);
      const datagram = srtp.encrypt(payload, this.header(sequenceNumber, timestamp, marker, abs, transportSeq));
      this.count(payload, sequenceNumber, timestamp, marker, abs, transportSeq, nowMs);
      this.datagram(datagram);
    }
    if (nowMs >= this.nextReportAt) this.senderReport(nowMs);
    return true;
  }

  /** Writes the RTP packet (the template's header with this packet's fields, then `payload`) at `area[h]`. */
  private writePacket(area: Buffer, h: number, payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean, abs: number, transportSeq: number): void {
    const t = this.template;
    t.copy(area, h);
    area[h + 1] = (marker ? 0x80 : 0) | this.payloadType;
    area.writeUInt16BE(sequenceNumber, h + 2);
    area.writeUInt32BE(timestamp >>> 0, h + 4);
    if (this.absAt >= 0) {
      area[h + this.absAt] = abs >>> 16;
      area[h + this.absAt + 1] = (abs >>> 8) & 0xff;
      area[h + this.absAt + 2] = abs & 0xff;
    }
    if (this.twccAt >= 0) area.writeUInt16BE(transportSeq, h + this.twccAt);
    payload.copy(area, h + t.length);
  }

  /**
   * What werift reads when it answers a NACK, brought up to date (before each RTCP packet it
   * handles, not per RTP packet): its rollover state of the SSRC, with which it protects the
   * resent packets (AES_CM path; werift's own for GCM), and the history it resends from (werift
   * puts a new array there on replaceRTP).
   */
  private syncWerift(): void {
    if (this.lastSeq >= 0) this.primeRollover(this.lastSeq, this.roc);
    if (this.s.rtpCache !== this.history.view) this.s.rtpCache = this.history.view;
  }

  /**
   * Sets werift's rollover state of the SSRC to a packet's own numbers, so that werift's next
   * protection of that sequence number (a NACK answer, a packet of the werift path) uses `roc`
   * (werift keeps the counter when the number equals its last one).
   */
  primeRollover(sequenceNumber: number, roc: number): void {
    const st = this.rocState;
    if (!st) return;
    st.rolloverCounter = roc;
    st.lastSequenceNumber = sequenceNumber;
    st.rolloverHasProcessed = true;
  }

  /** Sends a sender report (with the SDES CNAME) through werift's SRTCP, and schedules the next. */
  private senderReport(nowMs: number): void {
    const [first, last] = FIRST_SENDER_REPORT_MS;
    if (this.nextReportAt < 0) {
      this.nextReportAt = nowMs + first + Math.random() * (last - first);
      return;
    }
    this.nextReportAt = nowMs + SENDER_REPORT_MS * (0.5 + Math.random());
    const s = this.s;
    const ntp = s.ntpTimestamp;
    const packets: RtcpPacket[] = [
      new RtcpSrPacket({ ssrc: s.ssrc, senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntp, rtpTimestamp: this.lastRtpTimestamp, packetCount: this.packets, octetCount: this.octets }) }),
    ];
    if (s.cname) packets.push(new RtcpSourceDescriptionPacket({ chunks: [new SourceDescriptionChunk({ source: s.ssrc, items: [new SourceDescriptionItem({ type: 1, text: s.cname })] })] }));
    // what werift matches a receiver report's LSR/DLSR against for the round-trip time
    s.lastSRtimestamp = compactNtp(ntp);
    s.lastSentSRTimestamp = nowMs / 1000;
    void s.dtlsTransport?.sendRtcp(packets).catch(() => undefined);
  }

  /** The history entry and what werift's sender reports count (RFC 3550 6.4.1) of a sent packet. */
  private count(payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean, abs: number, transportSeq: number, nowMs: number): void {
    this.history.add(payload, sequenceNumber, timestamp, marker, abs, transportSeq, this.roc);
    if (nowMs !== this.lastNtpMs) {
      // the sender report's NTP/RTP pair: one instant, renewed at most once a millisecond
      this.lastNtpMs = nowMs;
      this.lastRtpTimestamp = timestamp;
    }
    // RFC 3550 6.4.1: both wrap at 2^32
    this.octets = (this.octets + payload.length) >>> 0;
    this.packets = (this.packets + 1) >>> 0;
  }
}
