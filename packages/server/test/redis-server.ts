/**
 * Test helper: a throwaway redis-server on a free 127.0.0.1 port, data in a temp dir, no
 * persistence (`--save '' --appendonly no`), stopped and removed after the test. Tests that need
 * Redis skip with `redisSkipReason` where redis-server is not installed (CI installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './harness.js';

const SEARCH = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];

/** The redis-server binary (TSRS_REDIS_SERVER overrides), or null when it is not installed. */
export function findRedisServer(): string | null {
  const env = process.env.TSRS_REDIS_SERVER;
  if (env && fs.existsSync(env)) return env;
  for (const p of SEARCH) if (fs.existsSync(p)) return p;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && fs.existsSync(path.join(dir, 'redis-server'))) return path.join(dir, 'redis-server');
  return null;
}

/** Why Redis tests cannot run here (printed by the skip), or null when they can. */
export const redisSkipReason: string | null = findRedisServer() ? null : 'redis-server not installed (apt-get install redis-server): Redis tests SKIPPED';

export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  /** The server process (for kill -9 tests). */
  child: ChildProcess;
  /** A client connected to this server; closed by stop(). */
  client(): Redis;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), keeping the port for nothing; stop() still cleans up. */
  kill(): Promise<void>;
}

export interface RedisOptions {
  /** a port to listen on (to bring a killed server back where its clients reconnect); default: a free one */
  port?: number;
}

/** Starts redis-server for one test file; stop() (also registered with t.after) cleans up. */
export async function startRedis(t: { after(fn: () => unknown): void }, opts: RedisOptions = {}): Promise<TestRedis> {
  const bin = findRedisServer();
  if (!bin) throw new Error(redisSkipReason ?? 'no redis-server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrs-redis-'));
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', ''];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => void (output = (output + b.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const clients: Redis[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.disconnect();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.after(stop);
  const url = `redis://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    const pong = await ping(port).catch(() => false);
    if (pong) break;
    if (child.exitCode !== null || Date.now() > end) {
      await stop();
      throw new Error(`redis-server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url,
    child,
    client() {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    stop,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One RESP PING on a fresh socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('ping timeout'));
    }, 1000);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('data', (b) => {
      got += b.toString();
      if (got.includes('\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(got.startsWith('+PONG'));
      }
    });
    s.write('PING\r\n');
  });
}
