/**
 * `tsrs-bench soak`: everything at once for N minutes against one tsrs (ours, started on free
 * ports with a soak config, or an existing one), sampling the server's RSS, descriptors, heap
 * and handles every 10 s; fails on growth after the warm-up, a crash or an interrupted
 * healthy player. Writes soak-samples.csv, soak-rss-fds.svg, report.md and summary.json.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { num, str, type Flags } from './args.js';
import { gen } from './gen.js';
import { loadFlv } from './media.js';
import { CpuMeter, rssKiB } from './proc.js';
import { startAttacks } from './soak-attacks.js';
import { Healthy, PlayerChurn, PublishChurn, Reloader, SoakCtx, fmtT, kickOne, refusals, sleep } from './soak-load.js';
import {
  csvHeader, csvLine, flatnessTable, judgeFlat, renderSvg, warmupSeconds, type Flatness, type Sample,
} from './soak-report.js';
import { parseServerUrls, startHookServer, startOwnServer, type HookServer, type SoakPorts, type SoakTarget } from './soak-server.js';

export const SOAK_HELP = `  soak     everything at once against one tsrs for a while; fails on growth, a crash or a stall
             --minutes N (or --seconds N)  --interval S (samples, 10)  --out DIR (objs/soak/<time>)
             --server rtmp://H:P,http://H:P,http://H:P   attach to a running server (RTMP, HTTP, API)
             --pid PID (with --server: the process to read RSS and fds of)
             --healthy N (healthy streams, 1-2, default 2)  --scale X (attack and churn rate, 1)
             --tolerance PCT (10)  --fd-slack N (10)  --rss-slack-mib N (5)  --input FILE (media)
             --image FILE   also write the SVG there (e.g. docs/images/soak-rss-fds.svg)
             Without --server it starts packages/server's built CLI with HLS (hls_ctx), HTTP-FLV,
             DVR, refusing hooks, security rules and the raw API's reload.
`;

export interface SoakSummary {
  ok: boolean;
  reasons: string[];
  seconds: number;
  warmup: number;
  crashed: { at: number; code: number | null; signal: string | null } | null;
  exitCode: number | null | undefined;
  healthy: { stream: string; proto: string; frames: number; lastTs: number; restarts: number }[];
  interruptions: { t: number; what: string }[];
  flatness: Flatness[];
  counters: Record<string, number>;
  samples: number;
  tolerance: number;
  slack: string;
  /** mean CPU % of one core over the samples: the server's and the soak tool's */
  cpu: { server: number | null; tool: number };
  out: string;
}

/** objs/soak/2026-11-29T20-55-00 under the directory npm was run from */
function defaultOut(): string {
  const base = process.env.INIT_CWD ?? process.cwd();
  return join(base, 'objs', 'soak', new Date().toISOString().slice(0, 19).replace(/:/g, '-'));
}

/** The test media: 300 kbit/s, 320x180, 1 s GOP, 10 s, made once per machine. */
async function media(flags: Flags): Promise<string> {
  if (typeof flags.input === 'string') return flags.input;
  const file = join(tmpdir(), 'tsrs-soak-300k-gop1.flv');
  if (existsSync(file)) return file;
  const part = `${file}.${process.pid}.part`;
  await gen({ output: part, bitrate: '300k', duration: '10', size: '320x180', gop: '1' });
  renameSync(part, file);
  return file;
}

/** unlabeled Prometheus values: name -> number */
function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r = /^([a-z_]+) (\S+)$/.exec(line);
    if (r) m.set(r[1], Number(r[2]));
  }
  return m;
}

