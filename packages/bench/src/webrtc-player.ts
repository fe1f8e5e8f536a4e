/**
 * A light WebRTC player: a werift peer connection that plays one stream through WHEP (recvonly
 * H.264 and Opus, as a browser does). werift does ICE and DTLS (and gets the server's RTCP); the
 * media does not go through werift's receivers, which cost more CPU than anything else in a
 * client that holds hundreds of players. Once DTLS is up every SRTP datagram is taken off the
 * ICE socket before werift sees it, and counted from its RTP header, which SRTP leaves in the
 * clear (RFC 3711 3.1):
 * - bytes (the datagram: RTP header, payload, auth tag), RTP packets, video access units (one per
 *   marker bit, RFC 6184 5.1) and audio packets, by payload type;
 * - loss: gaps in each kind's sequence numbers (a packet arriving behind the newest one is
 *   counted late, not as a frame); nothing is NACKed;
 * - the first packet of a video access unit is authenticated (its HMAC-SHA1 tag checked with
 *   the session's keys, RFC 3711 3.4, or its AES-GCM tag, RFC 7714; one that fails is counted
 *   `corrupt`) and its first PROBE_SCAN payload bytes decrypted (AES counter mode, RFC 3711
 *   4.1.1, tsrs's SRTP code; or the GCM packet whole) and
 *   read for the delay probe (bench-time.ts: an SEI NAL unit in the first packet of an access
 *   unit, once a second) when its payload is at most PROBE_SCAN bytes (the probe's SEI goes
 *   alone, or with SPS and PPS: a small packet; the size is in the clear), and one in
 *   AUTH_SAMPLE of the other first packets. Checking every one cost the players' process a tenth
 *   of its CPU at 500 players, for one probe a second. werift unprotecting that packet whole
 *   cost the client more than anything but the datagram reads at hundreds of players; it still
 *   does when the keys are not AES_CM_128_HMAC_SHA1_80's.
 * The datagram reads and the counting are native (rtp-recv.ts: recvmmsg, counted in C, only the
 * packets above and werift's handed to JavaScript, the probe timed at the read) when the bench's
 * module is built and the keys are one of those two profiles; else every datagram comes through
 * dgram and is counted here (the same rules).
 * Every second the player sends an RTCP receiver report (RFC 3550 6.4.2) with what it counted
 * (cumulative loss, highest sequence number), which also keeps the session alive at the server.
 */
import { createDecipheriv } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtcpReceiverInfo, RtcpRrPacket, type RTCDtlsTransport, type RTCPeerConnection } from 'werift';
import { SRTP_GCM_TAG_LENGTH } from '@tsrs/server/dist/src/protocol/rtc/send-batch.js';
import { SrtpCmProtector, SRTP_AUTH_TAG_LENGTH } from '@tsrs/server/dist/src/protocol/rtc/srtp-protect.js';
import { readRtpSeiTime, wallNow } from './bench-time.js';
import { rtpReceiver, Stat, type RtpWatch } from './rtp-recv.js';
import { Player, type PlayerEnv } from './player.js';
import { benchPeer, deleteSession, localOffer, postOffer } from './rtc.js';

const H264_CLOCK_KHZ = 90;
const REPORT_MS = 1000;
/** the client's UDP receive buffer: a loaded machine stalls the loop for a while, the kernel holds the packets */
const RECV_BUFFER = 4 * 1024 * 1024;
/** payload bytes of an access unit's first packet decrypted to read the probe (SPS, PPS and the SEI fit; rtp_recv.c has the same) */
const PROBE_SCAN = 256;
/** one in this many access units whose first packet is too long to hold the probe alone is authenticated too (as rtp_recv.c) */
const AUTH_SAMPLE = 16;
/** where those bytes are decrypted (players take turns: all of it is synchronous) */
const scan = Buffer.allocUnsafeSlow(PROBE_SCAN);

export interface WhepPlayerOptions {
  /** a bearer token for the WHEP request */
  token?: string;
}

