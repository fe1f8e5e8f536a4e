/**
 * WebRTC players (WHEP, SRS's /rtc/v1/play/) on rtc_server's one UDP port: a werift peer
 * connection (ICE-lite, sendonly H.264 + Opus) whose RTP comes from the stream's shared
 * `RtcStreamFeed` through an `RtcPlayer`, the sink of an ordinary hub player (so security,
 * on_play/on_stop, the client list, kick and the stream's counters treat it like an RTMP player).
 *
 * NACKs are answered from werift's history of the last 128 packets per track, at most
 * `rtc.tsrs_nack_pps` packets a second per player (RetransmitBudget). Under load the circuit
 * breaker (app/circuit-breaker.ts) sheds: at its high water level no NACK is answered, at dying
 * no RTP is sent (STUN, DTLS and RTCP still are).
 *
 * Admission: safe names, the vhost's `rtc { enabled on; rtmp_to_rtc on; }`, then security and
 * on_play (hub.openPlayer). A player of a stream nobody publishes waits for the publisher as an
 * RTMP player does (SRS answers such a play too), bounded by max_waiting_players and
 * play.waiting_timeout; its video starts at the publisher's first keyframe. With rtmp_to_rtc
 * off, a waiting player whose stream gets a publisher other than WebRTC is closed. The player's
 * Consumer is paused until DTLS is up, so its GOP (it joins at a keyframe) is not sent into a
 * connection that cannot carry it yet. A player that does not connect, or sends no RTCP
 * (receiver reports, feedback) within `rtc.stun_timeout` while its stream is published, or
 * whose connection fails, is closed.
 */
import type { RTCPeerConnection, RTCRtpSender } from 'werift';
import { Client } from '../app/client.js';
import { AdmissionError, type Hub } from '../app/hub.js';
import type { PlayerHandle } from '../app/handles.js';
import { RtcPlayer, type PlayerLoad, type RtcFeeds, type RtcStreamFeed, type RtpKind } from '../app/rtc-play.js';
import type { Logger } from '../log.js';
import type { DelayHistogram } from '../app/delay-histogram.js';
import { setHostCandidates } from '../protocol/rtc/sdp-candidates.js';
import type { DatagramResult, MuxSession, RtcUdpMux } from '../protocol/rtc/udp-mux.js';
import { RtpOut } from '../protocol/rtc/rtp-out.js';
import { answerOnMux, limitNacks, refuseNacks, RetransmitBudget, rtcClient, RtcError, rtcPeerConnection, type RtcFeedback } from './rtc-answer.js';
import type { RtcOfferRequest } from '../api/routes-rtc.js';


/** RTCP payload-specific feedback (PT 206) with FMT 4: a Full Intra Request (RFC 5104 4.3.1). */
function isFir(rtcp: unknown): boolean {
  const p = rtcp as { type?: number; feedback?: { count?: number } };
  return p?.type === 206 && p.feedback?.count === 4;
}

/** One WebRTC player. */
export class RtcPlaySession {
  id = '';
  readonly player: RtcPlayer;
  private readonly pc: RTCPeerConnection;
  private readonly senders: Partial<Record<RtpKind, RTCRtpSender>> = {};
  private readonly outs: Partial<Record<RtpKind, RtpOut>> = {};
  private readonly muxSession: MuxSession;
  private theClient: Client | undefined;
  private handle: PlayerHandle | undefined;
  private feed: RtcStreamFeed | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** the player's receiver reports keep it alive */
  private lastRtcpAt = 0;
  /** what its NACKs may have resent (rtc.tsrs_nack_pps), both tracks together */
  private readonly retransmits = new RetransmitBudget(() => this.feedback.tsrs_nack_pps ?? 0);

  constructor(
    private readonly hub: Hub,
    private readonly mux: RtcUdpMux,
    private readonly feeds: RtcFeeds,
    private readonly log: Logger,
    private readonly onClose: (s: RtcPlaySession) => void,
    private readonly feedback: RtcFeedback & { rtmp_to_rtc?: boolean },
    ip: string | undefined,
    /** the circuit breaker: NACKs unanswered at its high water level, no RTP at dying */
    private readonly load: PlayerLoad,
    /** where the delay added to the player's video frames goes */
    delays?: DelayHistogram,
  ) {
    this.muxSession = mux.openSession(ip);
    this.pc = rtcPeerConnection('play', feedback);
    mux.attach(this.muxSession, this.pc);
    this.player = new RtcPlayer(
      {
        // straight to the shared socket (protocol/rtc/rtp-out.ts), SRTP-protected, once DTLS is up
        send: (kind, payload, sequenceNumber, timestamp, marker) =>
          !this.closed && (this.rtpOut(kind)?.send(payload, sequenceNumber, timestamp, marker) ?? false),
      },
      // a WebRTC publisher gets the PLI (rate limited there); else the GOP cache answers
      () => this.player.feed?.source.requestKeyframe?.() ?? false,
      load,
      delays,
    );
    // rtmp_to_rtc off: only a WebRTC publisher's media (SRS #2728)
    if (!feedback.rtmp_to_rtc) {
      this.player.accepts = (source) => {
        if (source.publisher?.type === 'rtc-publish') return true;
        queueMicrotask(() => this.close('disabled rtmp_to_rtc (a publisher other than WebRTC)'));
        return false;
      };
    }
  }

