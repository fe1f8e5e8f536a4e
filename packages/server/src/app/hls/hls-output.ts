import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { HlsView } from '../../config/index.js';
import type { Packet } from '../../kernel/packet.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import { Episode } from '../resource-errors.js';
import type { OutputErrorAction } from '../output-guard.js';
import type { Source, SourceOutput } from '../source.js';
import { joinTemplate, PathEscapeError, renderSafePath, withDirInsideRoot, type SafePath } from '../safe-name.js';
import { removeFile, writeFileAtomic } from './atomic-write.js';
import type { PathVars } from './path-template.js';
import { renderPlaylist, slideWindow, targetDuration, type PlaylistEntry } from './playlist.js';
import { declaredAudio } from '../../kernel/flv-metadata.js';
import { detectTracks, Fmp4SegmentBuilder, TsSegmentBuilder, type HlsTracks, type SegmentBuilder } from './segment-builder.js';

export interface HlsOutputDeps {
  /** the vhost's hls settings, read at each publish (so a reload applies to the next one) */
  config: () => HlsView | undefined;
  utcTime: () => boolean;
  bus: EventBus;
  log: Logger;
  /** all files of the stream are gone and no Source holds this output any more */
  onIdle: (output: HlsOutput) => void;
}

/** A file this output wrote, with the directory it must stay under (see safe-name.ts). */
interface OwnFile {
  file: string;
  root: string;
}

type HlsEntry = PlaylistEntry & { root: string };

interface OpenSegment {
  seq: number;
  startDts: number;
  lastDts: number;
  /** dts step of the last video frame, to time the final segment */
  lastVideoStep: number;
  /** audio frames, for pure-audio timing from samples */
  audioFrames: number;
  /** body bytes of the packets added (hls_max_segment_bytes) */
  bytes: number;
  startedAt: Date;
  discontinuity: boolean;
  /** the publisher was asked for a keyframe to end this segment (once a segment) */
  keyframeAsked: boolean;
}

/**
 * HLS for one stream, hanging on its Source: cuts segments on keyframes once
 * hls_fragment has passed (pure audio: at fragment × hls_aof_ratio, timed from
 * the audio samples), keeps a hls_window-second playlist, deletes old segments
 * (hls_cleanup) and everything hls_dispose seconds after the publisher left.
 *
 * A segment due (hls_fragment passed) without a keyframe asks the publisher for one, once
 * (Source.requestKeyframe: a WebRTC publisher sends its keyframes when asked, a PLI; RTMP
 * publishers cannot be asked).
 *
 * Bounded for a publisher that never sends a keyframe: with video, a segment is
 * also cut at hls_fragment x hls_aof_ratio without one (SRS's absolute overflow),
 * and a segment over hls_max_segment_bytes (constant timestamps) is dropped
 * unwritten; the next one starts at a keyframe, after a discontinuity.
 *
 * The playlist lives from the first publish until hls_dispose: a republish continues its media
 * sequence and marks the join with EXT-X-DISCONTINUITY (as SRS); EXT-X-DISCONTINUITY-SEQUENCE
 * counts the joins that left the window and EXT-X-TARGETDURATION never shrinks (RFC 8216 6.2.1,
 * 6.2.2; SRS recomputes the target from the window, so it can drop back).
 *
 * Media stays in memory for the open segment (references to the muxed
 * buffers); when a segment closes, file work runs on one async queue: segment
 * (temp + rename), then the playlist (temp + rename), then cleanup. So the
 * playlist only ever names complete files and the event loop never blocks.
 *
 * Every path comes from safe-name.ts: rendered from hls_path + the file template with the
 * stream's names, refused when a name is unsafe or the path leaves the directory the
 * template fixes, and checked again (symlinks followed) right before each write or delete.
 * A refused path writes nothing, stops HLS for that publish and is logged.
 */
