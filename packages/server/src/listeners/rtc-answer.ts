/**
 * The SDP answer of a WebRTC session on the shared UDP port, for WHIP/WHEP publishers and
 * players alike: the peer connection, attached to its session's share of the mux when made (so werift's ICE
 * transports use the one socket of protocol/rtc/udp-mux.ts) without its mode-0 H.264 formats
 * (protocol/rtc/sdp-h264.ts), the answer must carry H.264
 * (packetization-mode 1) or Opus, and the answer's ICE ufrag is bound to the session so STUN
 * from a new address finds it.
 */
import { randomBytes } from 'node:crypto';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useTransportWideCC,
  type RTCRtpReceiver,
  type RTCRtpSender,
} from 'werift';
import { RtcErrorCode } from '@tsrs/api-types';
import { iceUfrag } from '../protocol/rtc/sdp-candidates.js';
import { keepH264Mode1 } from '../protocol/rtc/sdp-h264.js';
import { RTP_HISTORY_SIZE } from '../protocol/rtc/rtp-out.js';
import type { MuxSession, RtcUdpMux } from '../protocol/rtc/udp-mux.js';
import type { RtcOfferRequest } from '../api/routes-rtc.js';
import { Client, type ClientTransport } from '../app/client.js';

/** A vhost's `rtc { nack; twcc; }`: the feedback a session offers in its answer and answers. */
export interface RtcFeedback {
  /** `a=rtcp-fb:PT nack` on video: NACKs sent for lost packets (publisher) and answered (player) */
  nack: boolean;
  /** the transport-cc RTP header extension and `a=rtcp-fb:PT transport-cc` (RTCP TWCC feedback) */
  twcc: boolean;
  /** RTP packets a second a player's NACKs may have resent (0: no bound); absent: no bound */
  tsrs_nack_pps?: number;
}

/**
 * The ICE-lite peer connection of a session: H.264 constrained baseline in packetization-mode 1
 * (the profile every browser decodes and RtcIngest reads) and Opus, with PLI always, FIR for
 * players, and NACK and TWCC as the vhost says (off: absent from the answer).
 */
export function rtcPeerConnection(role: 'publish' | 'play', fb: RtcFeedback): RTCPeerConnection {
  const feedback: { type: string; parameter?: string }[] = [{ type: 'nack', parameter: 'pli' }];
  if (role === 'play') feedback.push({ type: 'ccm', parameter: 'fir' });
  if (fb.nack) feedback.push({ type: 'nack' });
  if (fb.twcc) feedback.push({ type: 'transport-cc' });
  const codecs = {
    video: [
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90_000,
        rtcpFeedback: feedback,
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      }),
    ],
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2, rtcpFeedback: fb.twcc ? [{ type: 'transport-cc' }] : [] })],
  };
  const ext = fb.twcc ? [useTransportWideCC()] : [];
  return new RTCPeerConnection({ iceLite: true, iceUseIpv6: false, codecs, headerExtensions: { video: ext, audio: [...ext] } });
}

/**
 * werift answers with the offer's `a=rtcp-fb` lines and acts on them (its receiver NACKs lost
 * packets when the codec has `nack`, sends TWCC with `transport-cc`): drop the kinds the vhost
 * turned off from the negotiated codecs, before the answer is made.
 */
function trimFeedback(pc: RTCPeerConnection, fb: RtcFeedback): void {
  for (const t of pc.getTransceivers()) {
    for (const c of t.codecs) {
      c.rtcpFeedback = c.rtcpFeedback.filter((f) => (f.type !== 'nack' || f.parameter || fb.nack) && (f.type !== 'transport-cc' || fb.twcc));
    }
  }
}

/** Random bits of the answer's ICE ufrag and password (RFC 8839 5.4 asks at least 24 and 128). */
export const ICE_UFRAG_BITS = 64;
export const ICE_PWD_BITS = 128;

/**
 * Gives the session's ICE agents credentials of ICE_UFRAG_BITS / ICE_PWD_BITS random bits (hex).
 * werift makes a 4-hex-digit ufrag (16 bits) and a 22-digit password (88 bits); on one shared port,
 * where the ufrag names the session, a few hundred sessions then collide (a refused offer), and the
 * ufrag is part of the WHIP/WHEP session id that ends a session.
 */
function strongIceCredentials(pc: RTCPeerConnection): void {
  for (const t of pc.iceTransports) {
    t.connection.localUsername = randomBytes(ICE_UFRAG_BITS / 8).toString('hex');
    t.connection.localPassword = randomBytes(ICE_PWD_BITS / 8).toString('hex');
  }
}

