/**
 * The media path of one werift `RTCRtpSender`, without werift's per-packet work: the fan-out to
 * WebRTC players sends every RTP packet once per player, and werift's `sendRtp` (an async chain
 * per packet through its ICE connection, header extensions rebuilt from the negotiated list, an
 * NTP time made through strings, bandwidth-estimation records) cost several times the SRTP
 * protection itself. Per packet this does only: the RTP header (RFC 3550 5.1: the sender's SSRC
 * and payload type, the caller's sequence number and timestamp) with the negotiated header
 * extensions (RFC 8285 one-byte form: `sdes:mid`, abs-send-time, transport-wide sequence
 * number), SRTP protection with the session's keys (werift's SRTP context, RFC 3711 / RFC 7714),
 * and one datagram.
 *
 * What werift still does for the sender, fed from here: RTCP sender reports (RFC 3550 6.4.1: its
 * packet and octet counts, and the NTP/RTP timestamp pair of the newest packet, are updated per
 * packet), NACK answers from its retransmission history (each packet is put in the history
 * werift resends from, its last 128 per sender), PLI/FIR events, and TWCC feedback (read, not
 * acted on: tsrs does not adapt the bitrate of a stream to one player).
 */
import { RtpHeader, RtpPacket, type RTCRtpSender } from 'werift';

export const URI_SDES_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const URI_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const URI_TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** werift's RTP_HISTORY_SIZE: the packets a sender keeps for NACKs */
export const RTP_HISTORY_SIZE = 128;
/** seconds from 1900-01-01 (NTP era 0) to 1970-01-01 */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** The parts of werift's RTCRtpSender (0.24) and its DTLS transport this path reads and feeds. */
interface SenderInternals {
  ssrc: number;
  mid?: string;
  codec?: { payloadType: number };
  headerExtensions: { id: number; uri: string }[];
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  octetCount: number;
  packetCount: number;
  rtpCache: RtpPacket[];
  runRtcp(): Promise<void>;
  dtlsTransport?: {
    state: string;
    transportSequenceNumber: number;
    srtp?: { encrypt(payload: Buffer, header: RtpHeader): Buffer };
  };
}

/** The 64-bit NTP timestamp (RFC 3550 4) of a Unix time in ms. */
export function ntpTimestamp(unixMs: number): bigint {
  const secs = Math.floor(unixMs / 1000);
  const frac = Math.floor(((unixMs - secs * 1000) / 1000) * 2 ** 32);
  return (BigInt(secs + NTP_UNIX_OFFSET) << 32n) | BigInt(frac);
}

/** abs-send-time (webrtc.org): 24 bits, seconds in 6.18 fixed point, of a Unix time in ms. */
export function absSendTime(unixMs: number): Buffer {
  const v = Math.floor(((unixMs / 1000) * (1 << 18)) % (1 << 24));
  return Buffer.from([(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

export class RtpOut {
  /** RTP packets and payload bytes sent */
  packets = 0;
  bytes = 0;
  private readonly s: SenderInternals;
  private readonly mid: { id: number; payload: Buffer } | undefined;
  private readonly absId: number | undefined;
  private readonly twccId: number | undefined;
  private rtcpStarted = false;

  private constructor(
    sender: RTCRtpSender,
    /** sends one datagram to the peer */
    private readonly datagram: (data: Buffer) => void,
  ) {
    this.s = sender as unknown as SenderInternals;
    const id = (uri: string) => this.s.headerExtensions.find((e) => e.uri === uri)?.id;
    const midId = id(URI_SDES_MID);
    this.mid = midId !== undefined && this.s.mid ? { id: midId, payload: Buffer.from(this.s.mid) } : undefined;
    this.absId = id(URI_ABS_SEND_TIME);
    this.twccId = id(URI_TRANSPORT_CC);
  }

  /**
   * The fast path of `sender`, once its DTLS transport is connected (SRTP keys exist) and a codec
   * was negotiated; undefined before.
   */
  static of(sender: RTCRtpSender, datagram: (data: Buffer) => void): RtpOut | undefined {
    const s = sender as unknown as SenderInternals;
    if (s.dtlsTransport?.state !== 'connected' || !s.dtlsTransport.srtp || !s.codec) return undefined;
    return new RtpOut(sender, datagram);
  }

  /**
   * Sends one RTP packet; `payload` is not copied and must not change afterwards (it stays in
   * the NACK history). Returns false when the transport is gone.
   */
  send(payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean, nowMs = Date.now()): boolean {
    const s = this.s;
    const dtls = s.dtlsTransport;
    if (!dtls || dtls.state !== 'connected' || !dtls.srtp || !s.codec) return false;
    const extensions: { id: number; payload: Buffer }[] = [];
    if (this.mid) extensions.push(this.mid);
    if (this.absId !== undefined) extensions.push({ id: this.absId, payload: absSendTime(nowMs) });
    if (this.twccId !== undefined) {
      dtls.transportSequenceNumber = (dtls.transportSequenceNumber + 1) & 0xffff;
      const t = Buffer.allocUnsafe(2);
      t.writeUInt16BE(dtls.transportSequenceNumber);
      extensions.push({ id: this.twccId, payload: t });
    }
    if (extensions.length > 1) extensions.sort((a, b) => a.id - b.id);
    const header = new RtpHeader({ sequenceNumber, timestamp, marker, payloadType: s.codec.payloadType, ssrc: s.ssrc, extensions });
    const protectedPacket = dtls.srtp.encrypt(payload, header);
    s.rtpCache[sequenceNumber % RTP_HISTORY_SIZE] = new RtpPacket(header, payload);
    s.ntpTimestamp = ntpTimestamp(nowMs);
    s.rtpTimestamp = timestamp;
    s.octetCount += payload.length;
    s.packetCount = (s.packetCount + 1) >>> 0;
    this.packets++;
    this.bytes += payload.length;
    this.datagram(protectedPacket);
    if (!this.rtcpStarted) {
      this.rtcpStarted = true;
      void s.runRtcp();
    }
    return true;
  }
}
