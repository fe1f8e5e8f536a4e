import { Packet, type PacketKind } from '../kernel/packet.js';
import { srsStreamUrl } from './stream-url.js';
import { startsWithStartCode } from '../kernel/annexb.js';
import type { Client } from './client.js';
import { Consumer, type ConsumerSink } from './consumer.js';
import { GopCache, type GopCacheLimits } from './gop-cache.js';
import { newObjectId } from './ids.js';
import { JitterCorrector, type TimeJitter } from './jitter.js';
import type { LimitEvent } from './events.js';
import { KbpsSampler } from './kbps.js';
import { audioInfo, videoInfo, type AudioInfo, type VideoInfo } from './codec-info.js';
import type { AudioTrack, StreamTracks, VideoTrack } from '../kernel/tracks.js';
import type { DroppedFrames } from '@tsrs/api-types';
import { OutputGuard, type OutputErrorAction, type OutputErrorEvent } from './output-guard.js';

/** Per-vhost play/publish settings a Source runs with. */
export interface SourceOptions {
  gopCache: boolean;
  gopCacheMaxFrames: number;
  /** GOP cache bound in body bytes (gop_cache_max_bytes), 0 = none */
  gopCacheMaxBytes: number;
  /** per-player queue bound, ms (SRS's queue_length is seconds) */
  queueLengthMs: number;
  /** per-player queue bound in body bytes (queue_max_bytes), 0 = none */
  queueMaxBytes: number;
  /** merged-write window, ms; 0 = flush once per event-loop turn */
  mwLatencyMs: number;
  timeJitter: TimeJitter;
}

export const DEFAULT_SOURCE_OPTIONS: SourceOptions = {
  gopCache: true,
  gopCacheMaxFrames: 2500,
  gopCacheMaxBytes: 32 * 1024 * 1024,
  queueLengthMs: 30_000,
  queueMaxBytes: 64 * 1024 * 1024,
  mwLatencyMs: 350,
  timeJitter: 'full',
};

/**
 * tsrs never waits longer than this to merge writes, whatever mw_latency says:
 * a per-source window this short keeps syscalls few while adding little delay.
 * Measured on 2 cores with 0.5 Mbit/s RTMP players: 100 ms gave p95 delay 120-160 ms at 1,000
 * players and 225-450 ms at 3,000; 50 ms gives 70 ms and 110-190 ms for about the same CPU
 * (7,000-9,000 players per core); 25 ms bought no more delay for more flushes.
 */
export const MAX_MERGE_WINDOW_MS = 50;

/**
 * Something that hangs on a Source and sees every packet (HLS, DVR, forward, RTC bridge). The
 * Source calls it through its OutputGuard (output-guard.ts): what it throws is counted under
 * `name` and handled by `onError`, never seen by the publisher or the other outputs.
 */
export interface SourceOutput {
  /** the output's kind (`hls`, `dvr`, `http-ts`, ...): its errors are counted under this name */
  readonly name: string;
  onPublish?(source: Source): void;
  onPacket(packet: Packet): void;
  onUnpublish?(source: Source): void;
  /** the Source is going away (or the output is removed) */
  close?(): void;
  /** what the guard does when this output throws; `detach` (until the next publish) when absent */
  onError?(err: unknown): OutputErrorAction;
}

/**
 * Most of one event-loop turn (ms) the flush rounds of all streams together spend writing to
 * consumers before they let the loop serve I/O and go on at the next turn (checked every 4
 * consumers, so a round always makes progress).
 */
export const FLUSH_SLICE_MS = 10;

/** when this event-loop turn's fan-out began (performance.now()), shared by every Source; -1: not yet */
let turnStart = -1;
const endTurn = (): void => {
  turnStart = -1;
};

/** The start of this turn's fan-out budget: the first flush of a turn starts it, the next turn ends it. */
function fanOutStart(): number {
  if (turnStart < 0) {
    turnStart = performance.now();
    setImmediate(endTurn);
  }
  return turnStart;
}

/**
 * A live stream: at most one publisher, any number of consumers and outputs.
 * Packets are parsed once here and shared, immutable, with everyone.
 */