/**
 * The DTLS-SRTP protection profiles a player's session offers (RFC 5764 4.1.2): tsrs answers as
 * the DTLS client (`a=setup:active`, werift's answer), so it offers and the player picks.
 * - With the native send path (protocol/rtc/send-batch.ts), AEAD_AES_128_GCM (RFC 7714) first,
 *   then AES_CM_128_HMAC_SHA1_80: GCM protects a packet in about half the CPU of AES-CTR plus
 *   HMAC-SHA1 there, and browsers and werift pick it when offered.
 * - Without it, only AES_CM_128_HMAC_SHA1_80, the profile SRS uses and every WebRTC endpoint
 *   implements (RFC 8827 6.5): tsrs protects it in JavaScript with one cipher per session
 *   (protocol/rtc/srtp-protect.ts), where GCM would need a new cipher per packet.
 * Publishers keep werift's list (one decryption per packet, not per player).
 */
export function playerSrtpProfiles(nativeSend: boolean): readonly number[] {
  return nativeSend ? PLAYER_SRTP_PROFILES_NATIVE : PLAYER_SRTP_PROFILES;
}
export const PLAYER_SRTP_PROFILES: readonly number[] = [ProtectionProfileAes128CmHmacSha1_80];
export const PLAYER_SRTP_PROFILES_NATIVE: readonly number[] = [ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80];

function setSrtpProfiles(pc: RTCPeerConnection, profiles: readonly number[]): void {
  for (const t of pc.dtlsTransports) (t as unknown as { srtpProfiles: number[] }).srtpProfiles = [...profiles];
}

/** RTCP transport-layer feedback (PT 205) with FMT 1: a Generic NACK (RFC 4585 6.2.1). */
export function isGenericNack(rtcp: unknown): boolean {
  const p = rtcp as { type?: number; feedback?: { count?: number } };
  return p?.type === 205 && p.feedback?.count === 1;
}

/**
 * werift's sender answers every Generic NACK from its history of the last 128 RTP packets
 * (RTP_HISTORY_SIZE, per track; an older packet is not resent). With `rtc.nack off` the NACKs
 * are dropped before they reach it.
 */
export function refuseNacks(sender: RTCRtpSender): void {
  const handle = sender.handleRtcpPacket.bind(sender);
  sender.handleRtcpPacket = (rtcp) => {
    if (!isGenericNack(rtcp)) handle(rtcp);
  };
}

/**
 * A player's budget of retransmissions (a token bucket): `rate()` packets a second (vhost
 * `rtc.tsrs_nack_pps`, read at each NACK), at most one second's worth at once; a rate of 0 means
 * no bound.
 */
export class RetransmitBudget {
  /** full at the start: clamped to the rate at the first take */
  private tokens = Number.POSITIVE_INFINITY;
  private last: number;
  /** NACKed packets not resent because the budget was spent */
  refused = 0;
  /** NACKed sequence numbers not resent at the circuit breaker's high water level */
  shed = 0;

  constructor(
    private readonly rate: () => number,
    now = Date.now(),
  ) {
    this.last = now;
  }

  /** How many of `want` packets may be resent at `now` (ms); they are taken from the budget. */
  take(want: number, now = Date.now()): number {
    const rate = this.rate();
    if (rate <= 0) return want;
    this.tokens = Math.min(rate, this.tokens + (Math.max(0, now - this.last) / 1000) * rate);
    this.last = now;
    const n = Math.min(want, Math.floor(this.tokens));
    this.tokens -= n;
    this.refused += want - n;
    return n;
  }
}

/** What limitNacks reads of werift's sender: its retransmission history (RTP_HISTORY_SIZE slots). */
interface SenderHistory {
  rtpCache: ({ header: { sequenceNumber: number } } | undefined)[];
}

/**
 * Bounds the retransmissions werift's sender makes for Generic NACKs by `budget` (shared by a
 * player's senders): of a NACK's lost sequence numbers, those still in the history (each once)
 * are resent while the budget lasts, in the NACK's order; the rest are not. While `load.high`
 * (the circuit breaker's high water level, app/circuit-breaker.ts) none is resent; the NACKed
 * sequence numbers are counted in `budget.shed`.
 */
export function limitNacks(sender: RTCRtpSender, budget: RetransmitBudget, load: { readonly high: boolean }): void {
  const handle = sender.handleRtcpPacket.bind(sender);
  const history = sender as unknown as SenderHistory;
  sender.handleRtcpPacket = (rtcp) => {
    if (isGenericNack(rtcp)) {
      const feedback = (rtcp as unknown as { feedback: { lost: number[] } }).feedback;
      if (load.high) {
        budget.shed += feedback.lost.length;
        return;
      }
      const held = [...new Set(feedback.lost)].filter((seq) => history.rtpCache[seq % RTP_HISTORY_SIZE]?.header.sequenceNumber === seq);
      const n = budget.take(held.length);
      if (n === 0) return;
      feedback.lost = held.slice(0, n);
    }
    handle(rtcp);
  };
}

/** receivers shedPublisherFeedback wrapped (once each, whatever their tracks) */
const shedding = new WeakSet<RTCRtpReceiver>();

