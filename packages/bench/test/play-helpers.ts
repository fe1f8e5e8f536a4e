/** Running the bench CLI from tests: `tsrs-bench play ... --json` in a child, its final JSON line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlayResult } from '../src/play.js';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

/**
 * Runs `tsrs-bench play <args> --json`; `track` gets the child (to kill it if the test ends first);
 * `env`: added to the child's environment.
 */
export function runPlayJson(args: string[], track?: (p: ChildProcess) => void, env?: Record<string, string>): Promise<PlayResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'play', ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    track?.(p);
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.once('error', reject);
    p.once('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch {
        reject(new Error(`no JSON from tsrs-bench play: ${out}`));
      }
    });
  });
}