export class HlsOutput implements SourceOutput {
  readonly name = 'hls';
  private conf: HlsView | undefined;
  private tracks: HlsTracks | undefined;
  private builder: SegmentBuilder | undefined;
  private seg: OpenSegment | undefined;
  /** the open segment was dropped for its size: skip media until a keyframe (audio-only: the next frame) */
  private dropped = false;
  /** a segment was dropped: the next one is marked as a discontinuity */
  private gap = false;
  /** bytes of closed segments waiting on the file queue */
  private writing = 0;
  private mapUri: string | undefined;
  private nextSeq = 0;
  private entries: HlsEntry[] = [];
  /** EXT-X-DISCONTINUITY tags dropped from the playlist's head (EXT-X-DISCONTINUITY-SEQUENCE) */
  private discontinuitySeq = 0;
  /** the EXT-X-TARGETDURATION published so far: it only grows while the playlist lives */
  private target = 0;
  private publishing = false;
  private publishedBefore = false;
  private attached = true;
  private disposeTimer: NodeJS.Timeout | undefined;
  private m3u8File: string | undefined;
  private m3u8Root: string | undefined;
  private initFile: OwnFile | undefined;
  /** a new sequence header changed the encoding: retrack at the next keyframe */
  private retrack = false;
  /** the log said that this stream's audio cannot be carried */
  private audioUnsupportedSaid = false;
  /** init segments of earlier encodings of this publish (fMP4), removed at dispose */
  private oldInits: OwnFile[] = [];
  private initCount = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Failed file work (disk full, out of descriptors): the next segment tries again; logged once a minute. */
  private readonly writeFailures: Episode;

  constructor(
    private source: Source,
    private readonly deps: HlsOutputDeps,
  ) {
    this.writeFailures = new Episode(deps.log, 'hls: file writes failing, the stream goes on without them', 60_000);
  }

  /** A new Source for the same stream (the old one was swept): carry on with its playlist. */
  attach(source: Source): void {
    this.source = source;
    this.attached = true;
  }

  /** Files are being written or kept (the caller must not forget this output). */
  get busy(): boolean {
    return this.publishing || this.disposeTimer !== undefined || this.entries.length > 0;
  }

  /** Resolves when queued file work is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  onPublish(): void {
    if (this.disposeTimer) clearTimeout(this.disposeTimer);
    this.disposeTimer = undefined;
    this.conf = this.deps.config();
    this.publishing = this.conf?.enabled === true;
    this.tracks = this.builder = this.seg = undefined;
    this.dropped = false;
    this.retrack = false;
    this.initCount = 0;
  }

  onPacket(packet: Packet): void {
    if (!this.publishing || packet.kind === 'script') return;
    if (packet.sequenceHeader) {
      // A new encoding mid-publish (another SPS, AAC config): the next segment starts at a
      // keyframe after an EXT-X-DISCONTINUITY (RFC 8216 4.3.2.3); fMP4 also gets a new init.
      if (this.tracks && (changesEncoding(this.tracks, packet) || this.addsTrack(packet))) this.retrack = true;
      this.builder?.add(packet);
      return;
    }
    if (!this.builder && !this.start(packet)) return;
    if (this.retrack && (this.tracks!.video ? packet.kind === 'video' && packet.keyframe : packet.kind === 'audio')) {
      this.retrack = false;
      if (!this.restartTracks(packet)) return;
    }
    const conf = this.conf!;
    const tracks = this.tracks!;
    if (packet.kind === 'audio' && !tracks.audio && !this.retrack && !this.audioUnsupportedSaid) this.sayAudioUnsupported(packet, conf.hls_acodec);
    if (this.dropped) {
      if (tracks.video && !(packet.kind === 'video' && packet.keyframe)) return;
      this.dropped = false;
      this.openSegment(packet, true);
    }
    const seg = this.seg!;
    if (tracks.video) {
      const elapsed = packet.dts - seg.startDts;
      const cut =
        (packet.kind === 'video' && (packet.keyframe || !conf.hls_wait_keyframe) && elapsed >= conf.hls_fragment * 1000) ||
        elapsed >= conf.hls_fragment * conf.hls_aof_ratio * 1000;
      if (cut) {
        this.reap(packet.dts);
        if (!this.publishing) return; // the segment's path was refused
        this.openSegment(packet);
      } else if (!seg.keyframeAsked && elapsed >= conf.hls_fragment * 1000) {
        // due but no keyframe: a publisher that can be asked (WebRTC: a PLI) sends one now,
        // so the segment ends near hls_fragment, not at the overflow cut mid-GOP
        seg.keyframeAsked = true;
        this.source.requestKeyframe?.();
      }
    } else if (this.audioSeconds(seg) >= conf.hls_fragment * conf.hls_aof_ratio) {
      this.reap(packet.dts);
      if (!this.publishing) return;
      this.openSegment(packet);
    }
    this.add(packet);
    if (conf.hls_max_segment_bytes > 0 && this.seg!.bytes > conf.hls_max_segment_bytes) this.dropSegment(packet);
  }

  /**
   * A sequence header for a track the segments do not carry yet, in a codec they can: audio
   * that starts after the video (a WHIP publisher's audio comes out of FFmpeg seconds after the
   * first video frame; an encoder that adds its audio late), or video after audio. The next
   * segment takes both tracks, as for a new encoding (see onPacket).
   */
  private addsTrack(header: Packet): boolean {
    const tracks = this.tracks!;
    const conf = this.conf!;
    if (header.kind === 'audio') {
      const a = header.audioTrack;
      return !tracks.audio && conf.hls_acodec !== 'an' && a?.codec === 'aac' && a.sequenceStart && !a.error;
    }
    if (header.kind === 'video') {
      const c = header.videoTrack?.codec;
      return !tracks.video && conf.hls_vcodec !== 'vn' && (c === 'h264' || c === 'h265');
    }
    return false;
  }

