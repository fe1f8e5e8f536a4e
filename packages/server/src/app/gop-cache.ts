import type { Packet } from '../kernel/packet.js';

/** With no video, keep at most this much audio (ms) so audio-only players start at once. */
const PURE_AUDIO_MS = 3000;

/**
 * The packets since the last video keyframe, so a joining player starts with a
 * decodable picture. Sequence headers and metadata are kept by the Source, not here.
 */
export class GopCache {
  private packets: Packet[] = [];
  private videoCount = 0;

  constructor(
    private enabled: boolean,
    private maxFrames: number,
  ) {}

  configure(enabled: boolean, maxFrames: number): void {
    this.enabled = enabled;
    this.maxFrames = maxFrames;
    if (!enabled) this.clear();
  }

  push(packet: Packet): void {
    if (!this.enabled || packet.sequenceHeader || packet.kind === 'script') return;
    if (packet.kind === 'video') {
      if (packet.keyframe) this.clear();
      else if (this.videoCount === 0) this.packets = [];
      // A GOP that starts without a keyframe is useless to a joining player.
      if (this.videoCount === 0 && !packet.keyframe) return;
      this.videoCount++;
    } else if (this.videoCount === 0 && this.packets.length > 0) {
      // Pure audio: keep a sliding window.
      const first = this.packets[0];
      if (packet.dts - first.dts > PURE_AUDIO_MS) this.packets.shift();
    }
    this.packets.push(packet);
    if (this.packets.length > this.maxFrames) this.clear();
  }

  clear(): void {
    this.packets = [];
    this.videoCount = 0;
  }

  /** The cached packets; read synchronously (the array grows as packets arrive). */
  snapshot(): readonly Packet[] {
    return this.packets;
  }

  get size(): number {
    return this.packets.length;
  }
}