/** What werift's receiver does for feedback to a publisher (werift 0.24 internals). */
interface ReceiverFeedback {
  nack: { setLost(seq: number, count: number): void; _lost: Record<number, number> };
  receiverTWCC?: TwccFeedback;
  setupTWCC(mediaSourceSsrc: number): void;
}
interface TwccFeedback {
  extensionInfo: Record<number, unknown>;
  sendTWCC(): void;
}

/**
 * The circuit breaker's share of a publisher's receiver (app/circuit-breaker.ts, as SRS): at the
 * high water level no loss is recorded, so no NACK is sent; at critical no TWCC feedback is sent
 * (what it would have reported is forgotten, so the record stays bounded).
 */
export function shedPublisherFeedback(receiver: RTCRtpReceiver, load: { readonly high: boolean; readonly critical: boolean }): void {
  if (shedding.has(receiver)) return;
  shedding.add(receiver);
  const r = receiver as unknown as ReceiverFeedback;
  const nack = r.nack;
  const setLost = nack.setLost.bind(nack);
  nack.setLost = (seq, count) => {
    if (!load.high) setLost(seq, count);
  };
  const wrapTwcc = (twcc: TwccFeedback) => {
    const send = twcc.sendTWCC.bind(twcc);
    twcc.sendTWCC = () => {
      if (!load.critical) return send();
      twcc.extensionInfo = {};
    };
  };
  if (r.receiverTWCC) wrapTwcc(r.receiverTWCC);
  const setup = r.setupTWCC.bind(r);
  r.setupTWCC = (ssrc) => {
    const had = r.receiverTWCC;
    setup(ssrc);
    if (r.receiverTWCC && r.receiverTWCC !== had) wrapTwcc(r.receiverTWCC);
  };
}

/** A refused WebRTC request: SRS's error code and the HTTP status WHIP/WHEP answer with. */
export class RtcError extends Error {
  constructor(
    message: string,
    /** SRS error code, answered as `{"code":N}` */
    readonly code: number,
    /** the status WHIP answers with */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/**
 * Answers `offer` on `pc` (attached to `session` when it was made: `RtcUdpMux.attach`). `media` words the refusal when the offer has neither codec (e.g.
 * "has" for a publisher's offer, "receives" for a player's); a player's session offers
 * `playerSrtpProfiles`.
 * Returns the answer SDP (host candidates not yet set) and the session id
 * `<answer ufrag>:<offer ufrag>`.
 * Throws RtcError 5012 (SdpDecode, 400) for an offer werift cannot parse; 5018 (SdpExchange,
 * 400) when negotiation fails or the answer has no H.264/Opus; 5018 with 500 without an ICE ufrag.
 */
export async function answerOnMux(
  mux: RtcUdpMux,
  session: MuxSession,
  pc: RTCPeerConnection,
  offer: string,
  media: 'has' | 'receives',
  fb: RtcFeedback,
): Promise<{ sdp: string; id: string }> {
  let answer: string;
  try {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: keepH264Mode1(offer) });
    } catch (err) {
      throw new RtcError(`bad SDP offer: ${(err as Error).message}`, RtcErrorCode.SdpDecode, 400);
    }
    trimFeedback(pc, fb);
    strongIceCredentials(pc);
    if (media === 'receives') setSrtpProfiles(pc, playerSrtpProfiles(mux.sendBatch !== undefined));
    await pc.setLocalDescription(await pc.createAnswer());
    answer = pc.localDescription!.sdp;
  } catch (err) {
    if (err instanceof RtcError) throw err;
    throw new RtcError(`SDP negotiation failed: ${(err as Error).message}`, RtcErrorCode.SdpExchange, 400);
  }
  if (!/^m=(audio|video) [1-9]/m.test(answer) || !/^a=rtpmap:\d+ (H264|opus)\//im.test(answer)) {
    throw new RtcError(`the offer ${media} neither H.264 (packetization-mode 1) nor Opus`, RtcErrorCode.SdpExchange, 400);
  }
  const ufrag = iceUfrag(answer);
  const password = /^a=ice-pwd:(\S+)/m.exec(answer)?.[1];
  if (!ufrag || !password) throw new RtcError('no ICE credentials in the answer', RtcErrorCode.SdpExchange, 500);
  mux.bindUfrag(session, ufrag, password);
  return { sdp: answer, id: `${ufrag}:${iceUfrag(offer) ?? ''}` };
}

/**
 * The hub's Client of a WebRTC publisher or player: the request's names, address and query
 * (hooks get them as for RTMP) and a `webrtc://HOST/APP` tcUrl.
 */
export function rtcClient(type: 'rtc-publish' | 'rtc-play', req: RtcOfferRequest, vhost: string, transport: ClientTransport): Client {
  return new Client({
    ip: req.ip,
    peerIp: req.peer,
    type,
    vhost,
    app: req.app,
    stream: req.stream,
    param: req.param,
    tcUrl: `webrtc://${req.vhost || '127.0.0.1'}/${req.app}`,
    transport,
  });
}
