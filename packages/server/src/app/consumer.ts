import type { Packet } from '../kernel/packet.js';
import type { Client } from './client.js';
import type { GuardedPlayer } from './output-guard.js';
import type { Source } from './source.js';

/**
 * The protocol side of a player: turns packets into bytes on its socket.
 * Implementations write the packets' shared, cached encodings (no per-player copy).
 */
export interface ConsumerSink {
  /**
   * Write a batch in one go (cork/writev). Return false when the transport is congested.
   * A throw is the sink's bug: the Source's OutputGuard counts it and closes this player.
   */
  write(packets: readonly Packet[]): boolean;
  /** the output its errors are counted under (`rtmp`, `http-flv`, `http-ts`, ...); `player` when absent */
  readonly outputName?: string;
  /**
   * A player that gets no merged writes (WebRTC, as in SRS, whose RTC players ignore mw_latency:
   * each RTP packet is a datagram of its own, so waiting merges nothing and only adds delay).
   * While a Source has one, its flush rounds run at each event-loop turn (see Source).
   */
  readonly realtime?: boolean;
}

/**
 * One player's view of a Source: a queue bounded in time (queue_length) and in
 * bytes (queue_max_bytes, a running sum of the packets' body sizes: O(1) per packet).
 * The Source fills it and flushes all consumers together (merged writes);
 * a congested or paused consumer keeps queueing and, past either bound, drops to
 * the newest keyframe in the queue (SRS's shrink), so it never slows the publisher
 * or the other players. Past the byte bound with no keyframe to drop to (or one
 * GOP alone over it), it drops all media and waits for the next keyframe.
 */
export class Consumer implements GuardedPlayer {
  private queue: Packet[] = [];
  /** body bytes in `queue` */
  private bytes = 0;
  /**
   * the dts of the oldest media packet queued (not metadata or a sequence header, which a joining
   * player gets with dts 0 however long the stream has run), undefined when none is
   */
  private oldestMediaDts: number | undefined;
  /** over queue_length with nothing newer than the oldest media to drop to: wait for a keyframe before the next drop */
  private overAtKeyframe = false;
  private waitKeyframe = false;
  private congested = false;
  private paused = false;
  /** packets dropped because this player could not keep up */
  dropped = 0;
  /** number of times the queue overflowed */
  overflows = 0;
  /** the sink threw: nothing more is written to this player */
  private failed = false;

  /** the sink's `realtime`, read once */
  readonly realtime: boolean;

  constructor(
    readonly source: Source,
    readonly client: Client,
    readonly sink: ConsumerSink,
    private queueLengthMs: number,
    /** 0 = no byte bound */
    private queueMaxBytes = 0,
  ) {
    this.realtime = sink.realtime === true;
  }

  /** a realtime consumer that is not paused: its Source runs rounds at each turn (see Source) */
  get realtimeActive(): boolean {
    return this.realtime && !this.paused;
  }

  setQueueLength(ms: number, maxBytes = this.queueMaxBytes): void {
    this.queueLengthMs = ms;
    this.queueMaxBytes = maxBytes;
  }

  enqueue(packet: Packet): void {
    if (this.waitKeyframe) {
      if (packet.kind === 'video' && packet.keyframe && !packet.sequenceHeader) this.waitKeyframe = false;
      else if (!packet.sequenceHeader && packet.kind !== 'script') {
        this.dropped++;
        return;
      }
    }
    this.queue.push(packet);
    this.bytes += packet.body.length;
    if (isMedia(packet)) {
      // queue_length bounds the media queued, from its oldest packet to this one
      if (this.oldestMediaDts === undefined || packet.dts < this.oldestMediaDts) {
        // the first media, or a jump back in time (time_jitter off): the bound counts from here
        this.oldestMediaDts = packet.dts;
        this.overAtKeyframe = false;
      } else if (packet.dts - this.oldestMediaDts > this.queueLengthMs && (!this.overAtKeyframe || (packet.kind === 'video' && packet.keyframe))) {
        this.overflows++;
        this.shrink();
        // still over: the queue starts at the newest keyframe, itself older than queue_length (a
        // GOP longer than it, as a WebRTC publisher's that sends keyframes only when asked). That
        // GOP is kept (queue_max_bytes bounds it); the next drop waits for a newer keyframe, so
        // that each later packet does not scan the queue again.
        this.overAtKeyframe = this.oldestMediaDts !== undefined && packet.dts - this.oldestMediaDts > this.queueLengthMs;
      }
    }
    if (this.queueMaxBytes > 0 && this.bytes > this.queueMaxBytes) this.shrinkBytes();
  }