export class Source {
  readonly id = newObjectId();
  publisher: Client | undefined;
  tcUrl = '';
  metadata: Packet | undefined;
  /**
   * The stream's tracks (kernel/tracks.ts), replaced as a whole (never mutated) at every
   * sequence start, and for a codec without one (MP3) at the first frame of a publish; each
   * change is announced through `onTracks` (the Hub's `stream:tracks`).
   */
  tracks: StreamTracks = NO_TRACKS;
  /** the API's view of the tracks (SRS's stream.video / stream.audio), kept with them */
  video: VideoInfo | null = null;
  audio: AudioInfo | null = null;
  /** the tracks changed (the Hub sends these to the event bus) */
  onTracks: ((source: Source) => void) | undefined;
  readonly consumers = new Set<Consumer>();
  /** players served without a Consumer (HLS sessions), counted as the stream's clients */
  readonly viewers = new ViewerSet();
  /** bytes sent to players (consumers) that left: a stream's sent bytes never fall */
  private goneBytesSent = 0;
  readonly outputs: SourceOutput[] = [];
  readonly kbps = new KbpsSampler();
  /**
   * Asks the publisher for a keyframe (a WebRTC publisher sends a PLI, rate limited); false
   * when it cannot. Set by the publisher's handle (PublisherHandle.requestKeyframe), cleared on
   * unpublish.
   */
  requestKeyframe: (() => boolean) | undefined;
  /** video frames received over the source's life */
  frames = 0;
  /** media frames left out for a time before the stream's first packet (see JitterCorrector.beforeStart) */
  beforeStartFrames = 0;
  /** stream time (dts, ms) of the last video frame counted in `frames` */
  lastFrameDts = 0;
  /** stream time between the last two keyframes, ms (0 until two were seen), for live stats */
  keyframeIntervalMs = 0;
  private lastKeyframeDts = -1;
  recvBytes = 0;
  publishedAt = 0;
  /** The video sequence header: replayed to joining players before the GOP. */
  get videoHeader(): Packet | undefined {
    return this.tracks.video?.header;
  }

  /** The audio sequence start (AAC, enhanced-RTMP Opus, ...): replayed to joining players. */
  get audioHeader(): Packet | undefined {
    const a = this.tracks.audio;
    return a?.sequenceStart ? a.header : undefined;
  }

  /**
   * The packet that describes the audio track: its sequence start, or for a codec without one
   * (MP3) the first frame of this publish. Outputs that fix their tracks read it.
   */
  get audioTrack(): Packet | undefined {
    return this.tracks.audio?.header;
  }

  /** a memory bound was hit (the Hub sends these to the event bus; the server logs them) */
  onLimit: ((event: LimitEvent) => void) | undefined;
  /** an output threw or a frame was refused, reported at a limited rate (the Hub sends these to the bus) */
  onOutputError: ((event: OutputErrorEvent) => void) | undefined;
  /** every call into an output and every player write runs behind it; `guard.errors` counts per output */
  readonly guard = new OutputGuard(this, {
    report: (event) => this.onOutputError?.(event),
    kickPublisher: (reason) => {
      const p = this.publisher;
      if (!p) return;
      p.endReason ??= 'error';
      p.transport.close(reason);
    },
  });
  /** frames refused at the source as malformed */
  private refusedFrames = 0;
  /** frames dropped by players that left */
  private goneDropped = 0;
  /** last time a packet arrived or the publisher left (for disposal) */
  lastActiveAt = Date.now();
  private readonly gop: GopCache;
  private readonly jitter: JitterCorrector;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  /** unpaused consumers whose sink is `realtime` (WebRTC players): no merge window while there is one */
  private realtimeConsumers = 0;
  /** the consumers a flush round has still to visit, when it yielded (FLUSH_SLICE_MS) */
  private flushing: IterableIterator<Consumer> | undefined;
  /** a packet was queued since the current flush round began */
  private queuedSinceRound = false;
  /** bumped by flushAll: a round it overtook (a sink that closed the stream) stops */
  private flushGeneration = 0;

  constructor(
    readonly vhost: string,
    readonly app: string,
    readonly stream: string,
    private options: SourceOptions,
  ) {
    this.gop = new GopCache(options.gopCache, gopLimits(options));
    this.jitter = new JitterCorrector(options.timeJitter);
  }

  get key(): string {
    return sourceKey(this.vhost, this.app, this.stream);
  }

  /** SRS's stream url: `[vhost]/app/stream`, without the default vhost. */
  get url(): string {
    return srsStreamUrl(this.vhost, this.app, this.stream);
  }

  get active(): boolean {
    return this.publisher !== undefined;
  }

  configure(options: SourceOptions): void {
    this.options = options;
    this.gop.configure(options.gopCache, gopLimits(options));
    this.jitter.setMode(options.timeJitter);
    for (const c of this.consumers) c.setQueueLength(options.queueLengthMs, options.queueMaxBytes);
  }