function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function soak(flags: Flags): Promise<SoakSummary> {
  const seconds = flags.seconds !== undefined ? num(flags, 'seconds', 60) : num(flags, 'minutes', 5) * 60;
  const interval = num(flags, 'interval', 10);
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), str(flags, 'out', defaultOut()));
  const tolerance = num(flags, 'tolerance', 10);
  const fdSlack = num(flags, 'fd-slack', 10);
  const rssSlackKiB = num(flags, 'rss-slack-mib', 5) * 1024;
  const healthyCount = Math.min(2, Math.max(1, num(flags, 'healthy', 2)));
  const scale = num(flags, 'scale', 1);
  mkdirSync(out, { recursive: true });
  const log = (line: string) => process.stderr.write(line + '\n');

  const file = await media(flags);
  let hooks: HookServer | undefined;
  let target: SoakTarget;
  let ports: SoakPorts | undefined;
  if (typeof flags.server === 'string') {
    target = parseServerUrls(flags.server, flags.pid ? num(flags, 'pid', 0) : undefined);
  } else {
    hooks = await startHookServer();
    const dir = join(out, 'server');
    mkdirSync(dir, { recursive: true });
    ({ target, ports } = await startOwnServer(dir, hooks.port));
  }
  const pid = target.pid;
  log(`soak: ${fmtT(seconds)} against rtmp ${target.rtmp.port} http ${target.http.port} api ${target.api}${pid ? ` pid ${pid}` : ''}, out ${out}`);

  const ctx = new SoakCtx(target, loadFlv(file), log);
  const warmup = warmupSeconds(seconds);
  const csv = join(out, 'soak-samples.csv');
  writeFileSync(csv, csvHeader());
  const samples: Sample[] = [];
  const cpu = pid ? new CpuMeter(pid) : undefined;
  const toolCpu = new CpuMeter('self');
  const healthy: Healthy[] = [];
  let crashed: SoakSummary['crashed'] = null;
  const own = target.own;
  const crashWatch = own?.exited.then(() => {
    if (ctx.stopping) return;
    crashed = { at: Math.round(ctx.elapsed), code: own.exit!.code, signal: own.exit!.signal };
    ctx.event(`SERVER EXITED: code ${own.exit!.code} signal ${own.exit!.signal}`);
  });

  const sample = async (): Promise<Sample> => {
    let m = new Map<string, number>();
    try {
      const res = await fetch(`${target.api}/metrics`, { signal: AbortSignal.timeout(5000) });
      m = parseMetrics(await res.text());
    } catch (err) {
      ctx.count('sample.metrics_failed');
    }
    const g = (k: string) => m.get(k) ?? null;
    const up = pid !== undefined && alive(pid);
    const s: Sample = {
      t: Math.round(ctx.elapsed * 10) / 10,
      rss_kib: up ? rssKiB(pid!) : g('srs_memory'),
      fds: up ? fdCount(pid!) : null,
      heap_used: g('tsrs_heap_used_bytes'),
      heap_total: g('tsrs_heap_total_bytes'),
      external: g('tsrs_external_bytes'),
      array_buffers: g('tsrs_array_buffers_bytes'),
      active_resources: g('tsrs_active_resources'),
      clients: g('srs_clients'),
      streams: g('srs_streams'),
      connections: g('tsrs_connections'),
      sockets: g('tsrs_sockets'),
      cpu_pct: up && cpu ? Math.round(cpu.sample()) : g('srs_cpu_percent'),
      tool_rss_kib: rssKiB('self'),
      tool_cpu_pct: Math.round(toolCpu.sample()),
      healthy_frames: healthy.reduce((a, h) => a + h.frames, 0),
      churn_players: ctx.live.churn,
      attack_sockets: ctx.live.attack,
    };
    samples.push(s);
    appendFileSync(csv, csvLine(s));
    const mib = (k: number | null) => (k === null ? '-' : (k / 1024).toFixed(1));
    log(
      `[${fmtT(s.t)}] rss=${mib(s.rss_kib)}MiB fds=${s.fds ?? '-'} heap=${s.heap_used === null ? '-' : (s.heap_used / 1048576).toFixed(1)}MiB ` +
        `handles=${s.active_resources ?? '-'} clients=${s.clients ?? '-'} streams=${s.streams ?? '-'} cpu=${s.cpu_pct ?? '-'}% ` +
        `tool cpu=${s.tool_cpu_pct}% churn=${s.churn_players} attack=${s.attack_sockets} healthy_frames=${s.healthy_frames} interruptions=${ctx.interruptions.length}`,
    );
    return s;
  };

  let runError: string | undefined;
  try {
    for (let i = 0; i < healthyCount; i++) {
      const h = new Healthy(ctx, i === 1 ? 'rec' : 'live', `healthy${i}`);
      healthy.push(h);
      await h.start();
    }
    await sample();
    const churn = new PublishChurn(ctx);
    churn.start(4000 / scale);
    new PlayerChurn(ctx, healthy, churn).start(1500 / scale);
    ctx.every('kick', 15_000 / scale, () => kickOne(ctx));
    const reloader = new Reloader(ctx, ports);
    ctx.every('reload', 60_000, () => reloader.once());
    if (target.hooks) ctx.every('refusal', 10_000 / scale, () => refusals(ctx, healthy[0]));
    startAttacks(ctx, healthy[0].path, scale);

    const end = Date.now() + seconds * 1000;
    let next = Date.now() + interval * 1000;
    while (Date.now() < end && !crashed) {
      await sleep(Math.max(0, Math.min(next, end) - Date.now()));
      if (crashed) break;
      if (pid && !own && !alive(pid)) {
        crashed = { at: Math.round(ctx.elapsed), code: null, signal: null };
        ctx.event(`SERVER PROCESS ${pid} IS GONE`);
        break;
      }
      if (Date.now() >= next) {
        await sample();
        next += interval * 1000;
      }
    }
    if (!crashed && samples[samples.length - 1].t < seconds - 1) await sample();
  } catch (err) {
    runError = err instanceof Error ? err.message : String(err);
    ctx.event(`soak aborted: ${runError}`);
  }
  // healthy figures before the stop closes them
  const healthyRows = healthy.flatMap((h) =>
    h.players.map((w) => ({ stream: h.path, proto: w.proto, frames: w.framesBefore + w.player.frames, lastTs: w.player.lastVideoTs, restarts: w.restarts })),
  );
  ctx.stop();
  await sleep(500);

  // stop our server: a clean exit (code 0) on SIGTERM is part of the verdict
  let exitCode: number | null | undefined;
  if (own) {
    if (!own.exit) {
      own.proc.kill('SIGTERM');
      const t = setTimeout(() => own.proc.kill('SIGKILL'), 10_000);
      await own.exited;
      clearTimeout(t);
    }
    await crashWatch;
    exitCode = own.exit!.code;
    rmSync(join(own.dir, 'html'), { recursive: true, force: true });
    rmSync(join(own.dir, 'dvr'), { recursive: true, force: true });
  }
  await hooks?.close();
  if (hooks) for (const [k, v] of hooks.calls) ctx.count(`hook.${k}`, v);

  const series = (f: (s: Sample) => number | null) => samples.filter((s) => f(s) !== null).map((s) => ({ t: s.t, v: f(s)! }));
  const kib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  const bytes = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const rss = judgeFlat('RSS', series((s) => s.rss_kib), warmup, tolerance, rssSlackKiB, kib);
  const fds = judgeFlat('open fds', series((s) => s.fds), warmup, tolerance, fdSlack);
  // the heap is a GC sawtooth: its peaks depend on when V8 collected; shown, not judged
  const heap = judgeFlat('V8 heap used (info)', series((s) => s.heap_used), warmup, tolerance, 0, bytes);
  const handles = judgeFlat('active handles (info)', series((s) => s.active_resources), warmup, tolerance, fdSlack);

  const reasons: string[] = [];
  if (runError) reasons.push(`run aborted: ${runError}`);
  const crash = crashed as SoakSummary['crashed'];
  if (crash) reasons.push(`server exited at ${fmtT(crash.at)} (code ${crash.code}, signal ${crash.signal})`);
  else if (own && exitCode !== 0) reasons.push(`server exit code ${exitCode} after SIGTERM`);
  if (ctx.interruptions.length) reasons.push(`${ctx.interruptions.length} healthy player interruption(s), first at ${fmtT(ctx.interruptions[0].t)}: ${ctx.interruptions[0].what}`);
  if (healthyRows.some((r) => r.frames === 0)) reasons.push('a healthy player received no video');
  for (const f of [rss, fds]) if (!f.pass) reasons.push(`${f.metric} grows: ${f.why}`);
  if (!rss.judged && !pid && samples.every((s) => s.rss_kib === null)) reasons.push('no RSS figures (no --pid and no /metrics)');
  const summary: SoakSummary = {
    ok: reasons.length === 0,
    reasons,
    seconds,
    warmup,
    crashed: crash,
    exitCode,
    healthy: healthyRows,
    interruptions: ctx.interruptions,
    flatness: [rss, fds, heap, handles],
    counters: Object.fromEntries([...ctx.counters].sort(([a], [b]) => (a < b ? -1 : 1))),
    samples: samples.length,
    tolerance,
    cpu: {
      server: mean(samples.map((x) => x.cpu_pct).filter((x): x is number => x !== null)),
      tool: mean(samples.map((x) => x.tool_cpu_pct)) ?? 0,
    },
    slack: `RSS ${rssSlackKiB / 1024} MiB, fds ${fdSlack}`,
    out,
  };
  const title = `tsrs soak, ${seconds % 60 ? `${seconds} s` : `${seconds / 60} min`}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${summary.ok ? 'PASS' : 'FAIL'}`;
  const svg = renderSvg({ title, samples, seconds, warmup, rss, fds });
  writeFileSync(join(out, 'soak-rss-fds.svg'), svg);
  // --image docs/images/soak-rss-fds.svg: a copy where the README can show it
  if (typeof flags.image === 'string') writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), flags.image), svg);
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ ...summary, events: ctx.events }, null, 2) + '\n');
  const md = report(summary, title, ctx.events.length);
  writeFileSync(join(out, 'report.md'), md);
  process.stdout.write(md);
  return summary;
}

