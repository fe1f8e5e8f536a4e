import { ecmaArray, encodeAmf0, type Amf0Object } from '../../kernel/amf0.js';
import { encodeFlvHeader, flvTagOf, FLV_TAG_HEADER_SIZE, FlvTagType, writeFlvTagHeader } from '../../kernel/flv.js';
import { audioTrackFromPacket, Fmp4Writer, type Fmp4AudioTrack, type Fmp4Sample } from '../../kernel/fmp4.js';
import { declaredAudio, metadataFields } from '../../kernel/flv-metadata.js';
import type { Packet } from '../../kernel/packet.js';
import type { DvrFormat } from './dvr-path.js';

export type Emit = (buf: Buffer) => void;

/** Bytes to overwrite in place once the file is complete (FLV duration/filesize). */
export interface Patch {
  offset: number;
  data: Buffer;
}

/** What a file starts with: the stream's metadata and sequence headers, known at open. */
export interface DvrHeaders {
  metadata: Packet | undefined;
  videoHeader: Packet | undefined;
  audioHeader: Packet | undefined;
  /** what describes the audio track when it has no sequence header (MP3: a frame; Source.audioTrack) */
  audioTrack?: Packet | undefined;
}

/**
 * Turns a stream's packets into one file's bytes. Timestamps are rebased so
 * each file starts at 0 (`base` is the dts of the file's first frame).
 */
export interface DvrEncoder {
  begin(headers: DvrHeaders, emit: Emit): void;
  write(packet: Packet, emit: Emit): void;
  /** the last bytes; patches to apply once everything is written (`size`: the file's final size) */
  end(emit: Emit, final: { durationMs: number; size: () => number }): Patch[];
  /** an audio codec the stream has and this format cannot carry (seen in write), once known */
  readonly droppedAudio?: string;
}

export function createEncoder(format: DvrFormat, base: number): DvrEncoder {
  return format === 'mp4' ? new Mp4Encoder(base) : new FlvEncoder(base);
}

const TYPE = { audio: FlvTagType.Audio, video: FlvTagType.Video, script: FlvTagType.Script } as const;

/**
 * FLV: header, then tags. Each packet's cached tag is shared with HTTP-FLV
 * players; when the file's timestamps differ from the stream's, only a fresh
 * 11-byte header is made and the cached body + PreviousTagSize is reused.
 */
export class FlvEncoder implements DvrEncoder {
  /** file offsets of the metadata's duration and filesize numbers */
  private durationAt = -1;
  private filesizeAt = -1;

  constructor(private readonly base: number) {}

  begin(h: DvrHeaders, emit: Emit): void {
    const hasVideo = h.videoHeader !== undefined;
    const hasAudio = h.audioHeader !== undefined || h.audioTrack !== undefined || declaredAudio(h.metadata?.body) !== undefined;
    // Unknown tracks: claim both, readers probe the tags anyway.
    const header = hasVideo || hasAudio ? encodeFlvHeader(hasAudio, hasVideo) : encodeFlvHeader();
    emit(header);
    const meta = h.metadata && fileMetadata(h.metadata.body);
    if (meta) {
      const tag = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE + meta.body.length + 4);
      writeFlvTagHeader(tag, 0, FlvTagType.Script, 0, meta.body.length);
      meta.body.copy(tag, FLV_TAG_HEADER_SIZE);
      tag.writeUInt32BE(FLV_TAG_HEADER_SIZE + meta.body.length, FLV_TAG_HEADER_SIZE + meta.body.length);
      emit(tag);
      this.durationAt = header.length + FLV_TAG_HEADER_SIZE + meta.durationAt;
      this.filesizeAt = header.length + FLV_TAG_HEADER_SIZE + meta.filesizeAt;
    }
    if (h.videoHeader) this.tag(h.videoHeader, 0, emit);
    if (h.audioHeader) this.tag(h.audioHeader, 0, emit);
  }

  write(p: Packet, emit: Emit): void {
    // Later metadata from the publisher would carry its own duration: the file keeps the first.
    if (p.kind === 'script') return;
    this.tag(p, p.dts > this.base ? p.dts - this.base : 0, emit);
  }

  /** SRS does the same: the metadata's duration and filesize are filled in at close. */
  end(_emit: Emit, final: { durationMs: number; size: () => number }): Patch[] {
    if (this.durationAt < 0) return [];
    const num = (v: number) => {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v, 0);
      return b;
    };
    return [
      { offset: this.durationAt, data: num(final.durationMs / 1000) },
      { offset: this.filesizeAt, data: num(final.size()) },
    ];
  }

  private tag(p: Packet, ts: number, emit: Emit): void {
    const tag = flvTagOf(p);
    if (ts === p.dts) {
      emit(tag);
      return;
    }
    const head = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE);
    writeFlvTagHeader(head, 0, TYPE[p.kind], ts, p.body.length);
    emit(head);
    emit(tag.subarray(FLV_TAG_HEADER_SIZE));
  }
}

/** Sentinels located after encoding, so the numbers can be patched in place. */
const DURATION_MARK = 1.2345e-300;
const FILESIZE_MARK = 2.3456e-300;

/**
 * The publisher's onMetaData for a file: its fields, with `duration` and
 * `filesize` (what the publisher said is about the whole stream) set to
 * placeholders whose offsets in the body are returned.
 */
