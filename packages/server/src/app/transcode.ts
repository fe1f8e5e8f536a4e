/**
 * SRS's transcode (ffmpeg.transcode.conf): `vhost { transcode [SCOPE] { enabled on; ffmpeg PATH;
 * engine NAME { enabled on; vcodec ...; output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost]; } } }`.
 *
 * On each publish, every enabled engine of every enabled transcode block whose scope matches
 * (no scope, `app` or `app/stream`) runs one FFmpeg under the process supervisor, pulling
 * `rtmp://127.0.0.1:PORT/APP/STREAM` and pushing to the engine's output; stopped on unpublish,
 * restarted with backoff while the stream lasts. A stream whose name ends with `_ENGINE` for an
 * engine of its vhost is a transcode's output and is not transcoded again.
 *
 * On reload (`apply()`), every published stream's FFmpegs are matched to the new config: an
 * engine added starts, one removed or disabled stops, one whose command line changed restarts;
 * the others and the publisher go on untouched.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Client } from './client.js';
import type { EventBus } from './events.js';
import { localPlaypath, localRtmpUrl, substituteVars, type StreamVars } from './exec.js';
import { ffmpegArgs, type EngineConf } from './ffmpeg-args.js';
import { outputStream, resolveFfmpeg } from './ingest.js';
import type { ProcessSupervisor, SupervisedProcess } from './process-supervisor.js';
import { streamNamesProblem } from './safe-name.js';
import type { Source } from './source.js';

export interface TranscodeDeps {
  supervisor: ProcessSupervisor;
  config: () => Config;
  rtmpPort: () => number;
  acodec: (ffmpeg: string) => (name: string) => string;
  log: Logger;
  /** the streams that have a publisher now (for reload) */
  published?: () => Iterable<Source>;
}

interface Running {
  /** what decides a restart on reload: program and arguments */
  signature: string;
  proc: SupervisedProcess;
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
      // an output this server would refuse (`[stream]_[engine]` of a name near the length
      // limit) is not started: its FFmpeg would only be refused and restarted for as long as the
      // stream lasts
      const named = outputStream(output);
      const problem = named && streamNamesProblem(named);
      if (problem) {
        d.log.warn({ url: source.url, output }, `transcode ${source.url} ${e.id}: not started, the output's name would be refused: ${problem}`);
        continue;
      }
      const input = localRtmpUrl(vars);
      out.push({ engine: e.id, command, output, args: ffmpegArgs(input, output, e as EngineConf, { re: false, acodec: d.acodec(command), inputArgs: rtmpInputArgs(vars) }) });
    }
  }
  return out;
}

/**
 * FFmpeg's options that name an RTMP input's app and playpath exactly. From the URL alone FFmpeg
 * takes a playpath ending in `.flv` without it, prefixes `mp4:` to one ending in `.mp4`/`.f4v`,
 * and splits an app of three levels or a name with `:` elsewhere: the transcode of `live/cam.flv`
 * would read `live/cam`, another stream.
 */
export function rtmpInputArgs(v: Pick<StreamVars, 'vhost' | 'app' | 'stream'>): string[] {
  return ['-rtmp_app', v.app, '-rtmp_playpath', localPlaypath(v)];
}

export class TranscodeRunner {
  /** each published stream's FFmpegs, by the engine's output URL */
  private readonly running = new Map<Source, Map<string, Running>>();

  constructor(private readonly d: TranscodeDeps) {}

  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source, client) => void this.sync(source, client));
    bus.on('stream:unpublish', (source) => void this.stop(source));
  }

  /** Reload: every published stream's transcodes match the current config. */
  async apply(): Promise<void> {
    const sources = new Set([...(this.d.published?.() ?? []), ...this.running.keys()]);
    await Promise.all([...sources].map((s) => (s.publisher ? this.sync(s, s.publisher) : this.stop(s))));
  }

  /** Starts what the config asks for this stream and is not running, stops what it no longer asks for. */
  private async sync(source: Source, client: Client): Promise<void> {
    const wanted = new Map(transcodeCommands(this.d.config(), this.d.rtmpPort(), source, client, this.d).map((c) => [c.output, c]));
    let have = this.running.get(source);
    if (!have) this.running.set(source, (have = new Map<string, Running>()));
    const stops: Promise<void>[] = [];
    for (const [key, r] of have) {
      const w = wanted.get(key);
      if (w && JSON.stringify([w.command, w.args]) === r.signature) {
        wanted.delete(key);
        continue;
      }
      have.delete(key);
      this.d.log.info({ cid: client.id }, `${r.proc.spec.name}: ${w ? 'changed, restarting' : 'removed, stopping'}`);
      stops.push(r.proc.stop());
    }
    await Promise.all(stops);
    // the stream may have ended while they stopped
    if (source.publisher !== client || this.running.get(source) !== have) return;
    for (const c of wanted.values()) {
      if (have.has(c.output)) continue;
      try {
        const proc = this.d.supervisor.start({ name: `transcode ${source.url} ${c.engine}`, command: c.command, args: c.args, contextId: client.id, stream: source.url });
        have.set(c.output, { signature: JSON.stringify([c.command, c.args]), proc });
      } catch (err) {
        this.d.log.warn({ cid: client.id, err: (err as Error).message }, `transcode ${source.url} ${c.engine}: cannot start: ${(err as Error).message}`);
      }
    }
    if (!have.size && this.running.get(source) === have) this.running.delete(source);
  }

  private async stop(source: Source): Promise<void> {
    const procs = this.running.get(source);
    if (!procs) return;
    this.running.delete(source);
    await Promise.all([...procs.values()].map((r) => r.proc.stop()));
  }
}
