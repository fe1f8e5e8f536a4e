/**
 * `tsrs-bench soak`: the verdict's arithmetic, and a 30-second run against the built tsrs:
 * every workload ran, the healthy players advanced, the server survived and stopped cleanly,
 * and the CSV, SVG, report and summary came out. Flatness is not judged on so short a run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { basicConf, kill, startServer } from '@tsrs/server/dist/test/harness.js';
import type { Media } from '../src/media.js';
import type { Player } from '../src/player.js';
import { Healthy, SoakCtx } from '../src/soak-load.js';
import { judgeFlat, parseCsv, warmupSeconds } from '../src/soak-report.js';
import { hookRefuses, parseServerUrls } from '../src/soak-server.js';
import type { SoakSummary } from '../src/soak.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

const series = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ t: i * 10, v: f(i) }));

test('warm-up: 20% of the run, at least 2 minutes, at most half', () => {
  assert.equal(warmupSeconds(1800), 360);
  assert.equal(warmupSeconds(300), 120);
  assert.equal(warmupSeconds(40), 20);
});

test('judgeFlat: flat and noisy passes, a leak fails on peak and trend, a short run is not judged', () => {
  const warm = 100;
  const flat = judgeFlat('rss', series(60, (i) => (i < 10 ? 50 + i * 5 : 100 + (i % 3) * 3)), warm);
  assert.equal(flat.judged, true);
  assert.equal(flat.pass, true, flat.why);
  assert.equal(flat.baseline, 103);

  const leak = judgeFlat('rss', series(60, (i) => 100 + i * 0.5), warm);
  assert.equal(leak.pass, false);
  assert.match(leak.why, /last-third max .* > limit/);
  assert.match(leak.why, /trend/);

  // 10 fds over 50 is 20%: fails without slack, passes with 10 fds of slack
  const fds = series(60, (i) => (i > 40 ? 60 : 50));
  assert.equal(judgeFlat('fds', fds, warm).pass, false);
  assert.equal(judgeFlat('fds', fds, warm, 10, 10).pass, true);

  const short = judgeFlat('rss', series(8, (i) => i * 100), 40);
  assert.equal(short.judged, false);
  assert.equal(short.pass, true);
});

test('hook refusals and --server parsing', () => {
  assert.equal(hookRefuses({ stream: 'refuse1', param: '' }), true);
  assert.equal(hookRefuses({ stream: 'healthy0', param: '?refuse=1' }), true);
  assert.equal(hookRefuses({ stream: 'healthy0', param: '?a=1&refuse' }), true);
  assert.equal(hookRefuses({ stream: 'healthy0', param: '?norefuse=1' }), false);
  const t = parseServerUrls('rtmp://127.0.0.1:1935,http://127.0.0.1:8080,http://127.0.0.1:1985/', 42);
  assert.deepEqual(t.rtmp, { host: '127.0.0.1', port: 1935 });
  assert.deepEqual(t.http, { host: '127.0.0.1', port: 8080 });
  assert.equal(t.api, 'http://127.0.0.1:1985');
  assert.equal(t.pid, 42);
  assert.equal(t.hooks, false);
  assert.throws(() => parseServerUrls('rtmp://h:1', undefined), /--server/);
});

test('healthy check: advancing passes; a stuck timestamp or a closed player is an interruption, and the player is replaced', () => {
  const nowhere = { host: '127.0.0.1', port: 1 };
  const ctx = new SoakCtx({ rtmp: nowhere, http: nowhere, api: 'http://127.0.0.1:1', pid: undefined, hooks: false }, { tags: [], period: 1000, kbps: 0 } as Media, () => {});
  const h = new Healthy(ctx, 'live', 'x');
  const fake = (ts: number, state = 'playing') => ({ state, lastVideoTs: ts, frames: 10, error: state === 'playing' ? undefined : 'closed by peer', close() {} }) as unknown as Player;
  h.players.push({ proto: 'rtmp', player: fake(1000), lastTs: 0, advancedAt: Date.now(), framesBefore: 0, restarts: 0 });
  h.check();
  assert.equal(ctx.interruptions.length, 0);
  assert.equal(h.players[0].lastTs, 1000);
  // no new frame for 7 s (the limit is 6 s)
  h.players[0].advancedAt = Date.now() - 7000;
  h.check();
  assert.equal(ctx.interruptions.length, 1);
  assert.match(ctx.interruptions[0].what, /rtmp player of \/live\/x: video timestamp stuck at 1000 ms/);
  assert.equal(h.players[0].restarts, 1);
  assert.equal(h.players[0].framesBefore, 10);
  // the replacement gets time to start; a closed player is an interruption at once
  h.players[0].player.close();
  h.players[0].player = fake(5000, 'failed');
  h.check();
  assert.equal(ctx.interruptions.length, 2);
  assert.match(ctx.interruptions[1].what, /failed: closed by peer/);
  h.close();
  ctx.stop();
});

test('soak --seconds 30: all workloads run, healthy players advance, the server survives', { timeout: 100_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'tsrs-soak-test-'));
  let stdout = '';
  let stderr = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'soak', '--seconds', '30', '--interval', '5', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.once('error', reject);
    p.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SoakSummary & { events: unknown[] };
  const why = `exit ${code}\n${stdout}\n${stderr.slice(-3000)}`;
  assert.equal(summary.crashed, null, why);
  assert.equal(summary.exitCode, 0, `tsrs exit code after SIGTERM: ${why}`);
  assert.deepEqual(summary.interruptions, [], why);
  assert.equal(summary.ok, true, why);
  assert.equal(code, 0, why);

  // healthy: 2 streams x (RTMP, HTTP-FLV), each about 30 s of 25 fps video
  assert.equal(summary.healthy.length, 4);
  for (const h of summary.healthy) {
    assert.ok(h.frames > 400, `${h.proto} ${h.stream}: ${h.frames} frames`);
    assert.ok(h.lastTs > 20_000, `${h.proto} ${h.stream}: last timestamp ${h.lastTs}`);
  }
  const c = summary.counters;
  for (const k of ['publish.churn.ok', 'play.rtmp.ok', 'play.flv.ok', 'play.hls.ok', 'play.hls.segments', 'reload.api', 'refusal.publish',
    'attack.idle_rtmp.opened', 'attack.half_handshake.opened', 'attack.idle_flv.opened', 'attack.m3u8.http_200', 'hook.on_play'])
    assert.ok((c[k] ?? 0) > 0, `counter ${k}: ${JSON.stringify(c)}`);
  assert.equal(c['refusal.unexpectedly_allowed'] ?? 0, 0);

  // samples: every 5 s, with the server's RSS, fds, heap and handles
  const samples = parseCsv(readFileSync(join(out, 'soak-samples.csv'), 'utf8'));
  assert.ok(samples.length >= 6, `${samples.length} samples`);
  for (const s of samples) {
    assert.ok(s.rss_kib! > 10_000 && s.rss_kib! < 4_000_000, `rss ${s.rss_kib}`);
    assert.ok(s.fds! > 5 && s.fds! < 1000, `fds ${s.fds}`);
    assert.ok(s.heap_used! > 1e6, `heap ${s.heap_used}`);
    assert.ok(s.active_resources! > 0);
  }
  assert.ok(samples[samples.length - 1].healthy_frames > samples[0].healthy_frames);
  // too short to judge flatness: reported as such
  assert.equal(summary.flatness[0].judged, false);

  const svg = readFileSync(join(out, 'soak-rss-fds.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok((svg.match(/<path d="M/g) ?? []).length >= 4, 'RSS, heap, fds and handles lines');
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /\*\*PASS\*\*/);
  assert.match(md, /\| RSS \|/);
  assert.equal(stdout, md);
});

