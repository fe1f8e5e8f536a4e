/**
 * SRS's ingest (ingest.conf): `vhost { ingest NAME { enabled on; input { type file|stream; url U; }
 * ffmpeg PATH; engine { enabled off|on; ...; output rtmp://127.0.0.1:[port]/live/NAME?vhost=[vhost]; } } }`.
 *
 * One FFmpeg per enabled engine of each enabled ingest, under the process supervisor: started
 * with the server, restarted with its backoff when it ends (which is how SRS loops a file input;
 * `-re` reads a file at its own rate), stopped on shutdown. `apply(config)` on reload starts the
 * ingests that were added, stops the removed ones and restarts the changed ones (an ingest is
 * compared by its whole block and the RTMP port). `[vhost]`, `[port]` and `[engine]`... in the output are
 * SRS's variables. The `ffmpeg` program is the directive's path, else `ffmpeg` on PATH.
 *
 * On demand (tsrs, `on_demand on;`): not started with the server. A `stream:demand` for the
 * stream an engine's output names starts that engine's FFmpeg (its waiting players get the
 * stream once it publishes); it stops once the stream has had no player for `on_demand_hold`
 * seconds, counted from its start, from every demand and from every `stream:idle`.
 */
import type { Config } from '../config/index.js';
import { parseRtmpUrl } from '../protocol/rtmp/url.js';
import type { EventBus } from './events.js';
import { resolveVhost } from './resolve-vhost.js';
import { srsStreamUrl } from './stream-url.js';
import type { Source } from './source.js';
import type { Logger } from '../log.js';
import { substituteVars } from './exec.js';
import { newContextId } from './ids.js';
import { ffmpegArgs, type EngineConf } from './ffmpeg-args.js';
import { findExecutable, type ProcessSupervisor, type SupervisedProcess } from './process-supervisor.js';

export interface IngestDeps {
  supervisor: ProcessSupervisor;
  rtmpPort: () => number;
  log: Logger;
  /** libfdk_aac -> aac when the program lacks it */
  acodec: (ffmpeg: string) => (name: string) => string;
  /** the live streams, to see whether an on-demand ingest's stream still has players */
  findSource?: (vhost: string, app: string, stream: string) => Pick<Source, 'players'> | undefined;
}

export interface StreamName {
  vhost: string;
  app: string;
  stream: string;
}

/**
 * The stream an RTMP output URL publishes, split as FFmpeg splits it: the last `/` ends the
 * app (with its query: SRS's `rtmp://h:p/live?vhost=v/s`), the rest is the stream (with its
 * query: `rtmp://h:p/live/s?vhost=v`); the vhost from `vhost=`, else the host. Undefined when
 * it is no `rtmp://host/app/stream` URL.
 */
export function outputStream(url: string): StreamName | undefined {
  const m = /^rtmp:\/\/([^/?]+)\/(.+)$/i.exec(url.trim());
  if (!m) return undefined;
  const slash = m[2].lastIndexOf('/');
  if (slash <= 0) return undefined;
  const u = parseRtmpUrl(`rtmp://${m[1]}/${m[2].slice(0, slash)}`, m[2].slice(slash + 1));
  return u.app && u.stream ? { vhost: u.vhost, app: u.app, stream: u.stream } : undefined;
}

const sameStream = (a: StreamName, b: StreamName) => a.vhost === b.vhost && a.app === b.app && a.stream === b.stream;

/** The configured program if executable, else `ffmpeg` on PATH (logged), else undefined. */
export function resolveFfmpeg(path: string, log: Logger): string | undefined {
  if (findExecutable(path)) return path;
  const onPath = findExecutable('ffmpeg');
  if (onPath) log.info({ ffmpeg: path, using: onPath }, `ffmpeg ${path} not found: using ${onPath}`);
  return onPath;
}

interface Wanted {
  key: string;
  /** what decides a restart on reload */
  signature: string;
  name: string;
  command: string;
  args: string[];
  /** the stream it makes, as SRS's stream url (`[vhost]/app/stream`), else its output URL */
  stream: string;
  /** on_demand: the stream it makes (vhost resolved) and the hold time, ms */
  onDemand: (StreamName & { holdMs: number }) | undefined;
}

interface Running {
  signature: string;
  /** the log context id of its stderr lines, kept across its restarts */
  contextId: string;
  proc: SupervisedProcess;
  /** on_demand: the hold timer */
  hold?: NodeJS.Timeout;
}

export class IngestManager {
  private readonly running = new Map<string, Running>();
  /** on-demand ingests of the applied config, by key: started by a demand */
  private onDemand = new Map<string, Wanted>();
  /** the applies in order (see apply) */
  private applying: Promise<void> = Promise.resolve();
  private tickets = 0;
  private closed = false;

  constructor(private readonly d: IngestDeps) {}

