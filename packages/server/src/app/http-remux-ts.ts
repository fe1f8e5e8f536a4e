import { TsMuxer, type TsAudioCodec, type TsVideoCodec } from '../kernel/mpegts.js';
import type { Packet } from '../kernel/packet.js';
import type { OutputErrorAction } from './output-guard.js';
import type { Source, SourceOutput } from './source.js';

/** Errors of the shared remuxer within `REOPEN_WINDOW_MS` that are answered by starting over. */
export const MAX_TS_REOPENS = 3;
export const REOPEN_WINDOW_MS = 60_000;

/**
 * HTTP-TS for every TS player of one Source: one muxer, fed in source order,
 * so each packet is muxed once and its TS bytes are shared by all players
 * (like `packet.flvTag` for HTTP-FLV). PAT/PMT go before every keyframe, so a
 * player that starts on a keyframe (the GOP cache) gets them first.
 *
 * An error inside it (a bug: the Source's OutputGuard catches it) must not leave its players
 * waiting for bytes that never come: the remuxer starts over at the next keyframe (PAT/PMT
 * first), up to `MAX_TS_REOPENS` times in `REOPEN_WINDOW_MS`; past that it is detached until
 * the next publish and `failed` is set, so every HTTP-TS player's next write throws and the
 * guard ends that player (it can reconnect) instead of stalling it.
 */
export class SharedTsRemux implements SourceOutput {
  readonly name = 'http-ts';
  private muxer: TsMuxer | undefined;
  private startTables: Buffer | undefined;
  private readonly encoded = new WeakMap<Packet, Buffer>();
  private users = 0;
  /** times of the recent errors (see REOPEN_WINDOW_MS) */
  private errorsAt: number[] = [];
  /** the guard is restarting this remuxer after an error (not a new publish) */
  private reopening = false;
  /** detached after too many errors: players cannot be served until the next publish */
  failed = false;

  private constructor(private readonly source: Source) {}

  /** The shared remuxer of a source, created (and caught up with its GOP) on first use. */
  static acquire(source: Source): SharedTsRemux {
    let r = REMUXERS.get(source);
    if (!r) {
      r = new SharedTsRemux(source);
      REMUXERS.set(source, r);
      source.addOutput(r);
      for (const p of source.startPackets()) r.onPacket(p);
    }
    r.users++;
    return r;
  }

  release(): void {
    if (--this.users > 0) return;
    REMUXERS.delete(this.source);
    this.source.removeOutput(this);
  }

  /** TS bytes of a packet, undefined for packets that make none (headers, metadata, dropped). */
  encode(packet: Packet): Buffer | undefined {
    return this.encoded.get(packet);
  }

  /** PAT/PMT for a player's first bytes (audio-only streams have no keyframe to carry them). */
  tables(): Buffer | undefined {
    return this.startTables;
  }

  onPublish(): void {
    // a new publisher may bring other codecs
    this.muxer = undefined;
    this.startTables = undefined;
    if (this.reopening) this.reopening = false;
    else {
      this.errorsAt = [];
      this.failed = false;
    }
  }

  /** The OutputGuard's policy: start over at the next keyframe, or give up (see the class comment). */
  onError(): OutputErrorAction {
    const now = Date.now();
    this.errorsAt = this.errorsAt.filter((t) => now - t < REOPEN_WINDOW_MS);
    this.errorsAt.push(now);
    if (this.errorsAt.length <= MAX_TS_REOPENS) {
      this.reopening = true;
      return 'reopen';
    }
    this.failed = true;
    return 'detach';
  }

  onUnpublish(): void {
    this.muxer = undefined;
    this.startTables = undefined;
  }

  onPacket(packet: Packet): void {
    if (packet.kind === 'script' || this.encoded.has(packet)) return;
    if (packet.sequenceHeader) {
      this.feed(packet);
      return;
    }
    if (!this.muxer) {
      // with video, TS starts at a keyframe (after an error, the frames before it are not decodable)
      if (this.source.tracks.video && !(packet.kind === 'video' && packet.keyframe)) return;
      this.createMuxer(packet);
    }
    const out = this.feed(packet);
    if (!out || out.length === 0) return;
    if (packet.kind === 'video' && packet.keyframe) out.unshift(this.muxer!.writeTables());
    this.encoded.set(packet, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  private feed(packet: Packet): Buffer[] | undefined {
    if (!this.muxer) return undefined;
    try {
      return this.muxer.mux(packet);
    } catch {
      return undefined; // a codec the muxer was not made for: skip the packet
    }
  }

  /** Codecs come from the source's tracks, known by the first frame. */
  private createMuxer(first: Packet): void {
    const { video: vt, audio: at } = this.source.tracks;
    const video = tsVideoCodec(vt?.codec ?? (first.kind === 'video' ? first.video!.codec : undefined));
    let audio: TsAudioCodec | undefined;
    if (at?.codec === 'aac' && at.sequenceStart) audio = 'aac';
    else if (at?.codec === 'mp3') audio = 'mp3';
    if (!video && !audio) return;
    this.muxer = new TsMuxer({ video, audio });
    this.startTables = this.muxer.writeTables();
    if (vt && video) this.feed(vt.header);
    if (at && audio === 'aac') this.feed(at.header);
  }
}

const REMUXERS = new WeakMap<Source, SharedTsRemux>();

function tsVideoCodec(c: string | undefined): TsVideoCodec | undefined {
  return c === 'h264' || c === 'h265' ? c : undefined;
}
