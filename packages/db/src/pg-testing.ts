// Test helper: a throwaway PostgreSQL server (initdb + postgres on a free 127.0.0.1 port, data in
// a temp dir), stopped and removed after the test. As root (CI) it runs as the `postgres` user,
// since PostgreSQL refuses to run as root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const SEARCH = ['/usr/lib/postgresql', '/usr/local/pgsql/bin', '/usr/pgsql'];

/** The directory holding initdb and postgres, or null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  const env = process.env.TSRS_PG_BIN;
  if (env && fs.existsSync(path.join(env, 'initdb'))) return env;
  for (const base of SEARCH) {
    if (!fs.existsSync(base)) continue;
    if (fs.existsSync(path.join(base, 'initdb'))) return base;
    // Debian: /usr/lib/postgresql/<major>/bin, newest first.
    const majors = fs.readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const m of majors) if (fs.existsSync(path.join(base, m, 'bin', 'initdb'))) return path.join(base, m, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  return null;
}

/** Why PostgreSQL tests cannot run here (printed by the skip), or null when they can. */
export const pgSkipReason: string | null = findPostgresBin() ? null : 'PostgreSQL binaries (initdb, postgres) not installed: PostgreSQL history tests SKIPPED';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  /** postgresql://tsrs@127.0.0.1:PORT/postgres */
  url: string;
  /** A fresh, empty database on the same server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a PostgreSQL server for one test file; stop() (also registered with t.after) cleans up. */
export async function startPostgres(t: { after(fn: () => unknown): void }): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(pgSkipReason ?? 'no PostgreSQL');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrs-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses root: run as the postgres user, owning the temp dir.
  const argv = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
  if (asRoot) execFileSync('chown', ['-R', 'postgres', dir]);
  const [initCmd, initArgs] = argv('initdb', ['-D', data, '-U', 'tsrs', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'ignore', timeout: 120_000 });
  const port = await freePort();
  const [cmd, args] = argv('postgres', ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-4000)));
  const url = `postgresql://tsrs@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT'); // fast shutdown
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.after(stop);
  const end = Date.now() + 60_000;
  for (;;) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > end) {
        await stop();
        throw new Error(`PostgreSQL did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
  };
}