function mean(xs: number[]): number | null {
  return xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
}

function report(s: SoakSummary, title: string, events: number): string {
  const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const c = s.counters;
  const sum = (prefix: string) => Object.entries(c).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  const lines = [
    `## ${title}`,
    '',
    s.ok ? '**PASS**: flat after the warm-up, no crash, no healthy player interrupted.' : `**FAIL**: ${s.reasons.join('; ')}`,
    '',
    `Warm-up: the first ${Math.round(s.warmup)} s; ${s.samples} samples. Flat = the max of the last third of the samples after the warm-up ` +
      `(rolling median of 3) is at most the baseline (median of the first third) + ${s.tolerance}% + slack (${s.slack}), and the ` +
      `regression line rises by at most as much.`,
    '',
    flatnessTable(s.flatness, { RSS: mib, 'V8 heap used (info)': mb }),
    '',
    `Mean CPU (one core = 100%): server ${s.cpu.server ?? '-'}%, soak tool ${s.cpu.tool}%.`,
    '',
    '| healthy player | video frames | last timestamp | restarts |',
    '| --- | ---: | ---: | ---: |',
    ...s.healthy.map((h) => `| ${h.proto} ${h.stream} | ${h.frames} | ${(h.lastTs / 1000).toFixed(1)} s | ${h.restarts} |`),
    '',
    '| workload | count |',
    '| --- | --- |',
    `| publishes (churn): ok / failed / kicked or closed | ${c['publish.churn.ok'] ?? 0} / ${c['publish.churn.failed'] ?? 0} / ${c['publish.churn.closed_by_server'] ?? 0} |`,
    `| plays (churn) RTMP / HTTP-FLV / HLS | ${c['play.rtmp.ok'] ?? 0} / ${c['play.flv.ok'] ?? 0} / ${c['play.hls.ok'] ?? 0} (${c['play.hls.segments'] ?? 0} segments) |`,
    `| plays that failed RTMP / HTTP-FLV / HLS | ${c['play.rtmp.failed'] ?? 0} / ${c['play.flv.failed'] ?? 0} / ${c['play.hls.failed'] ?? 0} |`,
    `| plays ended by the server (kicks, waiting timeouts) RTMP / HTTP-FLV / HLS | ${c['play.rtmp.closed_by_server'] ?? 0} / ${c['play.flv.closed_by_server'] ?? 0} / ${c['play.hls.closed_by_server'] ?? 0} |`,
    `| kicks (API) publishers / players | ${c['kick.publisher'] ?? 0} / ${c['kick.player'] ?? 0} |`,
    `| reloads API / SIGHUP / failed | ${c['reload.api'] ?? 0} / ${c['reload.sighup'] ?? 0} / ${c['reload.failed'] ?? 0} |`,
    `| hook refusals publish / RTMP play / HTTP-FLV play / wrongly allowed | ${c['refusal.publish'] ?? 0} / ${c['refusal.play_rtmp'] ?? 0} / ${c['refusal.play_flv'] ?? 0} / ${c['refusal.unexpectedly_allowed'] ?? 0} |`,
    `| idle sockets RTMP / HTTP (closed by the server within 30 s) | ${c['attack.idle_rtmp.opened'] ?? 0} (${c['attack.idle_rtmp.closed_by_server'] ?? 0}) / ${c['attack.idle_http.opened'] ?? 0} (${c['attack.idle_http.closed_by_server'] ?? 0}) |`,
    `| half handshakes (closed by the server within 30 s) | ${c['attack.half_handshake.opened'] ?? 0} (${c['attack.half_handshake.closed_by_server'] ?? 0}) |`,
    `| idle HTTP-FLV of unpublished streams (closed by the server within 45 s) | ${c['attack.idle_flv.opened'] ?? 0} (${c['attack.idle_flv.closed_by_server'] ?? 0}) |`,
    `| bare m3u8 GETs | ${sum('attack.m3u8.http_')} |`,
    `| hostile publishers (closed by the server) | ${c['attack.hostile_publisher.attempt'] ?? 0} (${c['attack.hostile_publisher.closed_by_server'] ?? 0}) |`,
    `| pausing players | ${c['attack.pausing_player.attempt'] ?? 0} |`,
    `| 8 MB AMF connects (closed by the server) | ${c['attack.big_connect.attempt'] ?? 0} (${c['attack.big_connect.closed_by_server'] ?? 0}) |`,
    '',
    ...(s.interruptions.length
      ? ['Healthy player interruptions (time since the start):', '', ...s.interruptions.slice(0, 20).map((e) => `- ${fmtT(e.t)} ${e.what}`), '']
      : []),
    `All counters and ${events} events: summary.json; samples: soak-samples.csv; picture: soak-rss-fds.svg (in ${s.out}).`,
    '',
  ];
  return lines.join('\n');
}