  /**
   * The encoding changed (see onPacket): close the open segment, take the stream's new tracks
   * and open the next segment with a discontinuity. fMP4 writes the new init segment under a new
   * name (init-1.mp4, ...) so that players fetch it; the old one stays for the entries that
   * still point at it and goes at dispose. Returns false when HLS had to stop.
   */
  private restartTracks(packet: Packet): boolean {
    const conf = this.conf!;
    if (this.seg && this.builder?.hasMedia) {
      this.reap(packet.dts);
      if (!this.publishing) return false;
    }
    const tracks = detectTracks(this.source.videoHeader, this.source.audioTrack, packet, {
      vcodec: conf.hls_vcodec,
      acodec: conf.hls_acodec,
    }, declaredAudio(this.source.metadata?.body));
    if (!tracks) return true; // keep what we had
    const before = this.tracks;
    this.tracks = tracks;
    if (!conf.hls_use_fmp4 && (before?.video !== tracks.video || before?.audio !== tracks.audio)) {
      // another set of elementary streams (a track was added): a TS muxer with the new PMT
      this.builder = new TsSegmentBuilder(tracks);
    }
    if (conf.hls_use_fmp4) {
      try {
        this.builder = new Fmp4SegmentBuilder(tracks);
      } catch (err) {
        this.deps.log.warn({ url: this.source.url, err: String(err) }, 'hls: cannot segment the new encoding');
        this.publishing = false;
        this.tracks = this.builder = this.seg = undefined;
        return false;
      }
      const init = this.builder.initSegment!;
      const rendered = this.render(conf.hls_init_file);
      if (!rendered.ok) {
        this.refuse(rendered.reason);
        return false;
      }
      this.initCount++;
      const own = { file: rendered.path.replace(/(\.[^./]*)?$/, `-${this.initCount}$1`), root: rendered.root };
      if (this.initFile) this.oldInits.push(this.initFile);
      this.initFile = own;
      this.mapUri = this.uriOf(own.file);
      this.enqueue(() => this.write(own, [init]));
    }
    this.openSegment(packet, true);
    return true;
  }

  /** The open segment will not be written: its number goes to the next one, after a discontinuity. */
  private skipSegment(seg: OpenSegment): void {
    this.nextSeq = seg.seq;
    this.gap = true;
  }