  /** Take the publisher role; false when someone already publishes. */
  publish(client: Client): boolean {
    if (this.publisher) return false;
    this.publisher = client;
    client.source = this;
    this.publishedAt = Date.now();
    this.lastActiveAt = this.publishedAt;
    this.tcUrl = client.tcUrl;
    this.jitter.resetForRepublish();
    this.lastKeyframeDts = -1;
    this.keyframeIntervalMs = 0;
    for (const o of this.outputs) this.guard.publish(o);
    return true;
  }

  unpublish(): void {
    if (!this.publisher) return;
    this.publisher = undefined;
    this.requestKeyframe = undefined;
    this.lastActiveAt = Date.now();
    this.flushAll();
    for (const o of this.outputs) this.guard.unpublish(o);
    // A new publisher starts with fresh headers and a fresh GOP.
    this.gop.clear();
    this.metadata = undefined;
    this.setTracks(NO_TRACKS);
  }

  /** One message from the publisher: parse once, cache, fan out. */
  onMessage(kind: PacketKind, wireTimestamp: number, body: Buffer): void {
    this.recvBytes += body.length;
    // time_jitter full sends data messages at 0, as SRS does: FFmpeg's FLV reader skips an
    // onMetaData only there (a later one becomes a data track), which a republish would give
    const dts = kind === 'script' && this.options.timeJitter === 'full' ? 0 : this.jitter.correct(wireTimestamp, kind);
    const packet = Packet.of(kind, dts, body);
    // media from before the stream's first packet would all be at 0, many frames on one DTS:
    // left out (a sequence header is kept, at 0: it times nothing)
    if (kind !== 'script' && this.jitter.beforeStart && !packet.sequenceHeader) {
      this.beforeStartFrames++;
      return;
    }
    packet.arrivedAt = performance.now();
    const v = packet.video;
    const a = packet.audio;
    if (v) {
      if (v.enhanced && v.codec === 'other' && v.packetType !== 'command' && v.packetType !== 'multitrack') {
        return this.refuse(packet, `unknown video FourCC '${v.fourcc ?? ''}'`);
      }
      if (v.sequenceStart) {
        const video = packet.videoTrack;
        const error = video && videoHeaderError(video);
        if (error) return this.refuse(packet, error);
        if (video) this.setTracks({ video, audio: this.tracks.audio });
      } else {
        // NAL units of this stream's frames are split with the length size its record states
        packet.nalLengthSize = this.tracks.video?.nalLengthSize ?? 4;
        // (multitrack video is passed on as it came: players that know it read it)
        const error = v.packetType === 'multitrack' ? undefined : (v.error ?? nalUnitError(packet));
        if (error) return this.refuse(packet, error);
        if (v.packetType === 'coded-frames') {
          this.frames++;
          this.lastFrameDts = dts;
          if (v.keyframe) {
            if (this.lastKeyframeDts >= 0 && dts > this.lastKeyframeDts) this.keyframeIntervalMs = dts - this.lastKeyframeDts;
            this.lastKeyframeDts = dts;
          }
        }
      }
    } else if (a) {
      if (a.error && a.packetType !== 'multitrack') return this.refuse(packet, a.error);
      if (a.codec === 'aac' && !a.sequenceStart && !this.tracks.audio?.sequenceStart) return this.refuse(packet, 'AAC frame before the AAC sequence header');
      // A sequence start (AAC, enhanced-RTMP Opus) describes the track each time; a codec
      // without one (MP3, legacy codecs) is described by its first frame.
      if (a.sequenceStart || !this.tracks.audio) {
        const audio = packet.audioTrack;
        const error = audio && audioHeaderError(audio);
        if (error) return this.refuse(packet, error);
        if (audio) this.setTracks({ video: this.tracks.video, audio });
      }
    } else if (packet.sequenceHeader) {
      // Only onMetaData is state a joining player needs; other data (cue points,
      // timing probes) flows live but is not replayed.
      this.metadata = packet;
    }
    this.dispatch(packet);
  }

  /**
   * A malformed frame is not passed on (players could not decode it, outputs would trip on it):
   * counted as refused and reported at a limited rate. The publisher goes on.
   */
  private refuse(packet: Packet, reason: string): void {
    this.refusedFrames++;
    this.guard.refused(packet.kind, reason, this.refusedFrames);
  }

  /** Frames this stream did not pass on, by why. */
  get droppedFrames(): DroppedFrames {
    return { queue: this.goneDropped + this.droppedPackets, gop_cache: this.gop.droppedFrames, refused: this.refusedFrames };
  }

  private setTracks(tracks: StreamTracks): void {
    if (tracks === this.tracks) return;
    this.tracks = tracks;
    this.video = tracks.video ? videoInfo(tracks.video) : null;
    this.audio = tracks.audio ? audioInfo(tracks.audio) : null;
    this.onTracks?.(this);
  }