  /** Over queue_max_bytes: drop to the newest keyframe, or everything if that is still too much. */
  private shrinkBytes(): void {
    const before = this.bytes;
    this.overflows++;
    this.shrink();
    if (this.bytes > this.queueMaxBytes) this.shrink(false);
    this.source.onLimit?.({
      source: this.source,
      what: 'queue',
      directive: 'queue_max_bytes',
      detail: {
        cid: this.client.id,
        max_bytes: this.queueMaxBytes,
        queued_bytes: before,
        kept_bytes: this.bytes,
        dropped: this.dropped,
        action: this.waitKeyframe ? 'dropped, waiting for a keyframe' : 'dropped to the newest keyframe',
      },
    });
  }

  /**
   * Drop to the newest keyframe in the queue (or, `toKeyframe` false, drop all media and wait
   * for the next keyframe). Of what comes before it, the newest video and audio sequence headers
   * are kept (as SRS's shrink), and the metadata a joining player got first (the data messages
   * ahead of any media; with `toKeyframe` false only the first of them): so a flood of data
   * messages or sequence headers cannot keep a queue over its bounds. A queue without video
   * (an audio-only stream) waits for no keyframe.
   */
  private shrink(toKeyframe = true): void {
    const q = this.queue;
    let start = -1;
    if (toKeyframe) {
      for (let i = q.length - 1; i > 0; i--) {
        const p = q[i];
        if (p.kind === 'video' && p.keyframe && !p.sequenceHeader) {
          start = i;
          break;
        }
      }
    }
    const end = start < 0 ? q.length : start;
    let videoHeader = -1;
    let audioHeader = -1;
    let hadVideo = false;
    for (let i = 0; i < end; i++) {
      const p = q[i];
      if (p.sequenceHeader) {
        if (p.kind === 'video') videoHeader = i;
        else audioHeader = i;
      } else if (p.kind === 'video') hadVideo = true;
    }
    let headScripts = 0;
    while (headScripts < end && q[headScripts].kind === 'script') headScripts++;
    if (!toKeyframe) headScripts = Math.min(headScripts, 1);
    const kept: Packet[] = [];
    let bytes = 0;
    for (let i = 0; i < end; i++) {
      const p = q[i];
      if (i < headScripts || i === videoHeader || i === audioHeader) {
        kept.push(p);
        bytes += p.body.length;
      } else this.dropped++;
    }
    if (start >= 0) {
      for (let i = start; i < q.length; i++) {
        kept.push(q[i]);
        bytes += q[i].body.length;
      }
    } else if (hadVideo) this.waitKeyframe = true;
    this.queue = kept;
    this.bytes = bytes;
    this.oldestMediaDts = kept.find(isMedia)?.dts;
    this.overAtKeyframe = false;
  }

  /**
   * Start over from `packets` (a push that reconnected needs metadata, sequence headers and the
   * GOP from its start again): what is queued is replaced (not counted in `dropped`, which
   * counts the overflows of a connected player), a wait for a keyframe or a congestion ends, and
   * the new queue is written at once.
   */
  restart(packets: readonly Packet[]): void {
    this.queue = [...packets];
    this.bytes = 0;
    for (const p of packets) this.bytes += p.body.length;
    this.oldestMediaDts = this.queue.find(isMedia)?.dts;
    this.overAtKeyframe = false;
    this.waitKeyframe = false;
    this.congested = false;
    this.flush();
  }

  get queuedPackets(): number {
    return this.queue.length;
  }

  /** Body bytes queued. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Write what is queued, unless the transport asked us to wait. */
  flush(): void {
    if (this.congested || this.paused || this.failed || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.bytes = 0;
    this.oldestMediaDts = undefined;
    this.overAtKeyframe = false;
    try {
      if (!this.sink.write(batch)) this.congested = true;
    } catch (err) {
      this.source.guard.playerFailed(this, err);
    }
  }

  get outputName(): string {
    return this.sink.outputName ?? 'player';
  }

  /** The sink threw (see OutputGuard): stop writing and end the player's connection with an error. */
  fail(reason: string): void {
    this.failed = true;
    this.queue = [];
    this.bytes = 0;
    this.oldestMediaDts = undefined;
    this.overAtKeyframe = false;
    this.client.endReason ??= 'error';
    this.client.transport.close(reason);
  }

  /** The transport drained: write what piled up meanwhile. */
  onDrain(): void {
    this.congested = false;
    this.flush();
  }

  setPaused(paused: boolean): void {
    const was = this.realtimeActive;
    this.paused = paused;
    if (was !== this.realtimeActive) this.source.realtimeChanged(this, this.realtimeActive);
    if (!paused) this.flush();
  }
}

/** audio or video media, not metadata or a sequence header */
function isMedia(p: Packet): boolean {
  return p.kind !== 'script' && !p.sequenceHeader;
}