/** One kind's RTP as received. */
export class RtpCount {
  ssrc = 0;
  /** newest sequence number, -1 before the first */
  seq = -1;
  /** sequence numbers extended by the wraps seen */
  cycles = 0;
  baseSeq = -1;
  received = 0;
  lost = 0;
  late = 0;

  /** Counts a packet; true when it is the newest so far (not late or a duplicate). */
  push(ssrc: number, seq: number): boolean {
    this.received++;
    this.ssrc = ssrc;
    if (this.seq < 0) {
      this.seq = seq;
      this.baseSeq = seq;
      return true;
    }
    const ahead = (seq - this.seq) & 0xffff;
    if (ahead === 0 || ahead >= 0x8000) {
      this.late++;
      return false;
    }
    this.lost += ahead - 1;
    if (seq < this.seq) this.cycles += 0x10000;
    this.seq = seq;
    return true;
  }

  report(): RtcpReceiverInfo | undefined {
    if (this.seq < 0) return undefined;
    const expected = this.cycles + this.seq - this.baseSeq + 1;
    // RFC 3550 6.4.1: expected minus received (late packets were received; duplicates can make it negative)
    const lost = Math.max(0, Math.min(expected - this.received, 0x7fffff));
    return new RtcpReceiverInfo({ ssrc: this.ssrc, fractionLost: 0, packetsLost: lost, highestSequence: (this.cycles + this.seq) >>> 0, jitter: 0, lsr: 0, dlsr: 0 });
  }
}

/** werift internals this player reads: the ICE sockets under a transport and its SRTP session. */
interface IceInternals {
  iceTransport: { connection: { protocols: { transport?: { onData?: (data: Buffer, addr: unknown) => void; socket?: Socket } }[] } };
  srtp?: { decrypt(data: Buffer): Buffer; remoteContext?: { profile: number; srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag: Buffer } };
}

export class WhepPlayer extends Player {
  private pc: RTCPeerConnection | undefined;
  private location: string | undefined;
  private videoPt = -1;
  private audioPt = -1;
  private readonly video = new RtpCount();
  private readonly audioCount = new RtpCount();
  /** the next video packet starts an access unit */
  private auStart = true;
  private reportTimer: NodeJS.Timeout | undefined;
  private tapped = false;
  /** the keystream of the server's video SSRC */
  private videoKeystream: { ssrc: number; keys: ProbeKeys } | undefined;
  /** access units whose first packet was too long for the probe alone, counted for AUTH_SAMPLE */
  private longStarts = 0;
  /** the sockets read natively (rtp-recv.ts), empty when dgram reads them */
  private readonly watches: RtpWatch[] = [];

  /** `url`: the WHEP endpoint, e.g. http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=s */
  constructor(
    private readonly url: string,
    env: PlayerEnv,
    private readonly opts: WhepPlayerOptions = {},
  ) {
    super(env);
  }

