/**
 * WebRTC players of RTMP streams (`rtc { rtmp_to_rtc on; }`), independent of the WebRTC stack:
 *
 * - `RtcStreamFeed`, one per Source while it has WebRTC players: H.264 access units are
 *   packetized ONCE (RFC 6184 mode 1: single NAL unit, STAP-A, FU-A; SPS and PPS from the
 *   stream's AVC record before every IDR that does not carry them) and the payloads cached with
 *   the Packet, shared by every player; Opus frames of the stream (enhanced RTMP) likewise
 *   (RFC 7587); AAC goes through one AAC -> Opus child for the stream (aac-to-opus.ts) whose
 *   packets are fanned out to every player. RTP timestamps are the PTS in the media clock
 *   (90 kHz video, 48 kHz audio) before the player's offset.
 * - `RtcPlayer`, one per player, the Consumer's sink: per player only the sequence numbers and
 *   the timestamp offset (random starts, RFC 3550 5.1) and the SSRC (the transport's) differ.
 *   Video starts at a keyframe. The transport sends at once (protocol/rtc/rtp-out.ts, one
 *   datagram on the shared UDP socket, which drops past its bounded send queue: UDP has no
 *   per-peer backpressure); a packet it cannot send (DTLS not up yet, the session gone) is
 *   counted as dropped and takes no sequence number, so the player sees no gap.
 * - A picture loss (PLI/FIR) from a player asks the publisher for a keyframe when it can
 *   (PublisherHandle.onKeyframeRequest through `requestKeyframe`), else it is answered from the
 *   GOP cache: the player gets the cached GOP (keyframe first) again, at most once a second.
 * - The circuit breaker (app/circuit-breaker.ts) sheds: at its high water level a picture loss
 *   gets no GOP resend; at dying nothing is sent (the frames counted as shed), and afterwards
 *   video starts again at a keyframe, the publisher asked for one once.
 */
import { randomInt } from 'node:crypto';
import { avcNaluType } from '../kernel/avc.js';
import type { Packet } from '../kernel/packet.js';
import { packetizeH264, H264_RTP_CLOCK } from '../kernel/rtp-h264.js';
import { packetizeOpus } from '../kernel/rtp-opus.js';
import { rtpTimestamp, type RtpPayloadOut } from '../kernel/rtp-payload.js';
import type { Consumer, ConsumerSink } from './consumer.js';
import type { Source, SourceOutput } from './source.js';
import type { AacToOpus } from './aac-to-opus.js';
import type { DelayHistogram } from './delay-histogram.js';

export type RtpKind = 'video' | 'audio';

/** What a player reads of the circuit breaker (app/circuit-breaker.ts), and where it counts what it shed. */
export interface PlayerLoad {
  readonly high: boolean;
  readonly dying: boolean;
  shed: number;
}

/** How a player's RTP leaves (one RTP stream per kind): SSRC and payload type are its own. */
export interface RtpTransport {
  /** Sends one packet at once; false when it could not (the transport is not up, or gone). */
  send(kind: RtpKind, payload: Buffer, sequenceNumber: number, timestamp: number, marker: boolean): boolean;
}

/** Largest RTP payload: 1500-byte MTU minus IP/UDP (28), RTP with extensions (~40), SRTP tag (10) and margin. */
export const RTC_MAX_PAYLOAD = 1200;
const IDR = 5;
const SPS = 7;
const PPS = 8;
const AUD = 9;
const PLI_ANSWER_MS = 1000;

/** Makes the stream's AAC -> Opus child, or undefined when there is no FFmpeg. */
export type AudioTranscoderFactory = (source: Source, onOpus: (packet: Buffer, pts48k: number) => void) => AacToOpus | undefined;

/** One Source's shared RTP payloads, while it has WebRTC players. */
export class RtcStreamFeed implements SourceOutput {
  readonly name = 'rtc-play';
  readonly players = new Set<RtcPlayer>();
  /** H.264 access units packetized: each once, however many players */
  videoPacketized = 0;
  /** Opus packets packetized (from the stream, or made from its AAC) */
  audioPacketized = 0;
  /** frames that could not be sent (codecs WebRTC players here do not get: H.265, MP3, ...) */
  skipped = 0;
  private readonly videoCache = new WeakMap<Packet, RtpPayloadOut[] | null>();
  private readonly opusCache = new WeakMap<Packet, RtpPayloadOut | null>();
  private transcoder: AacToOpus | undefined;
  private noTranscoder = false;
  private talkspurt = true;

  constructor(
    readonly source: Source,
    private readonly makeTranscoder: AudioTranscoderFactory,
  ) {}

  /** The RTP payloads of a video packet (timestamps before any player's offset); null: none to send. */
  video(packet: Packet): RtpPayloadOut[] | null {
    let out = this.videoCache.get(packet);
    if (out !== undefined) return out;
    out = this.packetizeVideo(packet);
    this.videoCache.set(packet, out);
    return out;
  }