  /** hls_max_segment_bytes: forget the open segment unwritten and wait for a keyframe. */
  private dropSegment(packet: Packet): void {
    const seg = this.seg!;
    this.builder!.discard();
    this.dropped = true;
    this.skipSegment(seg);
    this.source.onLimit?.({
      source: this.source,
      what: 'hls',
      directive: 'hls_max_segment_bytes',
      detail: {
        max_bytes: this.conf!.hls_max_segment_bytes,
        segment_bytes: seg.bytes,
        span_ms: packet.dts - seg.startDts,
        action: 'segment dropped, waiting for a keyframe',
      },
    });
  }

  onUnpublish(): void {
    if (!this.publishing) return;
    if (this.seg && this.builder?.hasMedia) this.reap(undefined);
    this.publishing = false;
    this.publishedBefore = true;
    this.tracks = this.builder = this.seg = undefined;
    const dispose = this.conf?.hls_dispose ?? 0;
    if (dispose > 0) this.disposeTimer = setTimeout(() => this.dispose(), dispose * 1000).unref();
  }

  /**
   * What the Source's guard does when this output throws, by hls_on_error (SRS: `continue`
   * ignores the failure and goes on writing HLS, `ignore` disables HLS, `disconnect` requires
   * the encoder to republish): continue reopens (the open segment is closed, the next starts at
   * a keyframe after a discontinuity), ignore detaches HLS until the next publish, disconnect
   * detaches it and kicks the publisher.
   */
  onError(): OutputErrorAction {
    const policy = (this.conf ?? this.deps.config())?.hls_on_error ?? 'continue';
    return policy === 'ignore' ? 'detach' : policy === 'disconnect' ? 'disconnect' : 'reopen';
  }

  close(): void {
    this.attached = false;
    if (!this.busy) this.deps.onIdle(this);
  }

  /**
   * The stream has audio that this HLS cannot carry (G.711, Speex, Nellymoser, PCM, ...): said
   * once per stream, so the audio is not dropped silently. hls_acodec an turns audio off on purpose.
   */
  private sayAudioUnsupported(packet: Packet, acodec: string): void {
    const at = packet.audioTrack;
    if (acodec === 'an' || !at || at.error || at.codec === 'aac') return;
    this.audioUnsupportedSaid = true;
    this.deps.log.warn({ url: this.source.url, audio: at.codec }, `hls: audio codec ${at.codec} cannot be carried in HLS; the segments have video only`);
  }

  private start(first: Packet): boolean {
    const conf = this.conf!;
    const tracks = detectTracks(this.source.videoHeader, this.source.audioTrack, first, {
      vcodec: conf.hls_vcodec,
      acodec: conf.hls_acodec,
    }, declaredAudio(this.source.metadata?.body));
    if (!tracks) return false;
    // with video, a segment must start with a keyframe to decode on its own
    if (tracks.video && !(first.kind === 'video' && first.keyframe)) return false;
    if (!tracks.video && first.kind !== 'audio') return false;
    try {
      this.builder = conf.hls_use_fmp4 ? new Fmp4SegmentBuilder(tracks) : new TsSegmentBuilder(tracks);
    } catch (err) {
      this.deps.log.warn({ url: this.source.url, err: String(err) }, 'hls: cannot segment this stream');
      this.publishing = false;
      return false;
    }
    const m3u8 = this.render(conf.hls_m3u8_file);
    const init = this.builder.initSegment;
    const initPath = init ? this.render(conf.hls_init_file) : undefined;
    if (!m3u8.ok || (initPath && !initPath.ok)) {
      this.refuse(!m3u8.ok ? m3u8.reason : initPath && !initPath.ok ? initPath.reason : '');
      return false;
    }
    this.tracks = tracks;
    this.m3u8File = m3u8.path;
    this.m3u8Root = m3u8.root;
    if (init && initPath?.ok) {
      const own = { file: initPath.path, root: initPath.root };
      this.initFile = own;
      this.mapUri = this.uriOf(own.file);
      this.enqueue(() => this.write(own, [init]));
    } else this.mapUri = undefined;
    this.openSegment(first, this.publishedBefore || this.entries.length > 0);
    return true;
  }