  start(): void {
    this.run().catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async run(): Promise<void> {
    const pc = benchPeer(this.url, true);
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') this.tap(pc);
      // the ICE and DTLS states say which failed (ICE: checks or consent, RFC 7675; DTLS: the handshake)
      if (s === 'failed' || s === 'closed' || s === 'disconnected') this.fail(new Error(`peer connection ${s} (ICE ${pc.iceConnectionState}, DTLS ${pc.dtlsTransports[0]?.state ?? 'none'})`));
    });
    const offer = await localOffer(pc);
    if (this.state !== 'connecting') return;
    this.playAskedAt = wallNow();
    const session = await postOffer(this.url, offer, this.opts.token);
    this.location = session.location;
    if (this.state !== 'connecting') {
      await deleteSession(this.location);
      return;
    }
    this.videoPt = Number(/^a=rtpmap:(\d+) H264\//im.exec(session.answer)?.[1] ?? -1);
    this.audioPt = Number(/^a=rtpmap:(\d+) opus\//im.exec(session.answer)?.[1] ?? -1);
    await pc.setRemoteDescription({ type: 'answer', sdp: session.answer });
    if (pc.connectionState === 'connected') this.tap(pc);
  }

  /** Takes SRTP off the ICE sockets of the (bundled) transport before werift sees it. */
  private tap(pc: RTCPeerConnection): void {
    // a player already torn down watches nothing (no slot would be released)
    if (this.tapped || (this.state !== 'connecting' && this.state !== 'playing')) return;
    const dtls = pc.dtlsTransports[0] as RTCDtlsTransport | undefined;
    if (!dtls) return;
    this.tapped = true;
    const t = dtls as unknown as IceInternals;
    for (const protocol of t.iceTransport.connection.protocols) {
      const transport = protocol.transport;
      const werift = transport?.onData;
      if (!transport || !werift) continue;
      try {
        transport.socket?.setRecvBufferSize?.(RECV_BUFFER);
      } catch {
        // the kernel's rmem_max caps it; the default then
      }
      if (transport.socket && this.watchNative(transport.socket, t, werift)) continue;
      if (this.watches.length > 0) {
        // one player's sockets are all read natively or all by dgram: its counters are one or the other
        this.fail(new Error('rtp-recv: one of the player\'s sockets could not be read natively'));
        return;
      }
      transport.onData = (data, addr) => {
        // RTP, not RTCP (RFC 5761 4: RTCP packet types 192-223 in the second byte)
        if (data.length >= 12 && data[0] >> 6 === 2 && (data[1] < 192 || data[1] > 223) && t.srtp) this.onSrtp(data, t.srtp);
        else werift(data, addr);
      };
    }
    this.reportTimer = setInterval(() => this.sendReport(dtls), REPORT_MS);
    this.reportTimer.unref();
  }

  /**
   * Hands `socket`'s reads to the native receiver; false (dgram reads it) when the module is not
   * there, the keys are not AES_CM_128_HMAC_SHA1_80's or AEAD_AES_128_GCM's, or it refuses the socket.
   */
  private watchNative(socket: Socket, t: IceInternals, werift: (data: Buffer, addr: unknown) => void): boolean {
    const { r } = rtpReceiver();
    const srtp = t.srtp;
    const profile = srtp?.remoteContext?.profile;
    const tagLength = profile === ProtectionProfileAes128CmHmacSha1_80 ? SRTP_AUTH_TAG_LENGTH : profile === ProtectionProfileAeadAes128Gcm ? SRTP_GCM_TAG_LENGTH : 0;
    if (!r || !srtp || tagLength === 0) return false;
    try {
      const w = r.watch(socket, this.videoPt, this.audioPt, tagLength, {
        other: (data, address, port) => werift(data, [address, port]),
        video: (data, probe, roc, readAt) => {
          this.playing();
          if (probe) this.checkProbe(data, srtp, roc, readAt);
        },
      });
      this.watches.push(w);
      return true;
    } catch {
      return false;
    }
  }

  override reader(): string | undefined {
    return this.tapped ? (this.watches.length > 0 ? 'native' : 'js') : undefined;
  }

  /** Copies the native counters (every watched socket's; all of the player's, or none) into this player's. */
  override sync(): void {
    if (this.watches.length === 0) return;
    let bytes = 0;
    let packets = 0;
    let frames = 0;
    let audio = 0;
    let lost = 0;
    for (const w of this.watches) {
      bytes += w.stat(Stat.bytes);
      packets += w.stat(Stat.packets);
      frames += w.stat(Stat.frames);
      audio += w.stat(Stat.audio);
      lost += w.stat(Stat.lost);
      if (w.stat(Stat.frames) > 0) this.lastVideoTs = w.stat(Stat.lastVideoTs);
    }
    Object.assign(this, { bytes, packets, frames, audio, lost });
  }

  private onSrtp(data: Buffer, srtp: NonNullable<IceInternals['srtp']>): void {
    const pt = data[1] & 0x7f;
    const seq = data.readUInt16BE(2);
    const ssrc = data.readUInt32BE(8);
    this.bytes += data.length;
    this.packets++;
    if (pt === this.audioPt) {
      this.audio++;
      this.countLoss(this.audioCount, ssrc, seq);
      return;
    }
    if (pt !== this.videoPt) return;
    this.playing();
    const auStart = this.auStart;
    // a retransmission or duplicate of an older packet is counted in bytes only
    if (!this.countLoss(this.video, ssrc, seq)) return;
    const marker = (data[1] & 0x80) !== 0;
    this.auStart = marker;
    if (marker) {
      this.frames++;
      this.lastVideoTs = data.readUInt32BE(4) / H264_CLOCK_KHZ;
    }
    if (!auStart) return;
    const keys = this.videoKeys(srtp, ssrc);
    if (keys && data.length - keys.tagLength - payloadOffset(data) > PROBE_SCAN && this.longStarts++ % AUTH_SAMPLE !== 0) return;
    // the rollover counter (RFC 3711 3.3.1) is the wraps counted so far
    this.checkProbe(data, srtp, Math.floor(this.video.cycles / 0x10000), wallNow());
  }

  /**
   * An access unit's first packet (`data`, SRTP): authenticated, and read for the delay probe
   * when its payload may hold it; `readAt`: when the process read it (wall ms).
   */
  private checkProbe(data: Buffer, srtp: NonNullable<IceInternals['srtp']>, roc: number, readAt: number): void {
    const keys = this.videoKeys(srtp, data.readUInt32BE(8));
    if (!keys) {
      let rtp: Buffer;
      try {
        rtp = srtp.decrypt(data);
      } catch {
        this.corrupt++;
        return;
      }
      const sent = readRtpSeiTime(rtp.subarray(payloadOffset(rtp)));
      if (sent > 0) this.probe(sent, readAt);
      return;
    }
    const off = payloadOffset(data);
    const mayHoldProbe = data.length - keys.tagLength - off <= PROBE_SCAN;
    const payload = keys.open(data, off, data.readUInt16BE(2), roc, mayHoldProbe ? PROBE_SCAN : 0);
    if (!payload) {
      this.corrupt++;
      return;
    }
    if (payload.length === 0) return;
    const sent = readRtpSeiTime(payload);
    if (sent > 0) this.probe(sent, readAt);
  }

  /** The server's video SSRC keys (AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM), or undefined when werift has other ones. */
  private videoKeys(srtp: NonNullable<IceInternals['srtp']>, ssrc: number): ProbeKeys | undefined {
    if (this.videoKeystream?.ssrc === ssrc) return this.videoKeystream.keys;
    const k = srtp.remoteContext;
    if (!k || k.srtpSessionKey?.length !== 16 || k.srtpSessionSalt?.length !== 14) return undefined;
    let keys: ProbeKeys;
    if (k.profile === ProtectionProfileAes128CmHmacSha1_80 && k.srtpSessionAuthTag?.length === 20) keys = new CmProbeKeys(new SrtpCmProtector(k.srtpSessionKey, k.srtpSessionSalt, k.srtpSessionAuthTag, ssrc));
    // RFC 7714 11: a 96-bit session salt (werift derives 14 bytes and uses the first 12)
    else if (k.profile === ProtectionProfileAeadAes128Gcm) keys = new GcmProbeKeys(k.srtpSessionKey, k.srtpSessionSalt.subarray(0, 12));
    else return undefined;
    this.videoKeystream = { ssrc, keys };
    return keys;
  }

  private countLoss(c: RtpCount, ssrc: number, seq: number): boolean {
    const before = c.lost;
    const newest = c.push(ssrc, seq);
    this.lost += c.lost - before;
    return newest;
  }

  private sendReport(dtls: RTCDtlsTransport): void {
    const w = this.watches.reduce<RtpWatch | undefined>((a, b) => (!a || b.stat(Stat.packets) > a.stat(Stat.packets) ? b : a), undefined);
    const counted = w
      ? [nativeReport(w, Stat.videoSsrc, Stat.videoHighest, Stat.videoReportLost), nativeReport(w, Stat.audioSsrc, Stat.audioHighest, Stat.audioReportLost)]
      : [this.video.report(), this.audioCount.report()];
    const reports = counted.filter((r): r is RtcpReceiverInfo => r !== undefined);
    if (this.state !== 'playing' && this.state !== 'connecting') return;
    void dtls.sendRtcp([new RtcpRrPacket({ ssrc: 1, reports })]).catch(() => {});
  }

  protected async teardown(): Promise<void> {
    clearInterval(this.reportTimer);
    // before werift closes the sockets
    this.sync();
    for (const w of this.watches) w.close();
    const pc = this.pc;
    this.pc = undefined;
    await Promise.allSettled([deleteSession(this.location), pc?.close()]);
  }
}

/** A receiver report block from a native slot's counters, undefined before its first packet. */
function nativeReport(w: RtpWatch, ssrc: number, highest: number, lost: number): RtcpReceiverInfo | undefined {
  if (w.stat(highest) < 0) return undefined;
  return new RtcpReceiverInfo({ ssrc: w.stat(ssrc), fractionLost: 0, packetsLost: w.stat(lost), highestSequence: w.stat(highest), jitter: 0, lsr: 0, dlsr: 0 });
}

/** Authenticates an SRTP packet and decrypts the start of its payload (the probe's bytes). */
interface ProbeKeys {
  readonly tagLength: number;
  /**
   * The first `n` payload bytes in the clear (0: only authenticated, an empty buffer), or
   * undefined when the packet fails authentication. `off`: where the payload starts.
   */
  open(data: Buffer, off: number, seq: number, roc: number, n: number): Buffer | undefined;
}

/** AES_CM_128_HMAC_SHA1_80 (RFC 3711): the HMAC checked, then only the bytes wanted decrypted. */
class CmProbeKeys implements ProbeKeys {
  readonly tagLength = SRTP_AUTH_TAG_LENGTH;
  constructor(private readonly crypt: SrtpCmProtector) {}

