import type { Packet } from '../../kernel/packet.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import type { Source } from '../source.js';
import type { DvrFormat } from './dvr-path.js';
import { createEncoder, type DvrEncoder, type DvrHeaders, type Emit } from './encoders.js';
import { FileSink } from './file-sink.js';

/**
 * Where recordings are booked (the history store, structurally: the app does
 * not import the database). Calls must return at once; the store batches.
 */
export interface RecordingLog {
  recordingStarted(r: { id?: string; vhost: string; app: string; stream: string; path: string; format: DvrFormat; at?: number }): Promise<string>;
  recordingUpdated(id: string, p: { size: number; durationMs: number }): void;
  recordingEnded(id: string, e: { at?: number; size: number; durationMs: number; complete: boolean }): void;
}

export interface DvrFileDeps {
  bus: EventBus;
  log: Logger;
  recordings: () => RecordingLog | undefined;
  /** dvr_max_pending_bytes of the stream's vhost (0: no bound), read when a file opens */
  maxPendingBytes?: (source: Source) => number;
}

/** How often the recordings row learns the file's size and duration (in media time). */
const ROW_UPDATE_MS = 2000;

/** One file being recorded: encoder -> sink, plus its recordings row and the on_dvr event. */
export class DvrFile {
  readonly startedAt = Date.now();
  private readonly sink: FileSink;
  private readonly encoder: DvrEncoder;
  private lastDts: number;
  private lastRowDts: number;
  private closed = false;
  /** the log said that this file leaves the stream's audio out */
  private droppedAudioSaid = false;
  private readonly emit: Emit;

  constructor(
    readonly id: string,
    readonly path: string,
    readonly format: DvrFormat,
    private readonly source: Source,
    /** dts of the file's first frame (its time 0) */
    readonly startDts: number,
    headers: DvrHeaders,
    private readonly deps: DvrFileDeps,
    /** the directory the file must resolve under (symlinks followed), see safe-name.ts */
    root?: string,
  ) {
    this.lastDts = this.lastRowDts = startDts;
    this.sink = new FileSink(
      path,
      (err) => deps.log.warn({ url: source.url, file: path, err: String(err) }, 'dvr: write failed'),
      deps.maxPendingBytes?.(source) ?? 0,
      root,
    );
    this.emit = (b) => this.sink.append(b);
    this.encoder = createEncoder(format, startDts);
    this.encoder.begin(headers, this.emit);
    const { vhost, app, stream } = source;
    // Booked once the file exists: a path refused by the root check leaves no row behind.
    this.opened = this.sink.opened.then((ok) => {
      if (!ok) return false;
      deps.recordings()?.recordingStarted({ id, vhost, app, stream, path, format, at: this.startedAt })
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'dvr: recording row not written'));
      return true;
    });
    deps.log.info({ url: source.url, file: path, id }, 'dvr: recording');
  }

  /** true once the file is open and booked; false when it could not be created */
  readonly opened: Promise<boolean>;

  /** media time in the file so far, ms */
  get durationMs(): number {
    return this.lastDts - this.startDts;
  }

  get size(): number {
    return this.sink.bytes;
  }

  write(p: Packet): void {
    this.encoder.write(p, this.emit);
    if (this.encoder.droppedAudio && !this.droppedAudioSaid) {
      this.droppedAudioSaid = true;
      this.deps.log.warn({ url: this.source.url, file: this.path, audio: this.encoder.droppedAudio }, `dvr: audio codec ${this.encoder.droppedAudio} cannot be carried in ${this.format.toUpperCase()}; the file has video only`);
    }
    if (p.dts > this.lastDts) this.lastDts = p.dts;
    if (this.lastDts - this.lastRowDts >= ROW_UPDATE_MS && !this.sink.error) {
      this.lastRowDts = this.lastDts;
      this.deps.recordings()?.recordingUpdated(this.id, { size: this.sink.bytes, durationMs: this.durationMs });
    }
  }

  /** Finish the file; the row is closed and on_dvr fires once the bytes are on disk. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const patches = this.encoder.end(this.emit, { durationMs: this.durationMs, size: () => this.sink.bytes });
    const source = this.source;
    return Promise.all([this.sink.end(patches), this.opened]).then(([, opened]) => {
      if (!opened) return;
      const size = this.sink.bytes;
      const durationMs = this.durationMs;
      const complete = !this.sink.error;
      this.deps.recordings()?.recordingEnded(this.id, { at: Date.now(), size, durationMs, complete });
      this.deps.log.info({ url: source.url, file: this.path, size, durationMs }, 'dvr: file closed');
      this.deps.bus.emit('dvr:file', {
        source,
        file: this.path,
        duration: durationMs / 1000,
        format: this.format,
        size,
        startedAt: this.startedAt,
        complete,
      });
    });
  }
}
