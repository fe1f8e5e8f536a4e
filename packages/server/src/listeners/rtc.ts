/**
 * WebRTC publishers on `rtc_server { listen 8000; }` (UDP): SDP offers from the API's signalling
 * routes (WHIP, SRS's /rtc/v1/publish/) become werift peer connections that share the one port
 * (`RtcUdpMux`), and their RTP becomes a Source publisher (`RtcIngest`), so RTMP, HTTP-FLV, HLS,
 * DVR, the API and the hooks see a WebRTC stream like any other.
 *
 * Admission is RTMP's: safe names (safe-name.ts), the vhost's `rtc { enabled on; }`,
 * then the publisher handle (hub.openPublisher: a busy stream refused, security, on_publish,
 * registration, events); the session's close() closes the handle, whatever ends it (DELETE, a
 * kick, a timeout, the peer). The handle's keyframe request sends a PLI to the publisher, at most
 * one a second (a WebRTC player's PLI/FIR reaches it that way). Errors are `RtcError`s with
 * SRS's codes (srs_kernel_error.hpp): 5012 bad SDP, 5018 negotiation failed or an unbundled offer,
 * 5020 stream busy, 5021 WebRTC disabled, 5023 bad parameters, a refusing hook's own code; plus the HTTP status WHIP
 * answers with. An offer is at most MAX_SDP_BYTES and MAX_MEDIA_SECTIONS; the request's param
 * (which carries a WHIP/WHEP bearer token) goes to the hooks, never to the log. Bounded: at most
 * `maxSessions` sessions (the mux's bound); a session that does not
 * connect, or stops sending, within `rtc.stun_timeout` is closed. Each session, from its offer to
 * its close, counts as one connection of its client's address against max_connections and
 * max_connections_per_ip (an offer past them: 503, code 4097).
 */
