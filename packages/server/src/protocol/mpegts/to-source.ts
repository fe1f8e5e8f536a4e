/**
 * An MPEG-TS byte stream (UDP datagrams, any split) onto a publisher: the kernel's TsDemuxer
 * gives access units, this turns them into FLV-form messages, as an RTMP publisher would send:
 *
 * - H.264: an AVC sequence header (AVCDecoderConfigurationRecord built from the SPS/PPS of the
 *   stream) before the first frame and again whenever the parameter sets change; frames as
 *   length-prefixed NAL units without AUD/SPS/PPS, composition time = PTS - DTS.
 * - H.265: the same with VPS/SPS/PPS and an HEVCDecoderConfigurationRecord, as enhanced RTMP.
 * - AAC: the AudioSpecificConfig of the ADTS headers as the sequence header (again when it
 *   changes), raw frames after it. MP3 frames as they are; Opus as enhanced RTMP (OpusHead from
 *   the PMT's descriptor).
 *
 * The FLV bodies and sequence headers come from the kernel's FlvFrameMuxer. Video waits for its
 * parameter sets and then a keyframe (a player could decode nothing before);
 * audio waits for nothing. Timestamps are DTS in ms from the first access unit of any track (so
 * the tracks stay in sync), never below 0. Damage in the input never throws: the demuxer
 * counts it, and a unit the FLV builders refuse is dropped and counted in `dropped`.
 *
 * Interleaving: a TS sender may carry one track well ahead of the other (FFmpeg's x265 with
 * B-frames puts audio up to ~0.5 s before the video of the same time), but a Source expects
 * RTMP's order, one timeline of non-decreasing DTS over both tracks (time_jitter full turns a
 * step of over 250 ms between consecutive messages into 10 ms). So while the PMT has both an
 * audio and a video track, messages are held per track and written in DTS order; a track is
 * written without waiting once it holds more than `MAX_INTERLEAVE_MS` of stream time or
 * `MAX_HELD` messages (the other track stalled), or once the messages held over both tracks
 * pass `maxPendingBytes` (stream_caster.max_pending_bytes, default 32 MiB: big frames with one
 * timestamp, a PMT that lists a track that never comes), and `end()` writes all.
 *
 * Sequence headers: a track's header is written before the other track's frames whatever its
 * DTS (with audio a frame behind the video, the AAC header would come after the first keyframe).
 *
 * Start: while the PMT has video, audio waits for the first video keyframe (up to
 * `MAX_START_WAIT_MS` of stream time or `MAX_HELD` messages), and the audio frames before that
 * keyframe (held, or arriving after it) are dropped (the audio sequence header is kept): the stream starts with its video
 * sequence header and keyframe as an RTMP encoder's does, so outputs that read the tracks at
 * the first frame (HLS) see both.
 */
import { FlvFrameMuxer, type FlvMessage } from '../../kernel/flv-frames.js';
import { TsDemuxer, type TsAccessUnit, type TsDemuxerOptions } from '../../kernel/mpegts-demux.js';
import type { PacketKind } from '../../kernel/packet.js';

/** Where the messages go: a PublisherHandle. */
export interface FlvMessageTarget {
  write(kind: PacketKind, timestamp: number, body: Buffer): void;
}

/** Stream time (ms) one track may hold while it waits for the other before it is written anyway. */
export const MAX_INTERLEAVE_MS = 1000;
/** Messages one track may hold while it waits for the other (a bound whatever the timestamps). */
export const MAX_HELD = 512;
/** Stream time (ms) audio may wait for the first video keyframe at the start. */
export const MAX_START_WAIT_MS = 10_000;
/** Body bytes held over both tracks when no `maxPendingBytes` is given (the demuxer's default bound). */
export const DEFAULT_MAX_HELD_BYTES = 32 * 1024 * 1024;

const isVideoCodec = (codec: string) => codec === 'h264' || codec === 'h265';

export class TsToSource {
  readonly demuxer: TsDemuxer;
  /** access units the FLV builders refused (malformed), video before its configuration or first keyframe, audio before that keyframe */
  dropped = 0;
  /** messages written */
  messages = 0;
  /** the tracks seen, e.g. `h264`, `aac` (for logs) */
  readonly codecs = new Set<string>();
  private readonly muxer = new FlvFrameMuxer();
  /** 90 kHz time of the first access unit: the stream's 0 */
  private base: number | undefined;
  private videoStarted = false;
  /** DTS (ms) of the first video keyframe: audio frames before it are dropped, even late ones */
  private videoStart = -Infinity;
  /** messages waiting for the other track, per track, in arrival order */
  private held: Record<'audio' | 'video', FlvMessage[]> = { audio: [], video: [] };
  /** body bytes of the held messages */
  private heldBytes = 0;
  /** the bound on `heldBytes`: past it the earliest held message is written whatever it waits for */
  private readonly maxHeldBytes: number;