function fileMetadata(body: Buffer): { body: Buffer; durationAt: number; filesizeAt: number } | undefined {
  const obj = metadataFields(body);
  if (!obj) return undefined;
  const fields: Amf0Object = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'duration' && k !== 'filesize') fields[k] = v;
  fields.duration = DURATION_MARK;
  fields.filesize = FILESIZE_MARK;
  const out = encodeAmf0('onMetaData', ecmaArray(fields));
  const at = (v: number) => {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(v, 0);
    return out.indexOf(b);
  };
  const durationAt = at(DURATION_MARK);
  const filesizeAt = at(FILESIZE_MARK);
  if (durationAt < 0 || filesizeAt < 0) return undefined;
  out.writeDoubleBE(0, durationAt);
  out.writeDoubleBE(0, filesizeAt);
  return { body: out, durationAt, filesizeAt };
}

/** A fragment is cut once it spans this long, so a crash loses about this much. */
const FRAGMENT_MS = 1000;
/** ... or once its samples hold this many bytes (timestamps that do not advance, huge frames). */
export const FRAGMENT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Fragmented MP4: the init segment (ftyp+moov) at start, then a moof+mdat
 * about every second, each starting at a keyframe when the GOP allows. A file
 * cut short by a crash plays up to its last whole fragment.
 */
export class Mp4Encoder implements DvrEncoder {
  private readonly writer = new Fmp4Writer();
  private hasVideo = false;
  private hasAudio = false;
  private audioRate = 44100;
  private audioCodec: 'aac' | 'mp3' = 'aac';
  private video: Fmp4Sample[] = [];
  private audio: Fmp4Sample[] = [];
  /** sample bytes in video + audio */
  private bytes = 0;
  private fragStart = -1;
  /** set when the stream cannot be written as MP4 (nothing more is emitted) */
  failed: string | undefined;
  droppedAudio: string | undefined;

  constructor(private readonly base: number) {}

  begin(h: DvrHeaders, emit: Emit): void {
    // MP4 needs a described track: AAC by its sequence header, MP3 ('mp4a' 0x6B) by a frame or,
    // before the first frame, by what onMetaData declares. Other codecs are left out.
    const audio = mp4AudioTrack(h);
    try {
      emit(this.writer.init(h.videoHeader, audio));
    } catch (err) {
      this.failed = String(err);
      return;
    }
    this.hasVideo = h.videoHeader !== undefined;
    this.hasAudio = audio !== undefined;
    if (audio) {
      const track = 'codec' in audio ? audio : audioTrackFromPacket(audio);
      this.audioRate = track.sampleRate;
      this.audioCodec = track.codec;
    }
  }

  write(p: Packet, emit: Emit): void {
    if (this.failed || p.sequenceHeader || p.kind === 'script') return;
    const t = p.dts > this.base ? p.dts - this.base : 0;
    // Cut on the track that paces the file: video when there is video.
    if (this.fragStart >= 0 && t - this.fragStart >= FRAGMENT_MS && (this.hasVideo ? p.kind === 'video' : true)) this.flush(emit);
    if (p.kind === 'video' && this.hasVideo) {
      const f = p.frame;
      if (!f) return;
      this.video.push({ data: f.data, dts: t * 90, cts: Math.round((f.pts - f.dts) * 90), keyframe: f.keyframe });
      this.bytes += f.data.length;
    } else if (p.kind === 'audio' && !this.hasAudio) {
      // MP4 here carries AAC and MP3 only: G.711, Speex, Nellymoser, PCM... are left out, and said
      const c = p.audioTrack?.codec;
      if (c && c !== 'aac' && c !== 'mp3' && !p.audioTrack?.error) this.droppedAudio = c;
      return;
    } else if (p.kind === 'audio' && this.hasAudio) {
      const f = p.frame;
      if (f?.codec !== this.audioCodec) return;
      this.audio.push({ data: f.data, dts: Math.round((t * this.audioRate) / 1000), cts: 0, keyframe: true });
      this.bytes += f.data.length;
    } else return;
    if (this.fragStart < 0) this.fragStart = t;
    if (this.bytes >= FRAGMENT_MAX_BYTES) this.flush(emit);
  }

  end(emit: Emit): Patch[] {
    this.flush(emit);
    return [];
  }

  private flush(emit: Emit): void {
    if (this.video.length === 0 && this.audio.length === 0) return;
    const v = this.video;
    const a = this.audio;
    this.video = [];
    this.audio = [];
    this.bytes = 0;
    this.fragStart = -1;
    emit(this.writer.fragmentSamples(v, a));
  }
}

/** The MP4 audio track of a file: an AAC sequence header, an MP3 frame, or MP3 declared by onMetaData. */
function mp4AudioTrack(h: DvrHeaders): Packet | Fmp4AudioTrack | undefined {
  for (const p of [h.audioHeader, h.audioTrack]) {
    const t = p?.audioTrack;
    if (t && !t.error && ((t.codec === 'aac' && t.sequenceStart) || t.codec === 'mp3')) return p;
  }
  const declared = declaredAudio(h.metadata?.body);
  if (declared?.codecId === 2) return { codec: 'mp3', asc: undefined, sampleRate: declared.sampleRate ?? 44100, channels: declared.channels ?? 2 };
  return undefined;
}