  private dispatch(packet: Packet): void {
    this.lastActiveAt = Date.now();
    if (this.gop.push(packet)) this.gopOverflow(packet);
    for (const o of this.outputs) this.guard.packet(o, packet);
    if (this.consumers.size === 0) return;
    for (const c of this.consumers) c.enqueue(packet);
    this.queuedSinceRound = true;
    this.scheduleFlush();
  }

  private gopOverflow(packet: Packet): void {
    const { gopCacheMaxFrames, gopCacheMaxBytes } = this.options;
    this.onLimit?.({
      source: this,
      what: 'gop_cache',
      directive: 'gop_cache_max_frames/gop_cache_max_bytes',
      detail: {
        max_frames: gopCacheMaxFrames,
        max_bytes: gopCacheMaxBytes,
        overflows: this.gop.overflows,
        dts: packet.dts,
        action: 'cache dropped until the next keyframe',
      },
    });
  }

  /**
   * Merge writes: flush every consumer once per window (or per event-loop turn). The window runs
   * from the first packet after a round, so under load (long rounds) writes merge more. While the
   * Source has a realtime consumer (a WebRTC player) there is no window: rounds run at each
   * event-loop turn, for every consumer of the Source.
   */
  private scheduleFlush(): void {
    if (this.flushTimer || this.flushImmediate) return;
    const window = this.realtimeConsumers > 0 ? 0 : Math.min(this.options.mwLatencyMs, MAX_MERGE_WINDOW_MS);
    if (window <= 0) this.flushImmediate = setImmediate(this.flushNow);
    else this.flushTimer = setTimeout(this.flushNow, window);
  }

  /**
   * A flush round: every consumer writes what it has queued, within the turn's FLUSH_SLICE_MS
   * (shared by every stream). Past that the round goes on at the next turn (setImmediate), after
   * the I/O that came meanwhile (STUN and DTLS of WebRTC sessions, API requests, publishers'
   * data): a fan-out to thousands of players never holds the loop much longer than a slice. What
   * a player has not been written meanwhile waits in its own bounded queue (queue_length).
   */
  private readonly flushNow = (): void => {
    this.cancelScheduledFlush();
    const start = fanOutStart();
    let round = this.flushing;
    this.flushing = undefined;
    if (!round) {
      round = this.consumers.values();
      this.queuedSinceRound = false;
    }
    const generation = this.flushGeneration;
    let n = 0;
    for (let next = round.next(); !next.done; next = round.next()) {
      next.value.flush();
      if (generation !== this.flushGeneration) return;
      if ((++n & 3) === 0 && performance.now() - start > FLUSH_SLICE_MS) {
        this.flushing = round;
        this.flushImmediate = setImmediate(this.flushNow);
        return;
      }
    }
    // packets queued during a round that yielded: the consumers it had visited have them still
    // (a window from now, as for the first packet after a round that did not yield)
    if (this.queuedSinceRound) this.scheduleFlush();
  };

