import type { ActiveDvr } from '@tsrs/api-types';
import type { Config, DvrView } from '../../config/index.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import type { Hub, OutputFactory } from '../hub.js';
import type { Source } from '../source.js';
import type { RecordingLog } from './dvr-file.js';
import { DvrOutput, type DvrPlan } from './dvr-output.js';
import { dvrTemplate, type DvrFormat } from './dvr-path.js';

export interface DvrManagerDeps {
  hub: Hub;
  config: () => Config;
  bus: EventBus;
  log: Logger;
  /** where recordings are booked (the history store), when there is one */
  recordings: () => RecordingLog | undefined;
}

/** One recording in progress, as the API lists it. */
export type ActiveRecording = ActiveDvr;

export type DvrStartResult = { ok: true; id: string; recording: ActiveRecording } | { ok: false; reason: 'not-found' | 'failed' };

/** SRS's dvr_apply: `all`, or exact `app/stream` entries. */
export function dvrApplies(dvr: DvrView, app: string, stream: string): boolean {
  return dvr.dvr_apply.some((e) => e === 'all' || e === `${app}/${stream}`);
}

export function planOf(dvr: DvrView, byApi: boolean, format?: DvrFormat): DvrPlan {
  const t = dvrTemplate(dvr.dvr_path, format);
  return {
    plan: dvr.dvr_plan === 'segment' ? 'segment' : 'session',
    template: t.template,
    format: t.format,
    durationMs: dvr.dvr_duration * 1000,
    waitKeyframe: dvr.dvr_wait_keyframe,
    byApi,
  };
}

/**
 * All DVR of the server: a DvrOutput on every Source (idle unless recording),
 * started by the vhost's dvr config at publish or by the API, and the list
 * of what is recording now.
 */
export class DvrManager {
  private readonly outputs = new Map<Source, DvrOutput>();

  constructor(private readonly deps: DvrManagerDeps) {}

  readonly factory: OutputFactory = (source) => {
    const d = this.deps;
    const output = new DvrOutput(source, {
      bus: d.bus,
      log: d.log,
      recordings: d.recordings,
      utcTime: () => d.config().global.utc_time,
      maxPendingBytes: (s) => d.config().getVhost(s.vhost)?.dvr.dvr_max_pending_bytes ?? 0,
      configPlan: (s) => {
        const dvr = d.config().getVhost(s.vhost)?.dvr;
        return dvr?.enabled && dvrApplies(dvr, s.app, s.stream) ? planOf(dvr, false) : undefined;
      },
      // Forgotten only once its files are written, so close() still waits for them.
      onClose: (o) => {
        void o.idle().then(() => {
          if (this.outputs.get(o.source) === o) this.outputs.delete(o.source);
        });
      },
    });
    this.outputs.set(source, output);
    return output;
  };

  /** The vhost name sources use (an unknown vhost falls back to the default, as for clients). */
  vhostName(vhost: string | undefined): string {
    const name = vhost || '__defaultVhost__';
    return this.deps.config().getVhost(name)?.name ?? name;
  }

  private outputOf(vhost: string | undefined, app: string, stream: string): DvrOutput | undefined {
    const source = this.deps.hub.findSource(this.vhostName(vhost), app, stream);
    return source ? this.outputs.get(source) : undefined;
  }

  /**
   * Record a live stream now, whether or not its vhost enables dvr (its dvr
   * settings apply, with their defaults). Starting twice gives the same recording.
   */
  start(vhost: string | undefined, app: string, stream: string, format?: DvrFormat): DvrStartResult {
    const output = this.outputOf(vhost, app, stream);
    if (!output || !output.source.publisher) return { ok: false, reason: 'not-found' };
    const dvr = this.deps.config().getVhost(output.source.vhost)?.dvr;
    if (!dvr) return { ok: false, reason: 'failed' };
    const id = output.start(planOf(dvr, true, format));
    return { ok: true, id, recording: this.view(output)! };
  }

  /** Stop recording a stream; `id` is what was recording (undefined: nothing was). */
  stop(vhost: string | undefined, app: string, stream: string): { ok: true; id: string | undefined } | { ok: false; reason: 'not-found' } {
    const output = this.outputOf(vhost, app, stream);
    if (!output) return { ok: false, reason: 'not-found' };
    return { ok: true, id: output.stop() };
  }

  active(): ActiveRecording[] {
    const out: ActiveRecording[] = [];
    for (const o of this.outputs.values()) {
      const v = this.view(o);
      if (v) out.push(v);
    }
    return out;
  }

  isRecording(source: Source): boolean {
    return this.outputs.get(source)?.recording ?? false;
  }

  /** Whether a recording id is the file being written now (it must not be deleted). */
  isOpen(id: string): boolean {
    for (const o of this.outputs.values()) if (o.current?.id === id) return true;
    return false;
  }

  /** Wait for closed files to be written and booked (shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.outputs.values()].map((o) => o.idle()));
  }

  /** Stop every recording and wait for the files (graceful shutdown; call before the store closes). */
  async close(): Promise<void> {
    const outputs = [...this.outputs.values()];
    for (const o of outputs) o.stop();
    await Promise.all(outputs.map((o) => o.idle()));
  }

  private view(o: DvrOutput): ActiveRecording | undefined {
    const cur = o.current;
    if (!o.recording || !cur) return undefined;
    const s = o.source;
    const f = cur.file;
    return {
      id: cur.id,
      vhost: s.vhost,
      app: s.app,
      stream: s.stream,
      format: f?.format ?? o.format!,
      path: f?.path ?? '',
      start: f?.startedAt ?? 0,
      duration_ms: f?.durationMs ?? 0,
      size: f?.size ?? 0,
      by_api: o.byApi,
    };
  }
}