  open(data: Buffer, off: number, seq: number, roc: number, n: number): Buffer | undefined {
    if (!this.crypt.verify(data, roc)) return undefined;
    const len = Math.min(n, data.length - SRTP_AUTH_TAG_LENGTH - off);
    if (len <= 0) return scan.subarray(0, 0);
    data.copy(scan, 0, off, off + len);
    this.crypt.crypt(scan, 0, len, seq, roc);
    return scan.subarray(0, len);
  }
}

/** AEAD_AES_128_GCM (RFC 7714 8): the whole packet opened (the tag covers it all). */
class GcmProbeKeys implements ProbeKeys {
  readonly tagLength = SRTP_GCM_TAG_LENGTH;
  private readonly iv = Buffer.alloc(12);
  constructor(
    private readonly key: Buffer,
    private readonly salt: Buffer,
  ) {}

  open(data: Buffer, off: number, seq: number, roc: number, n: number): Buffer | undefined {
    const end = data.length - this.tagLength;
    if (end < off) return undefined;
    const iv = this.iv;
    iv.fill(0, 0, 2);
    data.copy(iv, 2, 8, 12); // SSRC
    iv.writeUInt32BE(roc >>> 0, 6);
    iv.writeUInt16BE(seq, 10);
    for (let i = 0; i < 12; i++) iv[i] ^= this.salt[i];
    try {
      const d = createDecipheriv('aes-128-gcm', this.key, iv);
      d.setAAD(data.subarray(0, off));
      d.setAuthTag(data.subarray(end));
      const plain = d.update(data.subarray(off, end));
      d.final();
      return plain.subarray(0, Math.min(n, plain.length));
    } catch {
      return undefined;
    }
  }
}

/** Where an RTP packet's payload starts: after the CSRCs and the header extension (RFC 3550 5.1, 5.3.1). */
export function payloadOffset(rtp: Buffer): number {
  let off = 12 + (rtp[0] & 0x0f) * 4;
  if (rtp[0] & 0x10 && rtp.length >= off + 4) off += 4 + rtp.readUInt16BE(off + 2) * 4;
  return Math.min(off, rtp.length);
}
