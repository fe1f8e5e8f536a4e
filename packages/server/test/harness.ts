/**
 * Integration-test harness: runs the real `tsrs` CLI on free ports in a temp dir
 * and drives it with real clients (FFmpeg, ffprobe, rtmpdump).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { openFileLimit as processOpenFileLimit } from '../src/app/connection-limit.js';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/harness.js -> dist/src/cli.js */
export const CLI = join(here, '..', 'src', 'cli.js');

/** ports freePort handed out in this process: the kernel may give a just-closed port again */
const handedOut = new Set<number>();

/**
 * A TCP port free on 127.0.0.1 now, never one this process was given before (a server's three
 * ports came out equal once, when the kernel handed a just-closed ephemeral port out again).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        const p = a && typeof a === 'object' ? a.port : 0;
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port) || attempt >= 50) {
      if (handedOut.size >= 20_000) handedOut.clear();
      handedOut.add(port);
      return port;
    }
  }
}

export interface Ports {
  rtmp: number;
  http: number;
  api: number;
}

export interface RunningServer {
  ports: Ports;
  dir: string;
  proc: ChildProcess;
  /** everything the server printed so far */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  rtmpUrl(path: string): string;
  httpUrl(path: string): string;
  apiUrl(path: string): string;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  dir?: string;
  /**
   * Run the server under this open-file limit (soft and hard, so Node cannot raise it),
   * through `prlimit`; the process's pid is still the server's.
   */
  fdLimit?: number;
  /** more command-line arguments after `-c <file>` (`--workers 2`) */
  args?: string[];
  /** how long the server may take to say it started (default 30 s) */
  startTimeoutMs?: number;
}

/**
 * Start `tsrs -c <file>` with a config made by `makeConf(ports)`; `${dir}` in it
 * is the temp working dir. Resolves when the RTMP port accepts connections.
 */
