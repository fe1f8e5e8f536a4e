/**
 * The one owner of external processes (FFmpeg for ingest, transcode and audio transcoding; exec
 * commands). Each child:
 * - is spawned from an argument array, never through a shell: a stream named `$(touch x)` or
 *   `a;b` is one literal argument;
 * - leads its own process group, so a stop reaches whatever it started;
 * - cannot outlive tsrs: on Linux it is started through util-linux's `setpriv --pdeathsig KILL`
 *   (the kernel kills it when tsrs dies, SIGKILL included); its process group is watched by
 *   one watchdog process (process-watchdog.ts) that kills every group it knows once tsrs is
 *   gone, so what a child started (an exec command's own children) goes too; and every group
 *   still alive when tsrs exits normally gets SIGKILL from an exit hook;
 * - is restarted when it dies, after a backoff that doubles from `backoffMinMs` up to
 *   `backoffMaxMs` and starts over once a run lasted `stableMs`;
 * - has its stderr logged line by line with its name and context id (lines cut at
 *   `maxLineBytes`, at most `maxLinesPerSecond` lines a second, the rest counted and reported).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Socket } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { redactSecrets } from './redact.js';

/** A child still there this long after the SIGTERM of a stop gets a second one, ms. */
const SECOND_TERM_MS = 300;

export interface ProcessSpec {
  /** what the child is for, e.g. `ingest livestream` or `transcode live/s/ld`; shown in logs and the API */
  name: string;
  /** the program: an absolute path, or a name looked up on PATH */
  command: string;
  /** its arguments, each passed as is */
  args: readonly string[];
  /** the log context id of the stream it serves */
  contextId?: string;
  /** the stream it serves or makes (`vhost/app/stream`, SRS's stream url), for the API */
  stream?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** restart when it exits (default true); false for one-shot commands */
  restart?: boolean;
  /** stdin and stdout are pipes (default: both ignored), for a child that filters media */
  pipes?: boolean;
  /** called with the child of every run (restarts too) right after it is spawned, e.g. to use its pipes */
  onSpawn?: (child: ChildProcess) => void;
}

export interface SupervisorOptions {
  backoffMinMs: number;
  backoffMaxMs: number;
  /** a run this long (ms) resets the backoff */
  stableMs: number;
  /** ms between SIGTERM and SIGKILL on stop */
  stopGraceMs: number;
  maxLineBytes: number;
  maxLinesPerSecond: number;
  /** at most this many children at once, read at each start (max_child_processes); start() throws beyond it */
  maxProcesses: number | (() => number);
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  backoffMinMs: 1000,
  backoffMaxMs: 30_000,
  stableMs: 10_000,
  stopGraceMs: 3000,
  maxLineBytes: 2048,
  maxLinesPerSecond: 50,
  maxProcesses: 256,
};

export type ProcessState = 'running' | 'backoff' | 'stopping' | 'stopped';

/** What the API lists per child (`/api/v1/processes`). */
export interface ProcessInfo {
  id: number;
  name: string;
  command: string;
  args: string[];
  state: ProcessState;
  /** undefined while not running */
  pid: number | undefined;
  /** ms since the current run started; 0 while not running */
  uptimeMs: number;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: number } | undefined;
  contextId: string | undefined;
  stream: string | undefined;
}

/** Finds `command` on PATH (or checks an absolute/relative path); undefined when not executable. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(command) ? command : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, command);
    if (executable(p)) return p;
  }
  return undefined;
}

let nextId = 1;

/** One supervised child across its restarts. */
export class SupervisedProcess {
  readonly id = nextId++;
  state: ProcessState = 'running';
  restarts = 0;
  lastExit: ProcessInfo['lastExit'];
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  private lineBudget = { second: 0, lines: 0, dropped: 0 };

