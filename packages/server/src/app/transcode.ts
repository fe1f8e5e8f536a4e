/**
 * SRS's transcode (ffmpeg.transcode.conf): `vhost { transcode [SCOPE] { enabled on; ffmpeg PATH;
 * engine NAME { enabled on; vcodec ...; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost]; } } }`.
 *
 * On each publish, every enabled engine of every enabled transcode block whose scope matches
 * (no scope, `app` or `app/stream`) runs one FFmpeg under the process supervisor, pulling
 * `rtmp://127.0.0.1:PORT/APP/STREAM` and pushing to the engine's output; stopped on unpublish,
 * restarted with backoff while the stream lasts. A stream whose name ends with `_ENGINE` for an
 * engine of its vhost is a transcode's output and is not transcoded again.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Client } from './client.js';
import type { EventBus } from './events.js';
import { localRtmpUrl, substituteVars, type StreamVars } from './exec.js';
import { ffmpegArgs, type EngineConf } from './ffmpeg-args.js';
import { resolveFfmpeg } from './ingest.js';
import type { ProcessSupervisor, SupervisedProcess } from './process-supervisor.js';
import type { Source } from './source.js';

export interface TranscodeDeps {
  supervisor: ProcessSupervisor;
  config: () => Config;
  rtmpPort: () => number;
  acodec: (ffmpeg: string) => (name: string) => string;
  log: Logger;
}

/** The command lines for one published stream: [] when no transcode applies. */
export function transcodeCommands(config: Config, port: number, source: Pick<Source, 'vhost' | 'app' | 'stream' | 'url'>, client: Pick<Client, 'param' | 'tcUrl'>, d: Pick<TranscodeDeps, 'acodec' | 'log'>): { engine: string; command: string; args: string[]; output: string }[] {
  const v = config.getVhost(source.vhost);
  if (!v) return [];
  const blocks = v.transcode.filter((t) => t.enabled);
  const engines = blocks.flatMap((t) => t.engine.filter((e) => e.enabled && e.id));
  if (engines.some((e) => source.stream.endsWith(`_${e.id}`))) return [];
  const out: { engine: string; command: string; args: string[]; output: string }[] = [];
  for (const t of blocks) {
    if (t.id && t.id !== source.app && t.id !== `${source.app}/${source.stream}`) continue;
    const command = resolveFfmpeg(t.ffmpeg, d.log);
    if (!command) {
      d.log.warn(`transcode ${t.id}: ${t.ffmpeg} not found and no ffmpeg on PATH`);
      continue;
    }
    for (const e of t.engine) {
      if (!e.enabled || !e.output) continue;
      const vars: StreamVars = { vhost: source.vhost, port, app: source.app, stream: source.stream, param: client.param, tcUrl: client.tcUrl, engine: e.id };
      const output = substituteVars(e.output, vars);
      const input = localRtmpUrl(vars);
      out.push({ engine: e.id, command, output, args: ffmpegArgs(input, output, e as EngineConf, { re: false, acodec: d.acodec(command) }) });
    }
  }
  return out;
}

export class TranscodeRunner {
  private readonly running = new Map<Source, SupervisedProcess[]>();

  constructor(private readonly d: TranscodeDeps) {}

  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source, client) => this.start(source, client));
    bus.on('stream:unpublish', (source) => void this.stop(source));
  }

  private start(source: Source, client: Client): void {
    const procs: SupervisedProcess[] = [];
    for (const c of transcodeCommands(this.d.config(), this.d.rtmpPort(), source, client, this.d)) {
      try {
        procs.push(this.d.supervisor.start({ name: `transcode ${source.url} ${c.engine}`, command: c.command, args: c.args, contextId: client.id, stream: source.url }));
      } catch (err) {
        this.d.log.warn({ cid: client.id, err: (err as Error).message }, `transcode ${source.url} ${c.engine}: cannot start: ${(err as Error).message}`);
      }
    }
    if (procs.length) this.running.set(source, procs);
  }

  private async stop(source: Source): Promise<void> {
    const procs = this.running.get(source);
    if (!procs) return;
    this.running.delete(source);
    await Promise.all(procs.map((p) => p.stop()));
  }
}