  private openSegment(first: Packet, discontinuity = false): void {
    this.seg = {
      seq: this.nextSeq++,
      startDts: first.dts,
      lastDts: first.dts,
      lastVideoStep: 0,
      audioFrames: 0,
      bytes: 0,
      startedAt: new Date(),
      discontinuity: discontinuity || this.gap,
      keyframeAsked: false,
    };
    this.gap = false;
    this.builder!.begin();
  }

  private add(packet: Packet): void {
    const seg = this.seg!;
    if (packet.kind === 'video' && packet.dts > seg.lastDts) seg.lastVideoStep = packet.dts - seg.lastDts;
    if (packet.dts > seg.lastDts) seg.lastDts = packet.dts;
    if (packet.kind === 'audio' && this.tracks!.audio) seg.audioFrames++;
    seg.bytes += packet.body.length;
    this.builder!.add(packet);
  }

  private audioSeconds(seg: OpenSegment): number {
    const t = this.tracks!;
    return (seg.audioFrames * t.samplesPerFrame) / t.sampleRate;
  }

  /** A file path from hls_path + a template with this stream's names (see safe-name.ts). */
  private render(template: string, extra: Partial<PathVars> = {}): SafePath {
    return renderSafePath(joinTemplate(this.conf!.hls_path, template), this.vars(extra));
  }

  /** A path was refused: no HLS for this publish. */
  private refuse(reason: string): void {
    this.deps.log.warn({ url: this.source.url, reason }, 'hls: unsafe path, not writing HLS for this stream');
    this.publishing = false;
    this.tracks = this.builder = this.seg = undefined;
  }

  /** Writes a file after checking (symlinks followed) that it lands under its root. */
  private async write(f: OwnFile, data: readonly Buffer[] | string): Promise<void> {
    await writeFileAtomic(f.file, data, f.root);
  }

  /** Deletes a file this output wrote, unless its path now leads outside its root (deleted inside its directory as opened and checked). */
  private async remove(f: OwnFile): Promise<void> {
    try {
      await withDirInsideRoot(f.root, dirname(f.file), (at) => removeFile(at(basename(f.file))));
    } catch (err) {
      // its directory is gone (an operator's rm): so is the file
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (!(err instanceof PathEscapeError)) throw err;
      this.deps.log.warn({ url: this.source.url, file: f.file, reason: err.message }, 'hls: not deleting a file outside its directory');
    }
  }

  private vars(extra: Partial<PathVars> = {}): PathVars {
    const s = this.source;
    return { vhost: s.vhost, app: s.app, stream: s.stream, utc: this.deps.utcTime(), ...extra };
  }

  /** A segment URI as the playlist writes it: relative to the m3u8, after hls_entry_prefix. */
  private uriOf(file: string): string {
    const rel = relative(dirname(this.m3u8File!), file).split(sep).join('/');
    const prefix = this.conf!.hls_entry_prefix;
    if (!prefix) return rel;
    return prefix.endsWith('/') ? prefix + rel : `${prefix}/${rel}`;
  }

