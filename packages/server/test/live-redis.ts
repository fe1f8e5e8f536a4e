/**
 * Test helper: a throwaway redis-server (Debian's, on a free 127.0.0.1 port, no persistence, its
 * working dir a temp dir), killed and removed by stop(). `redisSkipReason` says why Redis tests
 * cannot run (printed by the skip) when redis-server is not installed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitPort } from './harness.js';

const CANDIDATES = [process.env.TSRS_REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'];
export const redisServerBin: string | null = CANDIDATES.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
export const redisSkipReason: string | null = redisServerBin ? null : 'redis-server not installed: Redis cluster tests SKIPPED';

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  if (!redisServerBin) throw new Error(redisSkipReason ?? 'no redis-server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrs-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn(redisServerBin, args, { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitPort(port, 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
