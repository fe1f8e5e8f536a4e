/**
 * `tsrs-bench play` against a real tsrs with `tsrs-bench publish` feeding it:
 * every player connects, receives frames, and lag figures come out. No timing asserts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { basicConf, kill, startServer, tempDir, type RunningServer } from '@tsrs/server/dist/test/harness.js';
import { parseFlags } from '../src/args.js';
import { gen } from '../src/gen.js';
import type { PlayResult } from '../src/play.js';
import { CLI, runPlayJson } from './play-helpers.js';

let server: RunningServer;
let publisher: ChildProcess;

before(async () => {
  const dir = tempDir('tsrs-bench-');
  const file = join(dir, 'in.flv');
  await gen(parseFlags(['-o', file, '-b', '300k', '-d', '4', '--size', '320x180']).flags);
  server = await startServer((p) => basicConf(p));
  publisher = spawn(process.execPath, [CLI, 'publish', '-u', server.rtmpUrl('/live/bench'), '-i', file, '--quiet'], { stdio: 'inherit' });
});

after(async () => {
  kill(publisher);
  await server?.stop();
});

function runPlay(url: string): Promise<PlayResult> {
  return runPlayJson(['-u', url, '-n', '20', '--ramp', '100', '--warmup', '1', '-d', '3', '--interval', '1']);
}

function check(r: PlayResult): void {
  assert.equal(r.connected, 20, JSON.stringify(r));
  assert.equal(r.failed, 0, JSON.stringify(r));
  assert.ok(r.frames >= 20, `frames ${r.frames}`);
  assert.ok(r.kbps > 0);
  assert.ok(r.lag_samples > 0, 'lag probes received');
  assert.equal(typeof r.lag_ms_p50, 'number');
  assert.equal(typeof r.lag_ms_p95, 'number');
}

test('20 RTMP players', async () => {
  check(await runPlay(server.rtmpUrl('/live/bench')));
});

test('20 HTTP-FLV players', async () => {
  check(await runPlay(server.httpUrl('/live/bench.flv')));
});
