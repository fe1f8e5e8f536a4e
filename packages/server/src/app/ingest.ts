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
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { substituteVars } from './exec.js';
import { ffmpegArgs, type EngineConf } from './ffmpeg-args.js';
import { findExecutable, type ProcessSupervisor, type SupervisedProcess } from './process-supervisor.js';

export interface IngestDeps {
  supervisor: ProcessSupervisor;
  rtmpPort: () => number;
  log: Logger;
  /** libfdk_aac -> aac when the program lacks it */
  acodec: (ffmpeg: string) => (name: string) => string;
}

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
  stream: string;
}

export class IngestManager {
  private readonly running = new Map<string, { signature: string; proc: SupervisedProcess }>();

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
          out.push({ key, signature: JSON.stringify([command, args]), name: `ingest ${ingest.id}`, command, args, stream: output });
        });
      }
    }
    return out;
  }

  /** Starts, stops and restarts ingests to match `config`. */
  async apply(config: Config): Promise<void> {
    const wanted = new Map(this.wanted(config).map((w) => [w.key, w]));
    const stops: Promise<void>[] = [];
    for (const [key, r] of this.running) {
      const w = wanted.get(key);
      if (w && w.signature === r.signature) {
        wanted.delete(key);
        continue;
      }
      this.running.delete(key);
      this.d.log.info(`${r.proc.spec.name}: ${w ? 'changed, restarting' : 'removed, stopping'}`);
      stops.push(r.proc.stop());
    }
    await Promise.all(stops);
    for (const w of wanted.values()) {
      try {
        const proc = this.d.supervisor.start({ name: w.name, command: w.command, args: w.args, stream: w.stream });
        this.running.set(w.key, { signature: w.signature, proc });
      } catch (err) {
        this.d.log.warn({ err: (err as Error).message }, `${w.name}: cannot start: ${(err as Error).message}`);
      }
    }
  }
}