  constructor(
    readonly spec: ProcessSpec,
    private readonly opts: SupervisorOptions,
    private readonly log: Logger,
    private readonly wrapper: string | undefined,
    private readonly onGone: (p: SupervisedProcess) => void,
    private readonly watchdog?: GroupWatchdog,
  ) {
    this.backoffMs = opts.backoffMinMs;
    this.run();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  info(now = Date.now()): ProcessInfo {
    const running = this.child !== undefined && this.state !== 'stopped';
    return {
      id: this.id,
      name: this.spec.name,
      command: this.spec.command,
      args: [...this.spec.args],
      state: this.state,
      pid: running ? this.child!.pid : undefined,
      uptimeMs: running ? now - this.startedAt : 0,
      restarts: this.restarts,
      lastExit: this.lastExit,
      contextId: this.spec.contextId,
      stream: this.spec.stream,
    };
  }

  /**
   * SIGTERM to the group, a second SIGTERM after SECOND_TERM_MS, SIGKILL after stopGraceMs;
   * resolves once it has exited. No restart after. (FFmpeg takes its first signal as "finish":
   * a read that blocks, e.g. on a stream whose publisher vanished, is only interrupted by the
   * second one; it then still closes its output properly.)
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    clearTimeout(this.timer);
    if (!this.child) {
      this.state = 'stopped';
      this.onGone(this);
      return;
    }
    this.state = 'stopping';
    this.signalGroup('SIGTERM');
    const again = setTimeout(() => this.signalGroup('SIGTERM'), Math.min(SECOND_TERM_MS, this.opts.stopGraceMs / 2));
    const kill = setTimeout(() => this.signalGroup('SIGKILL'), this.opts.stopGraceMs);
    await this.exited;
    clearTimeout(again);
    clearTimeout(kill);
  }

  /** SIGKILL to the group at once (tsrs is exiting). */
  killNow(): void {
    clearTimeout(this.timer);
    this.state = 'stopped';
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        this.child?.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private run(): void {
    const { command, args, cwd, env } = this.spec;
    const file = this.wrapper ?? command;
    const argv = this.wrapper ? ['--pdeathsig', 'KILL', '--', command, ...args] : [...args];
    const ctx = { proc: this.spec.name, cid: this.spec.contextId };
    let child: ChildProcess;
    try {
      const io = this.spec.pipes ? 'pipe' : 'ignore';
      child = spawn(file, argv, { cwd, env: env ?? process.env, stdio: [io, io, 'pipe'], detached: true, shell: false });
    } catch (err) {
      this.log.warn({ ...ctx, err: (err as Error).message }, `process ${this.spec.name}: cannot start ${command}`);
      this.exitedNow(null, null);
      return;
    }
    this.child = child;
    this.state = 'running';
    this.startedAt = Date.now();
    let resolveExited!: () => void;
    this.exited = new Promise((r) => (resolveExited = r));
    child.once('spawn', () => {
      if (child.pid !== undefined) this.watchdog?.watch(child.pid);
      this.log.info({ ...ctx, childPid: child.pid }, `process ${this.spec.name}: started ${command} (pid ${child.pid})`);
    });
    child.once('error', (err) => {
      this.log.warn({ ...ctx, err: err.message }, `process ${this.spec.name}: ${command}: ${err.message}`);
    });
    this.readLines(child);
    this.spec.onSpawn?.(child);
    child.once('close', (code, signal) => {
      if (child.pid !== undefined) this.watchdog?.ended(child.pid);
      this.child = undefined;
      this.exitedNow(code, signal);
      resolveExited();
    });
  }

  private exitedNow(code: number | null, signal: NodeJS.Signals | null): void {
    const now = Date.now();
    this.lastExit = { code, signal, at: now };
    if (this.state === 'stopping' || this.state === 'stopped' || this.spec.restart === false) {
      const was = this.state;
      this.state = 'stopped';
      if (was !== 'stopping') this.log.info({ proc: this.spec.name, cid: this.spec.contextId, code, signal }, `process ${this.spec.name}: exited (code ${code}, signal ${signal})`);
      this.onGone(this);
      return;
    }
    if (this.startedAt && now - this.startedAt >= this.opts.stableMs) this.backoffMs = this.opts.backoffMinMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs);
    this.state = 'backoff';
    this.log.warn(
      { proc: this.spec.name, cid: this.spec.contextId, code, signal, restartInMs: delay },
      `process ${this.spec.name}: exited (code ${code}, signal ${signal}); restart in ${delay} ms`,
    );
    this.timer = setTimeout(() => {
      this.restarts++;
      this.run();
    }, delay);
    this.timer.unref();
  }

  private readLines(child: ChildProcess): void {
    let pending = '';
    const max = this.opts.maxLineBytes;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.search(/[\r\n]/)) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim()) this.logLine(line);
      }
      // a line without an end is cut: the buffer never grows past maxLineBytes
      if (pending.length > max) {
        this.logLine(pending);
        pending = '';
      }
    });
    child.stderr?.on('end', () => {
      if (pending.trim()) this.logLine(pending);
      this.reportDropped();
    });
  }

  private reportDropped(): void {
    const b = this.lineBudget;
    if (b.dropped > 0) this.log.warn({ proc: this.spec.name, cid: this.spec.contextId }, `process ${this.spec.name}: ${b.dropped} stderr lines not logged (over ${this.opts.maxLinesPerSecond}/s)`);
    b.dropped = 0;
  }

  private logLine(line: string): void {
    const second = Math.floor(Date.now() / 1000);
    const b = this.lineBudget;
    if (b.second !== second) {
      this.reportDropped();
      b.second = second;
      b.lines = 0;
    }
    if (++b.lines > this.opts.maxLinesPerSecond) {
      b.dropped++;
      return;
    }
    const text = line.length > this.opts.maxLineBytes ? `${line.slice(0, this.opts.maxLineBytes)}...` : line;
    this.log.info({ proc: this.spec.name, cid: this.spec.contextId }, `[${this.spec.name}] ${redactSecrets(text)}`);
  }
}