  private cancelScheduledFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    this.flushTimer = this.flushImmediate = undefined;
  }

  /** Every consumer writes what it has queued, now (the stream ends or the publisher leaves). */
  private flushAll(): void {
    this.cancelScheduledFlush();
    this.flushing = undefined;
    this.queuedSinceRound = false;
    this.flushGeneration++;
    for (const c of this.consumers) c.flush();
  }

  /** A consumer of this Source became (or stopped being) an active realtime one (Consumer.setPaused). */
  realtimeChanged(consumer: Consumer, active: boolean): void {
    if (!this.consumers.has(consumer)) return;
    this.realtimeConsumers += active ? 1 : -1;
  }

  /** A new player: it gets metadata, sequence headers and the GOP at once. */
  addConsumer(client: Client, sink: ConsumerSink): Consumer {
    const consumer = new Consumer(this, client, sink, this.options.queueLengthMs, this.options.queueMaxBytes);
    client.source = this;
    for (const p of this.startPackets()) consumer.enqueue(p);
    this.consumers.add(consumer);
    if (consumer.realtimeActive) this.realtimeConsumers++;
    // Start quickly: do not wait for the merge window.
    setImmediate(() => consumer.flush());
    return consumer;
  }

  /** What a joining player needs before live packets: metadata, headers, GOP. */
  startPackets(): Packet[] {
    const out: Packet[] = [];
    if (this.metadata) out.push(this.metadata);
    if (this.videoHeader) out.push(this.videoHeader);
    if (this.audioHeader) out.push(this.audioHeader);
    for (const p of this.gop.snapshot()) out.push(p);
    return out;
  }

  removeConsumer(consumer: Consumer): void {
    if (!this.consumers.delete(consumer)) return;
    if (consumer.realtimeActive) this.realtimeConsumers--;
    this.goneBytesSent += consumer.client.transport.bytesWritten();
    this.goneDropped += consumer.dropped;
  }

  addOutput(output: SourceOutput): void {
    this.outputs.push(output);
    if (this.publisher) this.guard.publish(output);
  }

  removeOutput(output: SourceOutput): void {
    const i = this.outputs.indexOf(output);
    if (i >= 0) this.outputs.splice(i, 1);
    this.guard.close(output);
  }

  /** Players now: consumers and HLS viewers (the publisher not counted). */
  get players(): number {
    return this.consumers.size + this.viewers.size;
  }

  /** The publisher and every player (consumers and HLS viewers), as SRS counts a stream's clients. */
  get clientCount(): number {
    return this.consumers.size + this.viewers.size + (this.publisher ? 1 : 0);
  }

  /**
   * Bytes sent to this stream's players so far, those gone included: a counter that never falls
   * (SRS's stream send_bytes), so send_30s is a true out rate when a player leaves.
   */
  playerBytesSent(): number {
    let n = this.goneBytesSent + this.viewers.goneBytesSent;
    for (const c of this.consumers) n += c.client.transport.bytesWritten();
    for (const v of this.viewers) n += v.transport.bytesWritten();
    return n;
  }

  /** Dropped packets over all consumers (for stats). */
  get droppedPackets(): number {
    let n = 0;
    for (const c of this.consumers) n += c.dropped;
    return n;
  }

  close(): void {
    this.flushAll();
    for (const o of this.outputs.splice(0)) this.guard.close(o);
  }
}

/** The HLS viewers of a Source: a Set that keeps the bytes sent to those it lost. */
export class ViewerSet extends Set<Client> {
  goneBytesSent = 0;

  override delete(client: Client): boolean {
    const had = super.delete(client);
    if (had) this.goneBytesSent += client.transport.bytesWritten();
    return had;
  }
}

/**
 * Why an AVC/HEVC frame's NAL units do not add up, undefined when they do. A payload in Annex B
 * form (start codes instead of lengths, as some encoders send) is passed on as it came.
 */
/**
 * Why a video sequence header cannot describe the track (it is refused and the track stays as
 * it was): an AVC/HEVC decoder configuration record that does not parse or carries no SPS or
 * PPS (nothing could be decoded from it). A record whose SPS tsrs cannot read further (an
 * unusual profile) is kept: players may still decode it.
 */
function videoHeaderError(t: VideoTrack): string | undefined {
  if (t.codec === 'h264') {
    if (!t.avc) return `AVC sequence header: ${t.error ?? 'unreadable'}`;
    if (t.avc.sps.length === 0 || t.avc.pps.length === 0) return 'AVC sequence header without SPS or PPS';
  } else if (t.codec === 'h265') {
    if (!t.hevc) return `HEVC sequence header: ${t.error ?? 'unreadable'}`;
    if (t.hevc.sps.length === 0 || t.hevc.pps.length === 0) return 'HEVC sequence header without SPS or PPS';
  }
  return undefined;
}

/**
 * Why an audio header cannot describe the track: an AAC AudioSpecificConfig or an OpusHead that
 * does not parse, or an MP3 frame (MP3 has no sequence header: the first frame describes the
 * track) whose header does not.
 */
function audioHeaderError(t: AudioTrack): string | undefined {
  if (!t.error) return undefined;
  if (t.codec === 'aac' || t.codec === 'opus' || t.codec === 'mp3') return `${t.codec.toUpperCase()} ${t.codec === 'mp3' ? 'frame header' : 'sequence header'}: ${t.error}`;
  return undefined;
}

function nalUnitError(packet: Packet): string | undefined {
  const f = packet.frame;
  return f?.error && !startsWithStartCode(f.data) ? f.error : undefined;
}

const NO_TRACKS: StreamTracks = Object.freeze({ video: undefined, audio: undefined });

function gopLimits(o: SourceOptions): GopCacheLimits {
  return { maxFrames: o.gopCacheMaxFrames, maxBytes: o.gopCacheMaxBytes };
}

/**
 * The hub's key for a stream. The three names stay apart (app `live/sub` + stream `cam` is not
 * app `live` + stream `sub/cam`), whatever characters they hold.
 */
export function sourceKey(vhost: string, app: string, stream: string): string {
  return JSON.stringify([vhost, app, stream]);
}