import { networkInterfaces } from 'node:os';
import type { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { Client } from '../app/client.js';
import { AdmissionError, BusyError, type Hub } from '../app/hub.js';
import type { PublisherHandle } from '../app/handles.js';
import { RtcIngest } from '../app/rtc-ingest.js';
import { discoverCandidates } from '../app/rtc-candidates.js';
import { OpusToAac } from '../app/rtc-audio.js';
import { findExecutable, type ProcessSupervisor } from '../app/process-supervisor.js';
import type { ConnectionLimit } from '../app/connection-limit.js';
import { nameProblem, streamNamesProblem } from '../app/safe-name.js';
import { DEFAULT_VHOST, type Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { setHostCandidates } from '../protocol/rtc/sdp-candidates.js';
import { CircuitBreaker, startLoadSampler } from '../app/circuit-breaker.js';
import { DelayHistogram } from '../app/delay-histogram.js';
import { DEFAULT_RTC_UDP_MUX_OPTIONS, RtcUdpMux, type MuxSession, type RtcUdpMuxStats } from '../protocol/rtc/udp-mux.js';
import { Episode } from '../app/resource-errors.js';
import type { Listener } from './listener.js';
import { RtcFeeds, type AudioTranscoderFactory } from '../app/rtc-play.js';
import { AacToOpus } from '../app/aac-to-opus.js';
import { RtcPlaySession } from './rtc-play.js';
import { resolveVhost } from '../app/resolve-vhost.js';
import { answerOnMux, rtcClient, RtcError, rtcPeerConnection, shedPublisherFeedback, type RtcFeedback } from './rtc-answer.js';
import type { RtcOfferRequest, RtcSessionMatch } from '../api/routes-rtc.js';
import { RtcErrorCode } from '@tsrs/api-types';

/** SRS's WebRTC error codes (srs_kernel_error.hpp), from the API's one table of codes. */
export { RtcErrorCode };

export { RtcError };


export interface RtcPublishAnswer {
  sessionId: string;
  answer: string;
  client: Client;
}

/** Largest SDP offer tsrs reads (a browser's is 3-10 kB). */
export const MAX_SDP_BYTES = 64 * 1024;
/**
 * Most media sections (`m=` lines) an offer may have: a publisher or player has one audio, one
 * video and perhaps a data channel; werift makes a transceiver of each, at tens of ms of CPU apiece.
 */
export const MAX_MEDIA_SECTIONS = 16;
const PLI_RETRY_MS = 1000;


/** The WebRTC UDP port and its publish and play sessions. */
export class RtcServer implements Listener {
  readonly name = 'rtc';
  private mux: RtcUdpMux | undefined;
  private readonly sessions = new Map<string, RtcPublishSession | RtcPlaySession>();
  /** each session's place in the connection count, given back when it closes */
  private readonly counted = new WeakMap<RtcPublishSession | RtcPlaySession, () => void>();
  /** the shared RTP of streams with WebRTC players */
  readonly feeds: RtcFeeds;
  /** datagrams to players dropped at the shared socket's send queue bound, logged once per episode */
  private readonly sendDrops: Episode;
  private readonly sendErrors: Episode;
  /** `circuit_breaker`: players' NACKs unanswered at high water, no RTP to players at dying */
  readonly breaker: CircuitBreaker;
  /** the delay the server added to WebRTC players' video frames (/metrics tsrs_rtc_send_delay_ms) */
  readonly sendDelay = new DelayHistogram();
  private stopSampler: (() => void) | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly config: () => Config,
    private readonly log: Logger,
    /** runs the Opus -> AAC FFmpeg of each publisher and the AAC -> Opus one of each played stream; without it (or FFmpeg) audio is off */
    readonly supervisor?: ProcessSupervisor,
    /** the FFmpeg to use; default `ffmpeg` on PATH */
    readonly ffmpeg: () => string | undefined = () => findExecutable('ffmpeg'),
    /** max_connections / max_connections_per_ip: each session counts as one connection of its client's address */
    private readonly limit?: ConnectionLimit,
  ) {
    this.feeds = new RtcFeeds(rtcAudioFactory(supervisor, ffmpeg, log));
    this.sendDrops = new Episode(log, 'rtc: the UDP send queue is full, datagrams to WebRTC players dropped');
    this.sendErrors = new Episode(log, 'rtc: a native send batch failed, its datagrams to WebRTC players lost');
    this.breaker = new CircuitBreaker(() => this.config().global.circuit_breaker);
  }

  async start(): Promise<void> {
    const port = this.config().global.rtc_server.listen;
    this.mux = await RtcUdpMux.listen(port, '0.0.0.0', {
      maxSessions: () => this.config().global.rtc_server.max_sessions,
      onSendDropped: () => this.sendDrops.hit({ queue: DEFAULT_RTC_UDP_MUX_OPTIONS.maxSendQueue }),
      onSendError: (err) => this.sendErrors.hit({ error: err.message }),
    });
    this.log.info({ port: this.mux.address.port, candidates: this.candidates() }, 'rtc listening (udp)');
    if (this.mux.sendBatch) this.log.info('rtc: RTP to players is protected and sent in native batches (sendmmsg)');
    else this.log.warn({ reason: this.mux.nativeOffReason }, 'rtc: the native send path is off; RTP to players is protected and sent from JavaScript, at a higher CPU cost per player');
    this.stopSampler = startLoadSampler(this.breaker, this.log);
  }

  addresses(): { host: string; port: number }[] {
    return this.mux ? [{ host: this.mux.address.address, port: this.mux.address.port }] : [];
  }

  portStats(): RtcUdpMuxStats | undefined {
    return this.mux?.stats;
  }

  /** The answer's candidate addresses for a request (app/rtc-candidates.ts); without one, the configured ones. */
  candidates(req?: Pick<RtcOfferRequest, 'eip' | 'apiHost'>): string[] {
    const r = this.config().global.rtc_server;
    return discoverCandidates({ configured: r.candidate, eip: req?.eip, apiHost: req?.apiHost, apiAsCandidates: r.api_as_candidates, interfaces: networkInterfaces() });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.stopSampler?.();
    this.stopSampler = undefined;
    for (const s of [...this.sessions.values()]) s.close('server stopping');
    await this.mux?.close();
    this.mux = undefined;
  }

  /**
   * Ends a session by its id (WHIP/WHEP DELETE) when it is of `match`'s direction, vhost, app and
   * stream; false when there is no such session (another one is left alone).
   */
  end(sessionId: string, match: RtcSessionMatch): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    const play = s instanceof RtcPlaySession;
    const client = s.client;
    const vhost = resolveVhost(this.config(), match.vhost || DEFAULT_VHOST);
    if ((match.direction === 'play') !== play || !client || client.vhost !== vhost || client.app !== match.app || client.stream !== match.stream) return false;
    s.close('ended by the client');
    return true;
  }

  /** Admits a publisher and answers its offer. Throws RtcError. */
  async publish(req: RtcOfferRequest): Promise<RtcPublishAnswer> {
    const config = this.config();
    const mux = this.mux;
    if (!mux || !config.global.rtc_server.enabled) throw new RtcError('rtc_server is disabled', RtcErrorCode.Disabled, 503);
    const { vhost, v } = this.checkNames(config, req);
    checkOffer(req.offer);
    this.checkRoom(config, mux, req.peer);
    const session = this.counting(req.peer, () => new RtcPublishSession(this, mux, this.log, req, vhost));
    try {
      await session.open(this.hub);
    } catch (err) {
      session.close('refused');
      throw err;
    }
    try {
      const answer = await session.negotiate(req.offer, this.candidates(req), v.rtc.stun_timeout * 1000, v.rtc.pli_for_rtmp * 1000, v.rtc);
      this.sessions.set(session.id, session);
      // not the param: it may hold the client's bearer token
      this.log.info({ ip: req.ip, url: session.client.streamUrl, session: session.id }, 'rtc publish');
      return { sessionId: session.id, answer, client: session.client };
    } catch (err) {
      session.close('negotiation failed');
      throw err;
    }
  }

  /**
   * Admits a WebRTC player (`rtc { rtmp_to_rtc on; }` for streams published otherwise than by
   * WebRTC) and answers its offer. Throws RtcError. As SRS, a player of a stream nobody publishes
   * is answered and waits for the publisher, within the bounds of every waiting player
   * (request_limits' max_waiting_players, per IP too; play.waiting_timeout); the publisher's
   * media starts it at a keyframe.
   */
  async play(req: RtcOfferRequest): Promise<RtcPublishAnswer> {
    const config = this.config();
    const mux = this.mux;
    if (!mux || !config.global.rtc_server.enabled) throw new RtcError('rtc_server is disabled', RtcErrorCode.Disabled, 503);
    const { vhost, v } = this.checkNames(config, req);
    checkOffer(req.offer);
    this.checkRoom(config, mux, req.peer);
    const source = this.hub.findSource(vhost, req.app, req.stream);
    // SRS (#2728): a stream published over RTMP (or SRT, ...) has no WebRTC players without rtmp_to_rtc
    if (source?.active && source.publisher?.type !== 'rtc-publish' && !v.rtc.rtmp_to_rtc) {
      throw new RtcError(`disabled rtmp_to_rtc of ${vhost}/${req.app}/${req.stream}`, RtcErrorCode.Disabled, 403);
    }
    const session = this.counting(req.peer, () => new RtcPlaySession(this.hub, mux, this.feeds, this.log, (s) => this.forget(s), v.rtc, req.peer, this.breaker, this.sendDelay));
    try {
      await session.admit(req, vhost);
      const answer = await session.negotiate(req.offer, this.candidates(req), v.rtc.stun_timeout * 1000);
      if (session.client?.closed) throw new RtcError('the session ended during negotiation', RtcErrorCode.SdpExchange, 410);
      this.sessions.set(session.id, session);
      this.log.info({ ip: req.ip, url: session.client?.streamUrl, session: session.id }, 'rtc play');
      return { sessionId: session.id, answer, client: session.client! };
    } catch (err) {
      session.close('refused');
      throw err;
    }
  }

  /**
   * Throws RtcError 4097 (503) when the port has rtc_server.max_sessions sessions, or the client's
   * address has max_pending_sessions_per_ip sessions not connected yet (DTLS not done; offers
   * that never connect hold a session for rtc.stun_timeout).
   */
  private checkRoom(config: Config, mux: RtcUdpMux, ip: string): void {
    if (mux.full) throw new RtcError(`${mux.stats.sessions} WebRTC sessions already open (rtc_server.max_sessions)`, RtcErrorCode.SessionsFull, 503);
    const perIp = config.global.rtc_server.max_pending_sessions_per_ip;
    if (perIp > 0 && mux.pendingOf(ip) >= perIp) {
      throw new RtcError(`${perIp} WebRTC sessions of ${ip} are still connecting (rtc_server.max_pending_sessions_per_ip)`, RtcErrorCode.SessionsFull, 503);
    }
  }

  /**
   * Takes the session's place among the server's connections (as SRS counts a WebRTC session as
   * a connection): returns its release. Throws RtcError 4097 (503) when max_connections or the
   * client address's max_connections_per_ip is reached.
   */
  private countConnection(ip: string): () => void {
    const limit = this.limit;
    if (!limit) return () => undefined;
    let onClose: (() => void) | undefined;
    if (!limit.admit({ remoteAddress: ip, destroy: () => undefined, once: (_event, listener) => (onClose = listener) }, 'rtc')) {
      throw new RtcError(`max_connections or max_connections_per_ip reached (${ip})`, RtcErrorCode.SessionsFull, 503);
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      onClose?.();
    };
  }

  /** A new session (`make`), counted as a connection of `ip` until it closes (forget); throws RtcError 4097. */
  private counting<S extends RtcPublishSession | RtcPlaySession>(ip: string, make: () => S): S {
    const release = this.countConnection(ip);
    try {
      const session = make();
      this.counted.set(session, release);
      return session;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The safe names and the vhost with rtc enabled; throws RtcError. */
  private checkNames(config: Config, req: RtcOfferRequest) {
    if (!req.app || !req.stream) throw new RtcError('app and stream are required', RtcErrorCode.InvalidParams, 400);
    const bad = (req.vhost ? nameProblem('vhost', req.vhost) : undefined) ?? streamNamesProblem({ vhost: req.vhost || undefined, app: req.app, stream: req.stream });
    if (bad) throw new RtcError(bad, RtcErrorCode.InvalidParams, 400);
    const vhost = resolveVhost(config, req.vhost || DEFAULT_VHOST);
    const v = vhost ? config.getVhost(vhost) : undefined;
    if (!vhost || !v) throw new RtcError(`vhost ${req.vhost} not found`, RtcErrorCode.InvalidParams, 404);
    if (!v.enabled || !v.rtc.enabled) throw new RtcError(`WebRTC is disabled on vhost ${vhost} (rtc.enabled)`, RtcErrorCode.Disabled, 403);
    return { vhost, v };
  }

  /** @internal a session is gone */
  forget(session: RtcPublishSession | RtcPlaySession): void {
    this.counted.get(session)?.();
    this.counted.delete(session);
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }
}

/** AAC -> Opus children through the supervisor; one warning and no audio when there is no FFmpeg. */
function rtcAudioFactory(supervisor: ProcessSupervisor | undefined, findFfmpeg: () => string | undefined, log: Logger): AudioTranscoderFactory {
  let warned = false;
  return (source, onOpus) => {
    const ffmpeg = supervisor ? findFfmpeg() : undefined;
    if (!supervisor || !ffmpeg) {
      if (!warned) log.warn('rtc: no ffmpeg on PATH: WebRTC players of AAC streams get video only');
      warned = true;
      return undefined;
    }
    return new AacToOpus({ supervisor, ffmpeg, stream: source.url, contextId: source.publisher?.id, log }, onOpus);
  };
}

function busy(vhost: string, app: string, stream: string): RtcError {
  return new RtcError(`stream ${vhost}/${app}/${stream} is busy`, RtcErrorCode.SourceBusy, 409);
}

/** The checks SRS makes before negotiating: an SDP with ICE credentials and audio or video. */
export function checkOffer(sdp: string): void {
  if (!sdp || sdp.length > MAX_SDP_BYTES) throw new RtcError(`an SDP offer of ${sdp.length} bytes`, RtcErrorCode.SdpDecode, 400);
  if (!/^v=0\r?$/m.test(sdp.slice(0, 8)) || !/^m=(audio|video) /m.test(sdp)) throw new RtcError('not an SDP offer with audio or video', RtcErrorCode.SdpDecode, 400);
  if (!/^a=ice-ufrag:\S+/m.test(sdp) || !/^a=ice-pwd:\S+/m.test(sdp)) throw new RtcError('the SDP offer has no ICE credentials', RtcErrorCode.SdpDecode, 400);
  if (!/^a=fingerprint:\S+ \S+/m.test(sdp)) throw new RtcError('the SDP offer has no DTLS fingerprint', RtcErrorCode.SdpDecode, 400);
  const sections = sdp.match(/^m=/gm)?.length ?? 0;
  if (sections > MAX_MEDIA_SECTIONS) throw new RtcError(`an SDP offer of ${sections} media sections (at most ${MAX_MEDIA_SECTIONS})`, RtcErrorCode.SdpDecode, 400);
  // RFC 8839 5.4: ice-char is ALPHA / DIGIT / "+" / "/"; ufrag 4-256, password 22-256 of them
  for (const m of sdp.matchAll(/^a=ice-(ufrag|pwd):(.*?)\r?$/gm)) {
    const [min, max] = m[1] === 'ufrag' ? [4, 256] : [22, 256];
    if (!/^[A-Za-z0-9+/]*$/.test(m[2]) || m[2].length < min || m[2].length > max) {
      throw new RtcError(`the SDP offer's ICE ${m[1]} is not ${min}-${max} ice-chars (RFC 8839)`, RtcErrorCode.SdpDecode, 400);
    }
  }
  // an RTP payload type is 7 bits (RFC 3550 5.1)
  const named = [
    ...[...sdp.matchAll(/^a=(?:rtpmap|fmtp|rtcp-fb):(\S+)/gm)].map((m) => m[1]),
    ...[...sdp.matchAll(/^m=(?:audio|video) \S+ \S*RTP\S* ([^\r\n]*)/gm)].flatMap((m) => m[1].trim().split(/ +/)),
  ];
  const badType = named.find((pt) => pt !== '*' && !(/^\d{1,3}$/.test(pt) && Number(pt) <= 127));
  if (badType !== undefined) throw new RtcError(`the SDP offer names RTP payload type ${badType.slice(0, 20)}, outside 0-127`, RtcErrorCode.SdpDecode, 400);
  // RFC 8843 / RFC 5888: a mid names one m-line
  const mids = [...sdp.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
  if (new Set(mids).size !== mids.length) throw new RtcError('the SDP offer gives two m-lines one a=mid', RtcErrorCode.SdpDecode, 400);
  const unbundled = unbundledMids(sdp);
  if (unbundled.length > 0) {
    throw new RtcError(`only BUNDLE is supported: m-lines ${unbundled.join(', ')} are not in the offer's a=group:BUNDLE`, RtcErrorCode.SdpExchange, 400);
  }
}

/**
 * The mids of the offer's audio/video m-lines (port not 0) that no `a=group:BUNDLE` holds
 * (RFC 8843): SRS answers only offers whose media share one transport (a browser's always do),
 * as tsrs does: the shared port routes a session by one ICE ufrag, so a second transport of a
 * session would never connect.
 */
export function unbundledMids(sdp: string): string[] {
  const [session, ...media] = sdp.split(/^(?=m=)/m);
  const bundled = new Set((/^a=group:BUNDLE((?: +\S+)*)\s*$/m.exec(session)?.[1] ?? '').trim().split(/ +/).filter(Boolean));
  const out: string[] = [];
  for (const [i, m] of media.entries()) {
    if (!/^m=(audio|video) [1-9]/.test(m)) continue;
    const mid = /^a=mid:(\S+)/m.exec(m)?.[1];
    if (mid === undefined || !bundled.has(mid)) out.push(mid ?? `#${i}`);
  }
  return out;
}

/** One WebRTC publisher: its peer connection, its share of the port, its publisher handle. */
class RtcPublishSession {
  id = '';
  /** the hub's Client of this publisher; registered by the handle once admitted */
  readonly client: Client;
  private pc: RTCPeerConnection | undefined;
  private readonly muxSession: MuxSession;
  private handle: PublisherHandle | undefined;
  private ingest: RtcIngest | undefined;
  private aac: OpusToAac | undefined;
  private bytesIn = 0;
  private lastPacketAt = Date.now();
  private lastPliAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private videoPli: (() => void) | undefined;

  constructor(
    private readonly server: RtcServer,
    private readonly mux: RtcUdpMux,
    private readonly log: Logger,
    req: RtcOfferRequest,
    vhost: string,
  ) {
    this.muxSession = mux.openSession(req.peer);
    this.client = rtcClient('rtc-publish', req, vhost, {
      close: (reason) => this.close(reason),
      bytesRead: () => this.bytesIn,
      bytesWritten: () => 0,
    });
  }

  /**
   * Becomes the stream's publisher through hub.openPublisher. Throws RtcError: 5020 (409) a busy
   * stream, 410 when the session ended meanwhile, else the refusal's own code with 503 when a
   * bound refused and 403 otherwise (security or a hook, as WHIP answers).
   */
  async open(hub: Hub): Promise<void> {
    const c = this.client;
    try {
      this.handle = await hub.openPublisher(c, { gone: () => this.closed });
    } catch (err) {
      if (err instanceof BusyError) throw busy(c.vhost, c.app, c.stream);
      if (this.closed) throw new RtcError('the session ended during admission', RtcErrorCode.SdpExchange, 410);
      if (err instanceof AdmissionError) throw new RtcError(err.message, err.code, err.httpStatus === 503 ? 503 : 403);
      throw err;
    }
    const handle = this.handle;
    const write = (kind: 'audio' | 'video', ms: number, body: Buffer) => handle.write(kind, ms, body);
    this.ingest = new RtcIngest(write, Date.now(), this.opusSink(c, (ms, body) => write('audio', ms, body)));
  }

  /** Answers the offer on the shared port; throws RtcError 5012/5018. */
  async negotiate(offer: string, candidates: string[], timeoutMs: number, pliEveryMs: number, feedback: RtcFeedback): Promise<string> {
    const pc = rtcPeerConnection('publish', feedback);
    this.mux.attach(this.muxSession, pc);
    this.pc = pc;
    pc.onTrack.subscribe((track) => this.onTrack(pc, track));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') this.close(`connection ${state}`);
    });
    const { sdp: answer, id } = await answerOnMux(this.mux, this.muxSession, pc, offer, 'has', feedback);
    this.id = id;
    this.lastPacketAt = Date.now();
    this.timer = setInterval(() => this.tick(timeoutMs, pliEveryMs), 500);
    this.timer.unref();
    return setHostCandidates(answer, candidates, this.mux.address.port);
  }

  /**
   * Opus -> AAC through one FFmpeg child (app/rtc-audio.ts), started on the first Opus packet;
   * without FFmpeg the packets are dropped and one warning says audio is off.
   */
  private opusSink(client: Client, write: (ms: number, body: Buffer) => void): (packet: Buffer, ms: number) => void {
    let warned = false;
    return (packet, ms) => {
      if (this.closed) return;
      if (!this.aac) {
        const ffmpeg = this.server.supervisor ? this.server.ffmpeg() : undefined;
        if (!ffmpeg || !this.server.supervisor) {
          if (!warned) this.log.warn({ url: client.streamUrl, session: this.id }, 'rtc: no FFmpeg to make Opus into AAC: audio is off for this stream (video goes on)');
          warned = true;
          return;
        }
        try {
          this.aac = new OpusToAac(this.server.supervisor, ffmpeg, write, { name: `rtc opus-aac ${client.streamUrl}`, stream: client.streamUrl, contextId: client.id });
        } catch (err) {
          if (!warned) this.log.warn({ url: client.streamUrl, err: (err as Error).message }, 'rtc: cannot start FFmpeg for Opus -> AAC: audio is off for this stream');
          warned = true;
          return;
        }
      }
      this.aac.push(packet, ms);
    };
  }

  private onTrack(pc: RTCPeerConnection, track: MediaStreamTrack): void {
    const transceiver = pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    if (transceiver) shedPublisherFeedback(transceiver.receiver, this.server.breaker);
    if (track.kind === 'video') {
      this.videoPli = () => {
        if (track.ssrc !== undefined) void transceiver?.receiver.sendRtcpPLI(track.ssrc).catch(() => undefined);
      };
      // the stream's keyframe requests (a player's PLI/FIR): a PLI, at most one a second
      if (this.handle) this.handle.onKeyframeRequest = () => this.pli(false);
    }
    track.onReceiveRtp.subscribe((rtp) => {
      const ingest = this.ingest;
      if (!ingest || this.closed) return;
      this.bytesIn += rtp.payload.length + 12;
      this.lastPacketAt = Date.now();
      const h = rtp.header;
      try {
        if (track.kind === 'video') {
          ingest.onVideoRtp(rtp.payload, h.sequenceNumber, h.timestamp, h.marker, this.lastPacketAt);
          if (ingest.video.needKeyframe) this.pli(false);
        } else {
          ingest.onAudioRtp(rtp.payload, h.timestamp, this.lastPacketAt);
        }
      } catch (err) {
        this.log.debug({ err: String(err), session: this.id }, 'rtc: RTP packet dropped');
      }
    });
  }

  /** A keyframe request to the publisher, at most once a second unless forced (pli_for_rtmp). */
  private pli(forced: boolean): void {
    const now = Date.now();
    if (!this.videoPli || (!forced && now - this.lastPliAt < PLI_RETRY_MS)) return;
    this.lastPliAt = now;
    this.videoPli();
  }

  private tick(timeoutMs: number, pliEveryMs: number): void {
    const now = Date.now();
    if (now - this.lastPacketAt > timeoutMs) return this.close(`no media for ${timeoutMs} ms (rtc.stun_timeout)`);
    if (pliEveryMs > 0 && now - this.lastPliAt >= pliEveryMs) this.pli(true);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.server.forget(this);
    this.handle?.close();
    void this.pc?.close().catch(() => undefined);
    void this.aac?.close();
    this.mux.closeSession(this.muxSession);
    this.log.info({ session: this.id || undefined, reason, recv: this.bytesIn, frames: this.ingest?.frames }, 'rtc session closed');
  }
}