  /** The RTP payload of an Opus packet of the stream; null: not an Opus frame. */
  opus(packet: Packet): RtpPayloadOut | null {
    let out = this.opusCache.get(packet);
    if (out !== undefined) return out;
    const f = packet.frame;
    out = f && f.codec === 'opus' && f.data.length > 0 ? packetizeOpus(f.data, Math.round(f.pts * 48)) : null;
    if (out) this.audioPacketized++;
    this.opusCache.set(packet, out);
    return out;
  }

  private packetizeVideo(packet: Packet): RtpPayloadOut[] | null {
    const f = packet.frame;
    if (!f || f.kind !== 'video') return null;
    if (f.codec !== 'h264' || f.nalUnits.length === 0) {
      this.skipped++;
      return null;
    }
    let nalus = f.nalUnits.filter((n) => n.length > 0 && avcNaluType(n) !== AUD);
    const idr = nalus.some((n) => avcNaluType(n) === IDR);
    const avc = this.source.tracks.video?.avc;
    if (idr && avc && !nalus.some((n) => avcNaluType(n) === SPS)) {
      nalus = [...avc.sps, ...avc.pps, ...nalus.filter((n) => avcNaluType(n) !== PPS)];
    }
    if (nalus.length === 0) return null;
    this.videoPacketized++;
    return packetizeH264(nalus, f.pts * (H264_RTP_CLOCK / 1000), { maxPayload: RTC_MAX_PAYLOAD });
  }

  /** SourceOutput: AAC frames go to the stream's one AAC -> Opus child while players are here. */
  onPacket(packet: Packet): void {
    if (packet.kind !== 'audio' || this.players.size === 0) return;
    const track = this.source.tracks.audio;
    if (track?.codec !== 'aac') return;
    if (!this.transcoder && !this.noTranscoder) {
      this.transcoder = this.makeTranscoder(this.source, (data, pts) => this.onOpus(data, pts));
      if (!this.transcoder) this.noTranscoder = true;
    }
    if (!this.transcoder) return;
    this.transcoder.config = track.aac;
    if (!packet.sequenceHeader) this.transcoder.write(packet);
  }

  onUnpublish(): void {
    this.transcoder?.resync();
    this.talkspurt = true;
  }

  close(): void {
    void this.transcoder?.close();
    this.transcoder = undefined;
  }

  private onOpus(data: Buffer, pts48k: number): void {
    const out = packetizeOpus(data, pts48k, { talkspurtStart: this.talkspurt });
    this.talkspurt = false;
    this.audioPacketized++;
    for (const p of this.players) p.sendAudio(out);
  }
}

/**
 * The Source's feed, made when its first WebRTC player comes and removed (its AAC -> Opus child
 * stopped) when the last one leaves.
 */
export class RtcFeeds {
  private readonly feeds = new Map<Source, RtcStreamFeed>();

  constructor(private readonly makeTranscoder: AudioTranscoderFactory) {}

  join(source: Source, player: RtcPlayer): RtcStreamFeed {
    let feed = this.feeds.get(source);
    if (!feed) {
      feed = new RtcStreamFeed(source, this.makeTranscoder);
      this.feeds.set(source, feed);
      source.addOutput(feed);
    }
    feed.players.add(player);
    return feed;
  }

  leave(feed: RtcStreamFeed, player: RtcPlayer): void {
    feed.players.delete(player);
    if (feed.players.size > 0 || this.feeds.get(feed.source) !== feed) return;
    this.feeds.delete(feed.source);
    feed.source.removeOutput(feed);
  }

  get size(): number {
    return this.feeds.size;
  }

  feedOf(source: Source): RtcStreamFeed | undefined {
    return this.feeds.get(source);
  }
}

interface KindState {
  seq: number;
  offset: number;
}

/** One WebRTC player: the Consumer's sink, rewriting sequence numbers and timestamps. */
export class RtcPlayer implements ConsumerSink {
  /** no merged writes (SRS's RTC players ignore mw_latency): the Source flushes at each turn */
  readonly realtime = true;
  feed: RtcStreamFeed | undefined;
  consumer: Consumer | undefined;
  /** RTP packets and payload bytes handed to the transport */
  packetsSent = 0;
  bytesSent = 0;
  /** RTP packets the transport could not send (before DTLS is up, after it is gone) */
  dropped = 0;
  /** frames (video access units, audio frames) not sent at the circuit breaker's dying water level */
  shed = 0;
  /** keyframe requests (PLI/FIR) received, and answered from the GOP cache */
  pictureLosses = 0;
  gopResends = 0;
  private readonly state: Record<RtpKind, KindState> = {
    video: { seq: randomInt(0, 0x10000), offset: randomInt(0, 2 ** 31) },
    audio: { seq: randomInt(0, 0x10000), offset: randomInt(0, 2 ** 31) },
  };
  private waitKeyframe = true;
  private lastGopResend = 0;
  /** when the player, waiting for a keyframe, last asked the publisher for one (Date.now()) */
  private lastKeyframeAsk = 0;
  /** frames were shed: the publisher is asked for a keyframe once the shedding ends */
  private shedding = false;
  /** whether the stream's publisher may feed this player (rtmp_to_rtc off: WebRTC publishers only); absent: all */
  accepts: ((source: Source) => boolean) | undefined;