  get client(): Client | undefined {
    return this.theClient;
  }

  /** The fast RTP path of a kind's sender, once its DTLS transport is up. */
  private rtpOut(kind: RtpKind): RtpOut | undefined {
    const out = this.outs[kind];
    if (out) return out;
    const sender = this.senders[kind];
    if (!sender) return undefined;
    const batch = this.mux.sendBatch;
    return (this.outs[kind] = RtpOut.of(sender, this.toPeer, batch && { batch, session: this.muxSession }));
  }

  private readonly toPeer = (data: Buffer): DatagramResult => this.mux.sendTo(this.muxSession, data);

  /** Admits the player (security, on_play); throws RtcError with the refusal's code. */
  async admit(req: RtcOfferRequest, vhost: string): Promise<void> {
    const client = rtcClient('rtc-play', req, vhost, {
      close: (reason) => this.close(reason),
      bytesRead: () => 0,
      bytesWritten: () => this.player.bytesSent,
    });
    this.theClient = client;
    try {
      this.handle = await this.hub.openPlayer(client, this.player, { gone: () => this.closed });
    } catch (err) {
      if (err instanceof AdmissionError) throw new RtcError(err.message, err.code, err.httpStatus === 503 ? 503 : 403);
      throw err;
    }
    const consumer = this.handle.consumer!;
    consumer.setPaused(true); // until DTLS is up
    this.player.consumer = consumer;
    this.feed = this.feeds.join(this.handle.source, this.player);
    this.player.feed = this.feed;
  }

  /** Answers the offer on the shared port; throws RtcError 5012/5018. */
  async negotiate(offer: string, candidates: string[], timeoutMs: number): Promise<string> {
    const pc = this.pc;
    const video = pc.addTransceiver('video', { direction: 'sendonly' });
    const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
    this.senders.video = video.sender;
    this.senders.audio = audio.sender;
    if (!this.feedback.nack) for (const s of [video.sender, audio.sender]) refuseNacks(s);
    else for (const s of [video.sender, audio.sender]) limitNacks(s, this.retransmits, this.load);
    video.sender.onPictureLossIndication.subscribe(() => this.player.onPictureLoss());
    video.sender.onRtcp.subscribe((rtcp) => {
      this.lastRtcpAt = Date.now();
      if (isFir(rtcp)) this.player.onPictureLoss();
    });
    audio.sender.onRtcp.subscribe(() => (this.lastRtcpAt = Date.now()));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.player.consumer?.setPaused(false);
      if (state === 'failed' || state === 'closed') this.close(`connection ${state}`);
    });
    const { sdp: answer, id } = await answerOnMux(this.mux, this.muxSession, pc, offer, 'receives', this.feedback);
    this.id = id;
    this.lastRtcpAt = Date.now();
    this.timer = setInterval(() => {
      // waiting for a publisher, a connected player gets no media to report on (play.waiting_timeout bounds it)
      if (pc.connectionState === 'connected' && !this.player.feed?.source.active) this.lastRtcpAt = Date.now();
      if (Date.now() - this.lastRtcpAt <= timeoutMs) return;
      this.close(pc.connectionState === 'connected' ? `no RTCP for ${timeoutMs} ms (rtc.stun_timeout)` : `not connected within ${timeoutMs} ms (rtc.stun_timeout; ICE ${pc.iceConnectionState}, DTLS ${pc.dtlsTransports[0]?.state ?? 'none'})`);
    }, 500);
    this.timer.unref();
    return setHostCandidates(answer, candidates, this.mux.address.port);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.onClose(this);
    if (this.feed) this.feeds.leave(this.feed, this.player);
    this.handle?.close();
    if (!this.handle && this.theClient && this.hub.clients.get(this.theClient.id) === this.theClient) this.hub.removeClient(this.theClient);
    void this.pc.close().catch(() => undefined);
    this.mux.closeSession(this.muxSession);
    for (const out of Object.values(this.outs)) out?.close();
    const p = this.player;
    this.log.info({ session: this.id || undefined, reason, sent: p.packetsSent, dropped: p.dropped, shed: p.shed || undefined, pli: p.pictureLosses, nack_refused: this.retransmits.refused, nack_shed: this.retransmits.shed || undefined }, 'rtc play session closed');
  }
}