test('soak --server ... --pid: a server that dies mid-run fails the verdict', { timeout: 60_000 }, async () => {
  const server = await startServer((p) => basicConf(p, 'hls { enabled on; hls_path ./html; hls_fragment 2; hls_window 10; }'));
  const out = mkdtempSync(join(tmpdir(), 'tsrs-soak-crash-'));
  const urls = [server.rtmpUrl(''), server.httpUrl(''), server.apiUrl('')].join(',');
  let stdout = '';
  const p = spawn(process.execPath, [CLI, 'soak', '--seconds', '30', '--interval', '2', '--healthy', '1', '--server', urls, '--pid', String(server.proc.pid), '--out', out], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  p.stdout!.on('data', (d) => (stdout += d));
  const code = new Promise<number | null>((resolve) => p.once('exit', resolve));
  try {
    await new Promise((r) => setTimeout(r, 8000));
    server.proc.kill('SIGKILL');
    assert.equal(await code, 1, stdout);
  } finally {
    kill(p);
    await server.stop();
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SoakSummary;
  assert.equal(summary.ok, false);
  assert.ok(summary.crashed, JSON.stringify(summary.reasons));
  assert.ok(summary.crashed.at < 15, `noticed at ${summary.crashed.at} s`);
  assert.match(summary.reasons.join('\n'), /server exited at/);
  assert.match(stdout, /\*\*FAIL\*\*/);
});