/**
 * tsrs's side of process-watchdog.ts: started on the first child, told each child's process
 * group (a child leads its own: pgid = pid) and when a group is empty again. A group whose
 * leader ended while others of it still run stays watched until it is found empty (checked at
 * each later start). The pipe to the watchdog is unref'd: it never keeps tsrs running.
 */
export class GroupWatchdog {
  private proc: ChildProcess | undefined;
  private readonly groups = new Set<number>();
  private warned = false;

  constructor(private readonly log: Logger, private readonly program = fileURLToPath(new URL('./process-watchdog.js', import.meta.url))) {}

  /** The watchdog's pid while it runs (tests). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Watches a child's group (its pid). */
  watch(pgid: number): void {
    for (const g of this.groups) if (!groupAlive(g)) this.forget(g);
    this.groups.add(pgid);
    if (!this.proc) this.spawn();
    else this.send(`+${pgid}`);
  }

  /** A child ended: its group is forgotten once nothing of it runs. */
  ended(pgid: number): void {
    if (this.groups.has(pgid) && !groupAlive(pgid)) this.forget(pgid);
  }

  /** Stops the watchdog (its pipe ends: it kills what it still watches). */
  close(): void {
    this.proc?.stdin?.end();
    this.proc = undefined;
  }

  private forget(pgid: number): void {
    this.groups.delete(pgid);
    this.send(`-${pgid}`);
  }

  private send(line: string): void {
    this.proc?.stdin?.write(`${line}\n`);
  }

  private spawn(): void {
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [this.program], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, shell: false });
    } catch (err) {
      this.lost((err as Error).message);
      return;
    }
    this.proc = proc;
    proc.unref();
    (proc.stdin as Socket | null)?.unref?.();
    proc.stdin?.on('error', () => undefined); // EPIPE when it died: 'exit' says so
    proc.once('error', (err) => this.lost(err.message, proc));
    proc.once('exit', (code, signal) => this.lost(`exited (code ${code}, signal ${signal})`, proc));
    // what was watched before (a watchdog that died and is started again) is watched again
    proc.stdin?.write([...this.groups].map((g) => `+${g}\n`).join(''));
  }

  private lost(why: string, proc?: ChildProcess): void {
    if (proc && this.proc !== proc) return;
    this.proc = undefined;
    if (this.warned) return;
    this.warned = true;
    this.log.warn(`process watchdog ${why}: what child processes start themselves may outlive a SIGKILL of tsrs (started again with the next child)`);
  }
}

/** Whether anything of process group `pgid` still runs. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every child process of the server. */
export class ProcessSupervisor {
  private readonly procs = new Set<SupervisedProcess>();
  private readonly opts: SupervisorOptions;
  private readonly wrapper: string | undefined;
  private readonly watchdog: GroupWatchdog | undefined;
  private readonly onExit = (): void => {
    this.killAll();
    this.watchdog?.close();
  };

  constructor(private readonly log: Logger, opts: Partial<SupervisorOptions> = {}, env: NodeJS.ProcessEnv = process.env) {
    this.opts = { ...DEFAULT_SUPERVISOR_OPTIONS, ...opts };
    this.wrapper = process.platform === 'linux' ? findExecutable('setpriv', env) : undefined;
    if (!this.wrapper && process.platform === 'linux') {
      log.warn('setpriv (util-linux) not found: child processes are stopped when tsrs exits, but not if tsrs is killed with SIGKILL');
    }
    this.watchdog = process.platform === 'win32' ? undefined : new GroupWatchdog(log);
    process.on('exit', this.onExit);
  }

  /**
   * Starts a child and keeps it running until `stop()`. Throws when `maxProcesses` children
   * already run or the command is not found (the error names it).
   */
  start(spec: ProcessSpec): SupervisedProcess {
    const max = typeof this.opts.maxProcesses === 'function' ? this.opts.maxProcesses() : this.opts.maxProcesses;
    if (this.procs.size >= max) throw new Error(`${this.procs.size} child processes already run (max_child_processes ${max})`);
    const found = findExecutable(spec.command, spec.env ?? process.env);
    if (!found) throw new Error(`${spec.command}: not found or not executable`);
    const p = new SupervisedProcess({ ...spec, command: found }, this.opts, this.log, this.wrapper, (gone) => this.procs.delete(gone), this.watchdog);
    this.procs.add(p);
    return p;
  }

  list(): ProcessInfo[] {
    const now = Date.now();
    return [...this.procs].map((p) => p.info(now));
  }

  /** Stops every child (SIGTERM, then SIGKILL after the grace period); for a graceful shutdown. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop()));
  }

  /** SIGKILL to every child at once. */
  killAll(): void {
    for (const p of this.procs) p.killNow();
    this.procs.clear();
  }

  /** Stops every child and forgets the exit hook (tests, shutdown). */
  async close(): Promise<void> {
    await this.stopAll();
    this.watchdog?.close();
    process.off('exit', this.onExit);
  }
}