  constructor(
    private readonly target: FlvMessageTarget,
    opts?: TsDemuxerOptions,
  ) {
    this.demuxer = new TsDemuxer(opts);
    this.maxHeldBytes = opts?.maxPendingBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  /** Feeds bytes (a datagram); every access unit they complete is written. Never throws on input. */
  push(chunk: Buffer): void {
    for (const au of this.demuxer.push(chunk)) this.unit(au);
  }

  /** The input ended: the access units still held (an unbounded video PES) are written. */
  end(): void {
    for (const au of this.demuxer.end()) this.unit(au);
    this.drain(true);
  }

  /** The publish ended: the held messages and the demuxer's partial PES go at once. */
  release(): void {
    this.held = { audio: [], video: [] };
    this.heldBytes = 0;
    this.demuxer.release();
  }

  /**
   * The input's counts for the API (Stream.tsrs_input): the demuxer's damage counters and the
   * access units refused here, snake_case as SRS's API names fields.
   */
  inputStats(): Record<string, number> {
    const d = this.demuxer.stats;
    return {
      packets: d.packets, resyncs: d.resyncs, skipped_bytes: d.skippedBytes, cc_errors: d.ccErrors,
      transport_errors: d.transportErrors, dropped_pes: d.droppedPes, oversized_pes: d.oversizedPes,
      crc_errors: d.crcErrors, access_units: d.accessUnits, refused_access_units: this.dropped,
    };
  }

  /** Messages held for interleaving (at most 2 x MAX_HELD). */
  get heldMessages(): number {
    return this.held.audio.length + this.held.video.length;
  }

  /** Body bytes of the messages held for interleaving (about maxPendingBytes at most). */
  get heldBodyBytes(): number {
    return this.heldBytes;
  }

  /** A 90 kHz time on the stream's line: from its first access unit, never below 0. */
  private rel(ts90k: number): number {
    this.base ??= ts90k;
    return Math.max(0, ts90k - this.base);
  }

  private unit(au: TsAccessUnit): void {
    this.codecs.add(au.codec);
    let out: FlvMessage[];
    try {
      const dts = this.rel(au.dts);
      const pts = Math.max(dts, this.rel(au.pts));
      out = isVideoCodec(au.codec) ? this.muxer.video(au.codec, au.nalus ?? [], dts, pts) : this.muxer.audio(au.codec, au.data, pts, au.config);
    } catch {
      this.dropped++;
      return;
    }
    for (const m of out) {
      // a player could decode nothing before the first keyframe
      if (m.kind === 'video' && !m.sequenceHeader && !this.videoStarted) {
        if (!m.keyframe) {
          this.dropped++;
          continue;
        }
        this.videoStarted = true;
        this.videoStart = m.dts;
        this.dropAudioBefore(m.dts);
      }
      if (m.kind === 'audio' && !m.sequenceHeader && m.dts < this.videoStart) {
        this.dropped++;
        continue;
      }
      this.held[m.kind].push(m);
      this.heldBytes += m.body.length;
    }
    this.drain(false);
  }

  /** Writes the held messages in DTS order over both tracks; `all`: everything (the input ended). */
  private drain(all: boolean): void {
    const { audio, video } = this.held;
    for (;;) {
      const a = audio[0];
      const v = video[0];
      if (!a && !v) return;
      // a sequence header goes before the other track's frames, whatever its time: outputs
      // (HLS) read the tracks at the first frame, and an RTMP encoder sends both headers first
      const q = a && v ? (a.sequenceHeader !== v.sequenceHeader ? (a.sequenceHeader ? audio : video) : v.dts <= a.dts ? video : audio) : a ? audio : video;
      if (!all && !this.mayWrite(q, q === audio ? video : audio)) return;
      const m = q.shift()!;
      this.heldBytes -= m.body.length;
      this.messages++;
      this.target.write(m.kind, m.dts, m.body);
    }
  }

  /** Whether the head of `q` may be written now rather than wait for the `other` track. */
  private mayWrite(q: FlvMessage[], other: FlvMessage[]): boolean {
    const kind = q[0].kind;
    const span = q[q.length - 1].dts - q[0].dts;
    if (q.length > MAX_HELD || this.heldBytes > this.maxHeldBytes) return true;
    // audio waits for the first video keyframe while the PMT has video
    if (kind === 'audio' && !this.videoStarted && this.hasTrack('video')) return span > MAX_START_WAIT_MS;
    if (other.length > 0) return true; // the other track's head is later
    return span > MAX_INTERLEAVE_MS || !this.hasTrack(kind === 'audio' ? 'video' : 'audio');
  }

  /** Video starts at `dts`: held audio frames before it go (sequence headers stay). */
  private dropAudioBefore(dts: number): void {
    const before = this.held.audio.length;
    this.held.audio = this.held.audio.filter((m) => {
      const keep = m.sequenceHeader || m.dts >= dts;
      if (!keep) this.heldBytes -= m.body.length;
      return keep;
    });
    this.dropped += before - this.held.audio.length;
  }

  private hasTrack(kind: 'audio' | 'video'): boolean {
    return this.demuxer.tracks.some((t) => isVideoCodec(t.codec) === (kind === 'video'));
  }
}
