/**
 * SRS's `exec` (nginx-rtmp's exec_publish): `vhost { exec { enabled on; publish CMD ARG...; } }`
 * runs each `publish` command while a stream is published on the vhost, under the process
 * supervisor (restarted when it dies, as SRS's exec cycle does), and stops it when the stream is
 * unpublished.
 *
 * Reload: SRS runs exec per publish; tsrs applies a changed `exec` block to the streams that run
 * (as SRS's reload of a vhost's exec does: unpublish, then publish, of the exec): the old command
 * set is stopped (each command SIGTERM, SIGKILL after the grace) and then the new one is started
 * with the publish's variables and the reload's time for the date variables; `enabled off` or a
 * removed block stops them. A stream whose vhost's exec block did not change keeps its commands
 * running untouched. The publisher is never touched.
 *
 * Every argument is its own argv entry with SRS's variables replaced inside it: `[vhost]`,
 * `[port]`, `[app]`, `[stream]`, `[param]`, `[tcUrl]`, `[swfUrl]`, `[pageUrl]` and `[url]`
 * (`rtmp://127.0.0.1:PORT/APP/STREAM[?vhost=VHOST]`), and SRS's date variables of the publish's
 * start: `[2006]` `[01]` `[02]` `[15]` `[04]` `[05]` `[999]` `[timestamp]` (local time, UTC with
 * `utc_time on`). Nothing goes through a shell, so a stream
 * named `a;b` or `$(touch x)` is one literal argument. Names reach here only after the hub
 * admitted them (safe-name.ts refuses `..`, `/` in a stream, control characters).
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { timeVars } from './hls/path-template.js';
import type { Client } from './client.js';
import type { EventBus } from './events.js';
import type { ProcessSupervisor, SupervisedProcess } from './process-supervisor.js';
import type { Source } from './source.js';

/** The values SRS substitutes in exec, ingest and transcode templates. */
export interface StreamVars {
  vhost: string;
  port: number;
  app: string;
  stream: string;
  param?: string;
  tcUrl?: string;
  swfUrl?: string;
  pageUrl?: string;
  /** transcode only: the engine's name */
  engine?: string;
  /** exec: the time for the date variables ([2006] ... [timestamp]); without it they stay as written */
  time?: Date;
  /** the date variables in UTC (utc_time on) */
  utc?: boolean;
}

/** `rtmp://127.0.0.1:PORT/APP/STREAM`, with `?vhost=VHOST` unless it is the default vhost (SRS's `[url]`). */
export function localRtmpUrl(v: Pick<StreamVars, 'vhost' | 'port' | 'app' | 'stream'>): string {
  return `rtmp://127.0.0.1:${v.port}/${v.app}/${localPlaypath(v)}`;
}

/** The playpath of `localRtmpUrl`: the stream, and `?vhost=` for a vhost other than the default. */
export function localPlaypath(v: Pick<StreamVars, 'vhost' | 'stream'>): string {
  const vhost = v.vhost && v.vhost !== '__defaultVhost__' ? `?vhost=${v.vhost}` : '';
  return `${v.stream}${vhost}`;
}

/** Replaces every SRS variable in one argument; unknown `[x]` stay as written. */
export function substituteVars(template: string, v: StreamVars): string {
  const values: Record<string, string | undefined> = {
    vhost: v.vhost,
    port: String(v.port),
    app: v.app,
    stream: v.stream,
    param: v.param,
    tcUrl: v.tcUrl,
    swfUrl: v.swfUrl,
    pageUrl: v.pageUrl,
    engine: v.engine,
  };
  const dates = v.time ? timeVars(v.time, v.utc ?? false) : {};
  return template.replace(/\[(\w+)\]/g, (all, name: string) => {
    if (name === 'url') return localRtmpUrl(v);
    if (all in dates) return dates[all];
    const value = values[name];
    return value === undefined ? all : value;
  });
}

export interface ExecDeps {
  supervisor: ProcessSupervisor;
  config: () => Config;
  /** the RTMP port, for `[port]` and `[url]` */
  rtmpPort: () => number;
  log: Logger;
}

/** Runs the vhost's `exec publish` commands per published stream. */
interface Running {
  publisher: Client;
  procs: SupervisedProcess[];
  /** the exec block it was started from (to see a reload's change) */
  conf: string;
}

export class ExecRunner {
  private readonly running = new Map<Source, Running>();

  constructor(private readonly d: ExecDeps) {}

  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source, client) => this.start(source, client));
    bus.on('stream:unpublish', (source) => void this.stop(source));
  }

  /**
   * After a reload: each published stream whose vhost's exec block changed stops its commands
   * and then starts the new ones. Resolves once every restart is done.
   */
  async reload(): Promise<void> {
    const changed = [...this.running].filter(([source, r]) => this.confOf(source) !== r.conf);
    await Promise.all(
      changed.map(async ([source, r]) => {
        this.d.log.info({ url: source.url, cid: r.publisher.id }, `exec ${source.url}: the exec config changed: restarting its commands`);
        await this.stop(source);
        // unpublished (or published again) meanwhile: that publish owns the stream's commands
        if (source.publisher !== r.publisher || this.running.has(source)) return;
        this.start(source, r.publisher);
      }),
    );
  }

  private confOf(source: Source): string {
    return JSON.stringify(this.d.config().getVhost(source.vhost)?.exec ?? null);
  }

  /** The commands it would run for this publish (argv arrays), [] when exec is off. */
  commands(source: Source, client: Client): string[][] {
    const exec = this.d.config().getVhost(source.vhost)?.exec;
    if (!exec?.enabled) return [];
    const vars: StreamVars = {
      vhost: source.vhost,
      port: this.d.rtmpPort(),
      app: source.app,
      stream: source.stream,
      param: client.param,
      tcUrl: client.tcUrl,
      swfUrl: client.swfUrl,
      pageUrl: client.pageUrl,
      time: new Date(),
      utc: this.d.config().global.utc_time,
    };
    return exec.publish.filter((argv) => argv.length > 0).map((argv) => argv.map((a) => substituteVars(a, vars)));
  }

  private start(source: Source, client: Client): void {
    const procs: SupervisedProcess[] = [];
    for (const [command, ...args] of this.commands(source, client)) {
      try {
        procs.push(this.d.supervisor.start({ name: `exec ${source.url}`, command, args, contextId: client.id, stream: source.url }));
      } catch (err) {
        this.d.log.warn({ cid: client.id, url: source.url, err: (err as Error).message }, `exec ${source.url}: cannot run ${command}: ${(err as Error).message}`);
      }
    }
    // kept without commands too: a reload that turns exec on starts them
    this.running.set(source, { publisher: client, procs, conf: this.confOf(source) });
  }

  private async stop(source: Source): Promise<void> {
    const r = this.running.get(source);
    if (!r) return;
    this.running.delete(source);
    await Promise.all(r.procs.map((p) => p.stop()));
  }
}