export async function startServer(makeConf: (p: Ports) => string, opts: StartOptions = {}): Promise<RunningServer> {
  const ports = { rtmp: await freePort(), http: await freePort(), api: await freePort() };
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tsrs-test-'));
  const file = join(dir, 'test.conf');
  writeFileSync(file, makeConf(ports));
  const node = [process.execPath, CLI, '-c', file, ...(opts.args ?? [])];
  const [cmd, ...args] = opts.fdLimit ? ['prlimit', `--nofile=${opts.fdLimit}:${opts.fdLimit}`, ...node] : node;
  const proc = spawn(cmd, args, {
    cwd: dir,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  // Listeners start one after the other: ready once tsrs says every one of them is up.
  // 30 s: a loaded 2-core machine with coverage on (npm test) needs several seconds to load the CLI.
  const started = waitFor('tsrs started', () => / tsrs \S+ started/.test(out), opts.startTimeoutMs ?? 30_000).then(
    () => true,
    () => false,
  );
  const ready = await Promise.race([started, exited.then(() => false)]);
  if (!ready) {
    // A server that never came up must not outlive the failure (its pipes would hold the test file open).
    proc.kill('SIGKILL');
    throw new Error(`tsrs did not start:\n${out}`);
  }
  return {
    ports,
    dir,
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      // 15 s: tsrs's own graceful-stop limit is 5 s, then it writes its coverage data (npm test) on exit.
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    rtmpUrl: (path) => `rtmp://127.0.0.1:${ports.rtmp}${path}`,
    httpUrl: (path) => `http://127.0.0.1:${ports.http}${path}`,
    apiUrl: (path) => `http://127.0.0.1:${ports.api}${path}`,
  };
}

/**
 * A minimal config: RTMP, HTTP API, HTTP server with HTTP-FLV; `vhostExtra` goes into __defaultVhost__,
 * `globalExtra` into the global scope (max_connections is 2000 unless it sets its own).
 */
export function basicConf(p: Ports, vhostExtra = '', globalExtra = ''): string {
  return `
listen ${p.rtmp};
${/\bmax_connections\b/.test(globalExtra) ? '' : 'max_connections 2000;'}
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; }
http_server { enabled on; listen ${p.http}; dir ./html; }
${globalExtra}
vhost __defaultVhost__ {
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  ${vhostExtra}
}
`;
}

export async function waitPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface PublishOptions {
  /** seconds; default: until killed */
  duration?: number;
  video?: boolean;
  audio?: boolean;
  size?: string;
  rate?: number;
  /** video bitrate, e.g. '500k' */
  bitrate?: string;
  /**
   * Constant bitrate with filler NALs (e.g. '24M'): loopback TCP buffers soak up
   * megabytes, so tests of slow readers need a stream that fills them quickly.
   */
  cbr?: string;
  gop?: number;
  /** more libx264 options, e.g. ['-level:v', '4.2'] */
  videoArgs?: string[];
}

/** FFmpeg publishing an H.264 + AAC test pattern in real time. */
export function ffmpegPublish(url: string, o: PublishOptions = {}): ChildProcess {
  const { video = true, audio = true, size = '320x240', rate = 25, gop = 50 } = o;
  const args = ['-hide_banner', '-loglevel', 'error', '-re'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`);
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100');
  if (o.duration) args.push('-t', String(o.duration));
  if (video) {
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', String(gop));
    if (o.bitrate) args.push('-b:v', o.bitrate, '-maxrate', o.bitrate, '-bufsize', o.bitrate);
    if (o.cbr) args.push('-b:v', o.cbr, '-minrate', o.cbr, '-maxrate', o.cbr, '-bufsize', '4M', '-x264-params', 'nal-hrd=cbr:filler=1');
    if (o.videoArgs) args.push(...o.videoArgs);
  }
  if (audio) args.push('-c:a', 'aac', '-b:a', '64k');
  args.push('-f', 'flv', url);
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Wait for a child to exit; resolves its exit code (null when killed by a signal). */
export function exitOf(proc: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

export function kill(proc: ChildProcess | undefined): void {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
  profile?: string;
}

export async function ffprobe(input: string, extra: string[] = []): Promise<{ streams: ProbeStream[]; format: { duration?: string } }> {
  const { stdout } = await execFileP('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', ...extra, input], {
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

/**
 * Decode a file fully; returns what FFmpeg printed at error level (empty = clean). FFmpeg must
 * run and exit 0: a missing ffmpeg, a timeout, a signal or a non-zero exit throw, so a decode
 * that did not happen never reads as a clean one.
 */
export async function decodeErrors(input: string, timeoutMs = 60_000): Promise<string> {
  try {
    const r = await execFileP('ffmpeg', ['-nostdin', '-v', 'error', '-i', input, '-f', 'null', '-'], { timeout: timeoutMs });
    return String(r.stderr ?? '');
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('ffmpeg is not installed (apt-get install -y ffmpeg): the media tests need it');
    if (err.killed || err.signal) throw new Error(`ffmpeg decoding ${input} did not finish (${err.signal ?? 'killed'} after ${timeoutMs} ms)`);
    throw new Error(`ffmpeg could not decode ${input} (exit ${String(err.code)}): ${String(err.stderr ?? '').trim()}`);
  }
}

export function tempDir(prefix = 'tsrs-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function frameRate(s: ProbeStream): number {
  const [n, d] = (s.avg_frame_rate && s.avg_frame_rate !== '0/0' ? s.avg_frame_rate : s.r_frame_rate ?? '0/1').split('/').map(Number);
  return d ? n / d : 0;
}

/** A process's resident memory (VmRSS in /proc/PID/status), KiB; 0 when it is gone. */
export function rssKiB(pid: number): number {
  return procStatusKiB(pid, 'VmRSS');
}

/** Samples a process's RSS (KiB) every 100 ms from now on: its RSS now, the largest seen so far, and a stop. */
export function watchRss(pid: number): { base: number; max: () => number; stop: () => void } {
  const base = rssKiB(pid);
  let max = base;
  const timer = setInterval(() => (max = Math.max(max, rssKiB(pid))), 100);
  return {
    base,
    max: () => Math.max(max, rssKiB(pid)),
    stop: () => clearInterval(timer),
  };
}

/** A KiB figure of /proc/PID/status (VmRSS, VmHWM = the peak RSS...); 0 when unreadable. */
export function procStatusKiB(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line ? Number.parseInt(line.slice(field.length + 1).trim(), 10) || 0 : 0;
  } catch {
    return 0;
  }
}

/** This process's open-file limit (soft), e.g. 1024 in Debian's default shell; large when unlimited. */
export function openFileLimit(): number {
  return processOpenFileLimit() ?? 1 << 20;
}
