import type { Packet } from '../kernel/packet.js';
import type { Client } from './client.js';
import type { Source } from './source.js';

/**
 * The protocol side of a player: turns packets into bytes on its socket.
 * Implementations write the packets' shared, cached encodings (no per-player copy).
 */
export interface ConsumerSink {
  /** Write a batch in one go (cork/writev). Return false when the transport is congested. */
  write(packets: readonly Packet[]): boolean;
}

/**
 * One player's view of a Source: a queue bounded in time (queue_length).
 * The Source fills it and flushes all consumers together (merged writes);
 * a congested consumer keeps queueing and, past queue_length, drops to the
 * next keyframe, so it never slows the publisher or the other players.
 */
export class Consumer {
  private queue: Packet[] = [];
  private waitKeyframe = false;
  private congested = false;
  private paused = false;
  /** packets dropped because this player could not keep up */
  dropped = 0;
  /** number of times the queue overflowed */
  overflows = 0;

  constructor(
    readonly source: Source,
    readonly client: Client,
    private readonly sink: ConsumerSink,
    private queueLengthMs: number,
  ) {}

  setQueueLength(ms: number): void {
    this.queueLengthMs = ms;
  }

  enqueue(packet: Packet): void {
    if (this.waitKeyframe) {
      if (packet.kind === 'video' && packet.keyframe && !packet.sequenceHeader) this.waitKeyframe = false;
      else if (!packet.sequenceHeader && packet.kind !== 'script') {
        this.dropped++;
        return;
      }
    }
    const q = this.queue;
    q.push(packet);
    if (q.length > 1 && packet.dts - q[0].dts > this.queueLengthMs) this.shrink();
  }

  /** Drop to the newest keyframe in the queue, keeping sequence headers and metadata. */
  private shrink(): void {
    this.overflows++;
    const q = this.queue;
    let start = -1;
    for (let i = q.length - 1; i > 0; i--) {
      const p = q[i];
      if (p.kind === 'video' && p.keyframe && !p.sequenceHeader) {
        start = i;
        break;
      }
    }
    const kept: Packet[] = [];
    const end = start < 0 ? q.length : start;
    for (let i = 0; i < end; i++) {
      const p = q[i];
      if (p.sequenceHeader || p.kind === 'script') kept.push(p);
      else this.dropped++;
    }
    if (start >= 0) for (let i = start; i < q.length; i++) kept.push(q[i]);
    else this.waitKeyframe = true;
    this.queue = kept;
  }

  get queuedPackets(): number {
    return this.queue.length;
  }

  /** Write what is queued, unless the transport asked us to wait. */
  flush(): void {
    if (this.congested || this.paused || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (!this.sink.write(batch)) this.congested = true;
  }

  /** The transport drained: write what piled up meanwhile. */
  onDrain(): void {
    this.congested = false;
    this.flush();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.flush();
  }
}