  /** What the config asks for: one FFmpeg per enabled engine with an output. */
  private wanted(config: Config): Wanted[] {
    const out: Wanted[] = [];
    const port = this.d.rtmpPort();
    for (const vhost of config.vhostNames()) {
      const v = config.getVhost(vhost);
      if (!v || !v.enabled) continue;
      for (const ingest of v.ingest) {
        if (!ingest.enabled) continue;
        const where = `vhost ${vhost} ingest ${ingest.id}`;
        if (!ingest.input.url) {
          this.d.log.warn(`${where}: no input url: not started`);
          continue;
        }
        ingest.engine.forEach((engine, i) => {
          if (!engine.output) {
            this.d.log.warn(`${where}: engine ${engine.id || i} has no output: not started`);
            return;
          }
          const command = resolveFfmpeg(ingest.ffmpeg, this.d.log);
          if (!command) {
            this.d.log.warn(`${where}: ${ingest.ffmpeg} not found and no ffmpeg on PATH: not started`);
            return;
          }
          const output = substituteVars(engine.output, { vhost, port, app: '', stream: ingest.id, engine: engine.id });
          const args = ffmpegArgs(ingest.input.url, output, engine as EngineConf, { re: ingest.input.type === 'file', acodec: this.d.acodec(command) });
          const key = JSON.stringify([vhost, ingest.id, i]);
          const named = outputStream(output);
          const landed = named && resolveVhost(config, named.vhost);
          let onDemand: Wanted['onDemand'];
          if (ingest.on_demand) {
            if (!named || !landed) {
              this.d.log.warn(`${where}: on_demand: output ${output} names no stream of a vhost here: not started`);
              return;
            }
            onDemand = { ...named, vhost: landed, holdMs: ingest.on_demand_hold * 1000 };
          }
          const signature = JSON.stringify([command, args, onDemand]);
          // the API and the console's stream page match a process to a stream by its url
          const stream = named && landed ? srsStreamUrl(landed, named.app, named.stream) : output;
          out.push({ key, signature, name: `ingest ${ingest.id}`, command, args, stream, onDemand });
        });
      }
    }
    return out;
  }

  /**
   * Starts, stops and restarts ingests to match `config` (on-demand ones only stop or wait).
   * Applies run one after the other, and one that a newer apply follows is skipped (a reload
   * storm ends on the last config with one FFmpeg per ingest: an apply that waits for a stop
   * never meets another that already started the replacement). Resolves when it is applied.
   */
  apply(config: Config): Promise<void> {
    const ticket = ++this.tickets;
    const run = this.applying.then(() => (ticket === this.tickets && !this.closed ? this.applyNow(config) : undefined));
    this.applying = run.catch((err: unknown) => this.d.log.warn({ err: String(err) }, `ingest: applying the config failed: ${String(err)}`));
    return run;
  }

  private async applyNow(config: Config): Promise<void> {
    const wanted = new Map(this.wanted(config).map((w) => [w.key, w]));
    this.onDemand = new Map([...wanted].filter(([, w]) => w.onDemand));
    const stops: Promise<void>[] = [];
    for (const [key, r] of this.running) {
      const w = wanted.get(key);
      if (w && w.signature === r.signature) {
        wanted.delete(key);
        continue;
      }
      this.d.log.info(`${r.proc.spec.name}: ${w ? 'changed, restarting' : 'removed, stopping'}`);
      stops.push(this.stop(key));
    }
    await Promise.all(stops);
    if (this.closed) return;
    for (const w of wanted.values()) if (!w.onDemand && !this.running.has(w.key)) this.start(w);
  }

  /** on_demand: demand starts the ingests that make the stream, idle lets their hold run. */
  subscribe(bus: EventBus): void {
    bus.on('stream:demand', (e) => {
      for (const w of this.onDemand.values()) {
        if (!sameStream(w.onDemand!, e)) continue;
        if (!this.running.has(w.key)) {
          this.d.log.info({ url: `${e.vhost}/${e.app}/${e.stream}`, param: e.param }, `${w.name}: on demand, starting`);
          this.start(w);
        }
        this.hold(w);
      }
    });
    bus.on('stream:idle', (e) => {
      for (const w of this.onDemand.values()) if (sameStream(w.onDemand!, e) && this.running.has(w.key)) this.hold(w);
    });
  }

  private start(w: Wanted): void {
    if (this.closed) return;
    try {
      const contextId = newContextId();
      const proc = this.d.supervisor.start({ name: w.name, command: w.command, args: w.args, stream: w.stream, contextId });
      this.running.set(w.key, { signature: w.signature, contextId, proc });
      this.d.log.info({ cid: contextId, url: w.stream }, `${w.name}: started, its FFmpeg logs as [${contextId}]`);
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, `${w.name}: cannot start: ${(err as Error).message}`);
    }
  }

  private stop(key: string): Promise<void> {
    const r = this.running.get(key);
    if (!r) return Promise.resolve();
    this.running.delete(key);
    if (r.hold) clearTimeout(r.hold);
    return r.proc.stop();
  }

  /** (Re)arms an on-demand ingest's hold: when it runs out, it stops unless its stream has players. */
  private hold(w: Wanted): void {
    const r = this.running.get(w.key);
    if (!r || !w.onDemand) return;
    if (r.hold) clearTimeout(r.hold);
    const { vhost, app, stream, holdMs } = w.onDemand;
    r.hold = setTimeout(() => {
      r.hold = undefined;
      if (this.running.get(w.key) !== r) return;
      if ((this.d.findSource?.(vhost, app, stream)?.players ?? 0) > 0) return this.hold(w);
      this.d.log.info({ url: `${vhost}/${app}/${stream}`, hold: holdMs / 1000 }, `${w.name}: no player for on_demand_hold, stopping`);
      void this.stop(w.key);
    }, holdMs).unref();
  }

  /** Starts nothing more and stops every hold timer (the supervisor stops the children at shutdown). */
  close(): void {
    this.closed = true;
    this.onDemand.clear();
    for (const r of this.running.values()) if (r.hold) clearTimeout(r.hold);
  }
}