  constructor(
    private readonly transport: RtpTransport,
    /** asks the publisher for a keyframe; false when it cannot (then the GOP cache answers) */
    private readonly askPublisher: () => boolean = () => false,
    /** the circuit breaker: at `high` no GOP resend, while `dying` nothing is sent (counted in `shed`) */
    private readonly load: PlayerLoad = { high: false, dying: false, shed: 0 },
    /**
     * where the delay the server added to each live video frame goes (ms from the Source taking it
     * to its last RTP packet handed to the transport); frames that arrived before the player's
     * first packet was sent (the GOP it joined with, what queued while DTLS came up) are not counted
     */
    private readonly delays?: DelayHistogram,
  ) {}
  /** when the first packet was sent (performance.now()), 0 before */
  private startedAt = 0;

  /** ConsumerSink: always takes the packets (the transport sends at once or drops). */
  write(packets: readonly Packet[]): boolean {
    for (const p of packets) this.writePacket(p);
    return true;
  }

  private writePacket(p: Packet): void {
    const feed = this.feed;
    if (!feed || p.sequenceHeader || (this.accepts && !this.accepts(feed.source))) return;
    if (this.load.dying) {
      // count what would have gone: a video frame past the keyframe wait, a frame of the stream's Opus
      if (p.kind === 'video' ? !this.waitKeyframe : p.frame?.codec === 'opus') this.countShed();
      if (p.kind === 'video') this.waitKeyframe = true;
      return;
    }
    if (this.shedding) {
      this.shedding = false;
      this.askPublisher();
    }
    if (p.kind === 'video') {
      if (this.waitKeyframe) {
        if (!p.keyframe) return this.askForKeyframe();
        this.waitKeyframe = false;
      }
      const out = feed.video(p);
      if (!out) return;
      for (const o of out) {
        if (this.send('video', o)) continue;
        this.waitKeyframe = true; // a picture with a packet missing: start again at a keyframe
        return;
      }
      if (this.delays && p.arrivedAt > 0) {
        const now = performance.now();
        if (this.startedAt === 0) this.startedAt = now;
        else if (p.arrivedAt >= this.startedAt) this.delays.record(now - p.arrivedAt);
      }
    } else if (p.kind === 'audio') {
      const out = feed.opus(p);
      if (out) this.send('audio', out);
    }
  }

  /** An Opus packet made from the stream's AAC (shared with every player). */
  sendAudio(out: RtpPayloadOut): void {
    if (!this.consumer) this.dropped++;
    else if (this.load.dying) this.countShed();
    else this.send('audio', out);
  }

  /** A PLI or FIR from the player. */
  onPictureLoss(now = Date.now()): void {
    this.pictureLosses++;
    if (this.askPublisher()) return;
    if (now - this.lastGopResend < PLI_ANSWER_MS || !this.feed || this.load.high || this.load.dying) return;
    this.lastGopResend = now;
    const gop = this.feed.source.startPackets().filter((p) => p.kind === 'video' && !p.sequenceHeader);
    if (!gop.length || !gop[0].keyframe) return;
    this.gopResends++;
    for (const p of gop) {
      const out = this.feed.video(p);
      if (out) for (const o of out) this.send('video', o);
    }
  }

  /**
   * The player waits for a keyframe (it joined mid-GOP, or a picture lost a packet while DTLS came
   * up) and a frame that is not one came: the publisher is asked for one, at most once a second, so
   * a WebRTC publisher (keyframes only when asked) does not leave the player black until some other
   * player's PLI. An RTMP publisher cannot be asked (its next GOP comes anyway).
   */
  private askForKeyframe(now = Date.now()): void {
    if (now - this.lastKeyframeAsk < PLI_ANSWER_MS) return;
    this.lastKeyframeAsk = now;
    this.askPublisher();
  }

  private countShed(): void {
    this.shed++;
    this.load.shed++;
    this.shedding = true;
  }

  /** Sends one packet with the player's numbering; false (counted as dropped) when it could not go. */
  private send(kind: RtpKind, out: RtpPayloadOut): boolean {
    const s = this.state[kind];
    if (!this.transport.send(kind, out.payload, s.seq, rtpTimestamp(out.timestamp, s.offset), out.marker)) {
      this.dropped++;
      return false;
    }
    s.seq = (s.seq + 1) & 0xffff;
    this.packetsSent++;
    this.bytesSent += out.payload.length + 12;
    return true;
  }
}