  /** Close the open segment; `endDts` is where the next one starts (undefined at unpublish). */
  private reap(endDts: number | undefined): void {
    const seg = this.seg!;
    const conf = this.conf!;
    const builder = this.builder!;
    if (!builder.hasMedia) return;
    let duration: number;
    if (!this.tracks!.video) duration = this.audioSeconds(seg);
    else duration = ((endDts ?? seg.lastDts + seg.lastVideoStep) - seg.startDts) / 1000;
    if (!(duration > 0)) duration = 0.001;
    const data = builder.finish();
    const size = data.reduce((n, b) => n + b.length, 0);
    const max = conf.hls_max_segment_bytes;
    if (max > 0 && this.writing > 0 && this.writing + size > max) {
      // the disk is behind: hold at most hls_max_segment_bytes for it (and always one segment)
      this.skipSegment(seg);
      this.source.onLimit?.({
        source: this.source,
        what: 'hls',
        directive: 'hls_max_segment_bytes',
        detail: { max_bytes: max, writing_bytes: this.writing, segment_bytes: size, action: 'segment dropped, the disk is behind' },
      });
      return;
    }
    const timestamp = conf.hls_ts_floor ? Math.floor(seg.startedAt.getTime() / (conf.hls_fragment * 1000)) : undefined;
    const template = conf.hls_use_fmp4 ? conf.hls_fmp4_file : conf.hls_ts_file;
    const rendered = this.render(template, { seq: seg.seq, time: seg.startedAt, duration, timestamp });
    if (!rendered.ok) {
      this.refuse(rendered.reason);
      return;
    }
    this.writing += size;
    const file = rendered.path;
    const m3u8: OwnFile = { file: this.m3u8File!, root: this.m3u8Root! };
    const entry: HlsEntry = {
      seq: seg.seq,
      duration,
      uri: this.uriOf(file),
      file,
      root: rendered.root,
      discontinuity: seg.discontinuity,
      map: this.mapUri,
    };
    const minTarget = conf.hls_fragment * conf.hls_td_ratio;
    const version = conf.hls_use_fmp4 ? 7 : 3;
    const windowSeconds = conf.hls_window;
    const cleanup = conf.hls_cleanup;
    const m3u8Url = relative(resolve(conf.hls_path), m3u8.file).split(sep).join('/');
    const source = this.source;
    this.enqueue(async () => {
      try {
        await this.write(entry, data);
      } finally {
        this.writing -= size;
      }
      this.entries.push(entry);
      const dropped = slideWindow(this.entries, windowSeconds);
      this.discontinuitySeq += dropped.filter((d) => d.discontinuity).length;
      this.target = targetDuration(this.entries, Math.max(minTarget, this.target));
      const text = renderPlaylist(this.entries, { minTargetDuration: this.target, version, discontinuitySequence: this.discontinuitySeq });
      await this.write(m3u8, text);
      if (cleanup) for (const d of dropped) await this.remove(d);
      this.deps.bus.emit('hls:segment', { source, file, duration, url: entry.uri, m3u8: m3u8.file, m3u8Url, seqNo: entry.seq });
    });
  }

  /** hls_dispose: the publisher did not come back; remove the playlist and its segments. */
  private dispose(): void {
    this.disposeTimer = undefined;
    if (this.publishing) return;
    const m3u8 = this.m3u8File;
    const m3u8Root = this.m3u8Root;
    const inits = [...this.oldInits.splice(0), ...(this.initFile ? [this.initFile] : [])];
    this.enqueue(async () => {
      const entries = this.entries.splice(0);
      this.discontinuitySeq = 0;
      this.target = 0;
      for (const e of entries) await this.remove(e);
      if (m3u8 && m3u8Root) await this.remove({ file: m3u8, root: m3u8Root });
      for (const init of inits) await this.remove(init);
      this.deps.log.info({ url: this.source.url, files: entries.length }, 'hls disposed');
      if (!this.attached && !this.busy) this.deps.onIdle(this);
    });
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err: unknown) => {
      if (err instanceof PathEscapeError) this.deps.log.warn({ url: this.source.url, reason: err.message }, 'hls: path outside its directory, not written');
      else {
        this.writeFailures.hit({ url: this.source.url, err: String(err) });
        // hls_on_error applies to file errors too (SRS: errors of HLS writing); counted in tsrs_errors
        if (this.publishing) this.source.guard.ioFailed(this, err, this.onError());
      }
    });
  }
}

/** Whether a sequence header describes another encoding than the one being segmented. */
function changesEncoding(tracks: HlsTracks, header: Packet): boolean {
  const current = header.kind === 'video' ? tracks.videoHeader : header.kind === 'audio' ? tracks.audioHeader : undefined;
  // a repeated identical header (encoders resend them) changes nothing; a first one for a track
  // the segments do not carry is left for the next publish
  return current !== undefined && current.sequenceHeader && !current.body.equals(header.body);
}
