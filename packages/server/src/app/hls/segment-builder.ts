import { Fmp4Writer, type Fmp4AudioTrack } from '../../kernel/fmp4.js';
import type { DeclaredAudio } from '../../kernel/flv-metadata.js';
import { TsMuxer, type TsAudioCodec, type TsVideoCodec } from '../../kernel/mpegts.js';
import type { Packet } from '../../kernel/packet.js';

/** The tracks an HLS stream carries, known once the first frame arrives. */
export interface HlsTracks {
  video: TsVideoCodec | undefined;
  audio: TsAudioCodec | undefined;
  videoHeader: Packet | undefined;
  /** the AAC sequence header, or the first MP3 frame (it describes the stream) */
  audioHeader: Packet | undefined;
  /** MP3 known only from onMetaData (no frame yet): what the fMP4 init segment says of it */
  declaredAudio: Fmp4AudioTrack | undefined;
  /** audio samples per frame (AAC 1024, MP3 1152) and the rate, for pure-audio timing */
  samplesPerFrame: number;
  sampleRate: number;
}

/**
 * Builds one segment at a time from packets. The builder keeps references to
 * the packets' buffers (TS: one muxed Buffer per PES; fMP4: the packets) and
 * hands them over when the segment is reaped, so a segment is written once.
 */
export interface SegmentBuilder {
  readonly extension: 'ts' | 'm4s';
  /** fMP4 init segment (ftyp+moov); undefined for TS */
  readonly initSegment: Buffer | undefined;
  begin(): void;
  add(packet: Packet): void;
  /** true when the current segment has media */
  readonly hasMedia: boolean;
  /** the current segment's bytes, in order */
  finish(): Buffer[];
  /** forget the current segment's media without encoding it (a segment over its byte bound) */
  discard(): void;
}

export class TsSegmentBuilder implements SegmentBuilder {
  readonly extension = 'ts';
  readonly initSegment = undefined;
  private readonly muxer: TsMuxer;
  private chunks: Buffer[] = [];
  private media = false;

  constructor(tracks: HlsTracks) {
    this.muxer = new TsMuxer({ video: tracks.video, audio: tracks.audio });
    if (tracks.video && tracks.videoHeader) this.safeMux(tracks.videoHeader);
    if (tracks.audio === 'aac' && tracks.audioHeader) this.safeMux(tracks.audioHeader);
  }

  get hasMedia(): boolean {
    return this.media;
  }

  begin(): void {
    // every segment starts with PAT/PMT so it decodes on its own
    this.chunks = [this.muxer.writeTables()];
    this.media = false;
  }

  add(packet: Packet): void {
    const out = this.safeMux(packet);
    if (out.length === 0) return;
    this.media = true;
    for (const b of out) this.chunks.push(b);
  }

  finish(): Buffer[] {
    for (const b of this.muxer.flush()) this.chunks.push(b);
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  discard(): void {
    this.muxer.flush();
    this.chunks = [];
    this.media = false;
  }

  private safeMux(p: Packet): Buffer[] {
    try {
      return this.muxer.mux(p);
    } catch {
      return []; // a frame in a codec this stream was not set up for
    }
  }
}

export class Fmp4SegmentBuilder implements SegmentBuilder {
  readonly extension = 'm4s';
  readonly initSegment: Buffer;
  private readonly writer = new Fmp4Writer();
  private packets: Packet[] = [];

  constructor(tracks: HlsTracks) {
    this.initSegment = this.writer.init(
      tracks.video ? tracks.videoHeader : undefined,
      tracks.audio ? (tracks.audioHeader ?? tracks.declaredAudio) : undefined,
    );
  }

  get hasMedia(): boolean {
    return this.packets.length > 0;
  }

  begin(): void {
    this.packets = [];
  }

  add(packet: Packet): void {
    if (packet.sequenceHeader || packet.kind === 'script') return;
    this.packets.push(packet);
  }

  discard(): void {
    this.packets = [];
  }

  finish(): Buffer[] {
    const packets = this.packets;
    this.packets = [];
    try {
      return [this.writer.fragment(packets)];
    } catch {
      return [];
    }
  }
}

/**
 * Which tracks to segment: the stream's codecs, minus what hls_vcodec vn /
 * hls_acodec an turn off. Undefined when nothing usable is known yet.
 * `audioHeader` is the packet that describes the audio (Source.audioTrack); when no audio frame
 * came yet, an MP3 track that the onMetaData declares (`declared`) is taken, since MP3 has no
 * sequence header to wait for.
 */
export function detectTracks(
  videoHeader: Packet | undefined,
  audioHeader: Packet | undefined,
  first: Packet,
  opts: { vcodec: string; acodec: string },
  declared?: DeclaredAudio,
): HlsTracks | undefined {
  let video: TsVideoCodec | undefined;
  let audio: TsAudioCodec | undefined;
  const vh = videoHeader ?? (first.kind === 'video' ? first : undefined);
  if (vh && opts.vcodec !== 'vn') {
    const c = vh.video?.codec;
    if (c === 'h264' || c === 'h265') video = c;
  }
  let ah = audioHeader;
  let samplesPerFrame = 1024;
  let sampleRate = 44100;
  if (!ah && first.kind === 'audio') ah = first;
  const at = ah?.audioTrack;
  if (at && !at.error && opts.acodec !== 'an') {
    if (at.codec === 'aac' && at.sequenceStart) {
      audio = 'aac';
      sampleRate = at.aac!.sampleRate || sampleRate;
    } else if (at.codec === 'mp3') {
      audio = 'mp3';
      samplesPerFrame = at.samplesPerFrame;
      sampleRate = at.sampleRate;
    }
  }
  let declaredTrack: Fmp4AudioTrack | undefined;
  if (!audio && !ah && declared?.codecId === 2 && opts.acodec !== 'an') {
    audio = 'mp3';
    samplesPerFrame = 1152;
    sampleRate = declared.sampleRate ?? sampleRate;
    declaredTrack = { codec: 'mp3', asc: undefined, sampleRate, channels: declared.channels ?? 2 };
  }
  if (!video && !audio) return undefined;
  return {
    video, audio, videoHeader: video ? vh : undefined, audioHeader: audio ? ah : undefined, declaredAudio: declaredTrack,
    samplesPerFrame, sampleRate,
  };
}
