import type { Packet } from '../kernel/packet.js';

/** With no video, keep at most this much audio (ms) so audio-only players start at once. */
const PURE_AUDIO_MS = 3000;

/** The bounds of a GOP cache; 0 means no bound. */
export interface GopCacheLimits {
  /** SRS's gop_cache_max_frames: packets (audio and video) */
  maxFrames: number;
  /** tsrs's gop_cache_max_bytes: the sum of the packets' body sizes */
  maxBytes: number;
}

/**
 * The packets since the last video keyframe, so a joining player starts with a
 * decodable picture. Sequence headers and metadata are kept by the Source, not here.
 *
 * Bounded like SRS's: past `maxFrames` packets, or past `maxBytes` bytes (a running
 * sum, O(1) per packet), the cache is dropped and stays empty until the next keyframe,
 * so a publisher that never sends one cannot make it grow. `overflows` counts the drops.
 */
export class GopCache {
  private packets: Packet[] = [];
  private videoCount = 0;
  private bytes = 0;
  /** times the cache was dropped for exceeding a bound */
  overflows = 0;
  /** packets dropped with the cache over all overflows */
  droppedFrames = 0;

  constructor(
    private enabled: boolean,
    private limits: GopCacheLimits,
  ) {}

  configure(enabled: boolean, limits: GopCacheLimits): void {
    this.enabled = enabled;
    this.limits = limits;
    if (!enabled) this.clear();
  }

  /** Adds a packet; returns true when it made the cache exceed a bound (the cache was dropped). */
  push(packet: Packet): boolean {
    if (!this.enabled || packet.sequenceHeader || packet.kind === 'script') return false;
    if (packet.kind === 'video') {
      if (packet.keyframe) this.clear();
      else if (this.videoCount === 0 && this.packets.length > 0) this.clear();
      // A GOP that starts without a keyframe is useless to a joining player.
      if (this.videoCount === 0 && !packet.keyframe) return false;
      this.videoCount++;
    } else if (this.videoCount === 0 && this.packets.length > 0) {
      // Pure audio: keep a sliding window.
      const first = this.packets[0];
      if (packet.dts - first.dts > PURE_AUDIO_MS) this.bytes -= this.packets.shift()!.body.length;
    }
    this.packets.push(packet);
    this.bytes += packet.body.length;
    const { maxFrames, maxBytes } = this.limits;
    if ((maxFrames > 0 && this.packets.length > maxFrames) || (maxBytes > 0 && this.bytes > maxBytes)) {
      this.droppedFrames += this.packets.length;
      this.clear();
      this.overflows++;
      return true;
    }
    return false;
  }

  clear(): void {
    this.packets = [];
    this.videoCount = 0;
    this.bytes = 0;
  }

  /** The cached packets; read synchronously (the array grows as packets arrive). */
  snapshot(): readonly Packet[] {
    return this.packets;
  }

  get size(): number {
    return this.packets.length;
  }

  /** Body bytes held. */
  get byteSize(): number {
    return this.bytes;
  }
}
