import { randomUUID } from 'node:crypto';
import type { Packet } from '../../kernel/packet.js';
import type { Source, SourceOutput } from '../source.js';
import { DvrFile, type DvrFileDeps } from './dvr-file.js';
import { renderDvrPath, type DvrFormat } from './dvr-path.js';

/** How one recording runs: SRS's dvr settings, resolved. */
export interface DvrPlan {
  plan: 'session' | 'segment';
  /** dvr_path after SRS's directory rule (ends in .flv or .mp4) */
  template: string;
  format: DvrFormat;
  durationMs: number;
  waitKeyframe: boolean;
  /** started through the API rather than by the vhost's config */
  byApi: boolean;
}

export interface DvrOutputDeps extends DvrFileDeps {
  /** the plan the vhost's config asks for on this stream, read at each publish */
  configPlan: (source: Source) => DvrPlan | undefined;
  utcTime: () => boolean;
  /** the Source is gone */
  onClose: (output: DvrOutput) => void;
}

/**
 * DVR for one stream, hanging on its Source. Idle (one property check per
 * packet) until a plan is set, by the config at publish or by the API. A file
 * opens at a keyframe (audio-only: any frame); the segment plan reaps it after
 * dvr_duration, at a keyframe when dvr_wait_keyframe. Unpublish ends the file
 * and the plan: an API recording lasts one publish session.
 */
export class DvrOutput implements SourceOutput {
  readonly name = 'dvr';
  private plan: DvrPlan | undefined;
  private file: DvrFile | undefined;
  /** the id the next file gets (so the API can answer it before the keyframe comes) */
  private nextId: string | undefined;
  private readonly closing = new Set<Promise<void>>();

  constructor(
    readonly source: Source,
    private readonly deps: DvrOutputDeps,
  ) {}

  get recording(): boolean {
    return this.plan !== undefined;
  }

  get byApi(): boolean {
    return this.plan?.byApi ?? false;
  }

  get format(): DvrFormat | undefined {
    return this.plan?.format;
  }

  /** the open file, or the id it will have */
  get current(): { id: string; file: DvrFile | undefined } | undefined {
    if (this.file) return { id: this.file.id, file: this.file };
    return this.nextId ? { id: this.nextId, file: undefined } : undefined;
  }

  /** Start recording (no-op when already recording); returns the recording's id. */
  start(plan: DvrPlan): string {
    if (!this.plan) {
      this.plan = plan;
      this.nextId = randomUUID();
    }
    return this.current!.id;
  }

  /** Stop recording; the file is closed. Returns the id that was recording, if any. */
  stop(): string | undefined {
    const id = this.current?.id;
    this.plan = this.nextId = undefined;
    this.reap();
    return id;
  }

  /** Resolves when every closed file is on disk and booked. */
  async idle(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  onPublish(): void {
    if (this.plan) return;
    const plan = this.deps.configPlan(this.source);
    if (plan) this.start(plan);
  }

  onPacket(p: Packet): void {
    const plan = this.plan;
    if (!plan) return;
    let file = this.file;
    if (p.kind === 'script' || p.sequenceHeader) {
      file?.write(p);
      return;
    }
    const hasVideo = this.source.videoHeader !== undefined;
    // the track that paces files: video when there is video
    const paces = hasVideo ? p.kind === 'video' : p.kind === 'audio';
    if (!file) {
      if (!paces || (hasVideo && !p.keyframe)) return;
      file = this.open(p);
    } else if (
      plan.plan === 'segment' && paces && p.dts - file.startDts >= plan.durationMs &&
      (p.keyframe || !plan.waitKeyframe || !hasVideo)
    ) {
      this.reap();
      file = this.open(p);
    } else if (p.dts < file.startDts) {
      // from before the file's first frame: a track that reaches the Source late (a WHIP
      // publisher's AAC, made from its Opus by FFmpeg) would be written at 0, many frames on one
      // time; the file starts at its first video frame, so these are left out
      return;
    }
    file?.write(p);
  }

  onUnpublish(): void {
    this.stop();
  }

  close(): void {
    this.stop();
    this.deps.onClose(this);
  }

  private open(first: Packet): DvrFile | undefined {
    const plan = this.plan!;
    const s = this.source;
    const safe = renderDvrPath(plan.template, { vhost: s.vhost, app: s.app, stream: s.stream, time: new Date(), utc: this.deps.utcTime() });
    if (!safe.ok) {
      this.deps.log.warn({ url: s.url, template: plan.template, reason: safe.reason }, 'dvr: unsafe path, not recording');
      this.plan = this.nextId = undefined;
      return undefined;
    }
    const id = this.nextId ?? randomUUID();
    this.nextId = undefined;
    const headers = { metadata: s.metadata, videoHeader: s.videoHeader, audioHeader: s.audioHeader, audioTrack: s.audioTrack };
    const file = new DvrFile(id, safe.path, plan.format, s, first.dts, headers, this.deps, safe.root);
    this.file = file;
    // A path that resolves outside its root (a symlink) is not written: stop this recording.
    void file.opened.then((ok) => {
      if (ok || this.file !== file) return;
      this.deps.log.warn({ url: s.url, file: safe.path }, 'dvr: file refused, not recording');
      this.stop();
    });
    return file;
  }

  private reap(): void {
    const f = this.file;
    if (!f) return;
    this.file = undefined;
    const done = f.close().catch((err: unknown) => this.deps.log.warn({ file: f.path, err: String(err) }, 'dvr: close failed'));
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }
}
