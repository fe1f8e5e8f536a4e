/**
 * `tsrs-bench play`: N light players of one URL (RTMP, HTTP-FLV or a WHEP endpoint for
 * WebRTC), started at a set rate, with a report
 * every few seconds and a final summary measured over the steady window (after the ramp
 * and a warm-up), optionally with the server's CPU and RSS from /proc.
 */
import { num, str, type Flags } from './args.js';
import { FlvPlayer } from './flv-player.js';
import { LagHistogram } from './hist.js';
import type { Player, PlayerEnv } from './player.js';
import { cpuSeconds, CpuMeter, rssKiB } from './proc.js';
import { RtmpPlayer } from './rtmp-player.js';
import { WhepPlayer } from './webrtc-player.js';

export type PlayProto = 'rtmp' | 'flv' | 'webrtc';

/** `--proto`, or what the URL says: rtmp://, a WHEP endpoint (/whep/ in the path), else HTTP-FLV. */
export function playProto(url: string, flag?: string): PlayProto {
  const proto = flag ?? (url.startsWith('rtmp://') ? 'rtmp' : /^https?:\/\/[^?]*\/whep\//.test(url) ? 'webrtc' : 'flv');
  if (proto !== 'rtmp' && proto !== 'flv' && proto !== 'webrtc') throw new Error(`--proto: rtmp, flv or webrtc, got ${proto}`);
  const want = proto === 'rtmp' ? /^rtmp:\/\// : proto === 'flv' ? /^http:\/\// : /^https?:\/\//;
  if (!want.test(url)) throw new Error(`-u: ${proto === 'rtmp' ? 'an rtmp://' : proto === 'flv' ? 'an http://' : 'a WHEP endpoint http://'} URL expected for ${proto}, got ${url}`);
  return proto;
}

/** joining rate defaults: a WebRTC join costs an ICE check, a DTLS handshake (ECDHE, signatures) on both sides */
const DEFAULT_RAMP: Record<PlayProto, number> = { rtmp: 500, flv: 500, webrtc: 50 };
/** how long a player may take to start playing, s (a werift client also makes its DTLS certificate) */
const DEFAULT_CONNECT_TIMEOUT: Record<PlayProto, number> = { rtmp: 15, flv: 15, webrtc: 60 };
/** how long closing the players (WHEP DELETEs) may take at the end */
const CLOSE_TIMEOUT_MS = 10_000;

export interface PlayResult {
  url: string;
  proto: PlayProto;
  target: number;
  connected: number;
  failed: number;
  /** video frames received by all players over the whole run */
  frames: number;
  /** audio messages (WebRTC: RTP packets) received by all players over the whole run */
  audio: number;
  /** per player, over the steady window */
  kbps: number;
  fps: number;
  lag_ms_p50: number | null;
  lag_ms_p95: number | null;
  lag_ms_max: number | null;
  lag_samples: number;
  duration_s: number;
  client_cpu_pct: number;
  client_rss_mb: number;
  server_cpu_pct?: number;
  server_rss_mb?: number;
  /**
   * server CPU microseconds per media unit delivered over the steady window (WebRTC: per RTP
   * packet; RTMP/FLV: per video or audio message): the per-packet cost, comparable between
   * builds measured in the same window even on a loaded machine
   */
  server_cpu_us_per_packet?: number;
  /**
   * the delay the server itself added to WebRTC players' video over the steady window (its
   * /metrics histogram tsrs_rtc_send_delay_ms, with --metrics): from the Source taking a frame to
   * its RTP handed to the send path, per player and frame; p50/p95 interpolated in the buckets.
   * Unlike lag_ms_*, it does not include the players' own backlog when their core is saturated.
   */
  server_delay_ms_p50?: number | null;
  server_delay_ms_p95?: number | null;
  server_delay_samples?: number;
  /** media units lost over the steady window, all players (WebRTC: RTP sequence number gaps) */
  lost: number;
  /**
   * how the players read their media, when it can differ (WebRTC: 'native', the bench's recvmmsg
   * module, or 'js', dgram; 'native 3/4' when mixed); absent for RTMP/FLV
   */
  rtp_reader?: string;
  /** packets that failed a check over the whole run (WebRTC: SRTP authentication of the probed packets) */
  corrupt: number;
  errors: string[];
}


export async function play(flags: Flags): Promise<PlayResult> {
  const url = str(flags, 'url');
  const count = num(flags, 'count', 1);
  const duration = num(flags, 'duration', 10);
  const proto = playProto(url, typeof flags.proto === 'string' ? flags.proto : undefined);
  const ramp = num(flags, 'ramp', DEFAULT_RAMP[proto]);
  const connectTimeoutMs = num(flags, 'connect-timeout', DEFAULT_CONNECT_TIMEOUT[proto]) * 1000;
  const every = num(flags, 'interval', 5);
  const warmup = num(flags, 'warmup', 2);
  const pid = flags.pid ? num(flags, 'pid', 0) : 0;
  const json = flags.json === true;
  const log = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
  const token = typeof flags.token === 'string' ? flags.token : undefined;
  const make =
    proto === 'rtmp'
      ? (env: PlayerEnv) => new RtmpPlayer(url, env)
      : proto === 'flv'
        ? (env: PlayerEnv) => new FlvPlayer(url, env)
        : (env: PlayerEnv) => new WhepPlayer(url, env, { token });

  const lagInterval = new LagHistogram();
  const lagSteady = new LagHistogram();
  let steady = false;
  let failed = 0;
  const errors = new Map<string, number>();
  const players: Player[] = [];
  const env: PlayerEnv = {
    recordLag(ms) {
      lagInterval.record(ms);
      if (steady) lagSteady.record(ms);
    },
    onPlaying() {},
    onFailed(_p, err) {
      failed++;
      errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
    },
  };

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const totals = () => {
    let bytes = 0;
    let frames = 0;
    let audio = 0;
    let packets = 0;
    let lost = 0;
    let corrupt = 0;
    let playing = 0;
    for (const p of players) {
      p.sync();
      bytes += p.bytes;
      frames += p.frames;
      audio += p.audio;
      packets += p.packets || p.frames + p.audio;
      lost += p.lost;
      corrupt += p.corrupt;
      if (p.state === 'playing') playing++;
    }
    return { bytes, frames, audio, packets, lost, corrupt, playing };
  };

  // Ramp: start players at `ramp` per second.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(count, Math.floor(elapsed() * ramp) + 1);
      while (players.length < due) {
        const p = make(env);
        players.push(p);
        p.start();
        setTimeout(() => {
          if (p.state === 'connecting') p.fail(new Error('timeout before playing'));
        }, connectTimeoutMs).unref();
      }
      if (players.length >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });

  const clientCpu = new CpuMeter('self');
  const serverCpu = pid ? new CpuMeter(pid) : undefined;
  let last = { ...totals(), t: elapsed() };
  const report = () => {
    const now = { ...totals(), t: elapsed() };
    const secs = now.t - last.t;
    const n = Math.max(1, now.playing);
    const kbps = ((now.bytes - last.bytes) * 8) / secs / 1000 / n;
    const fps = (now.frames - last.frames) / secs / n;
    const q = (x: number) => lagInterval.quantile(x)?.toFixed(0) ?? '-';
    const srv = serverCpu ? ` server cpu=${serverCpu.sample().toFixed(0)}% rss=${(rssKiB(pid) / 1024).toFixed(0)}MB` : '';
    log(
      `[${now.t.toFixed(0).padStart(4)}s] playing=${now.playing}/${count} failed=${failed} kbps/player=${kbps.toFixed(0)} fps/player=${fps.toFixed(1)} ` +
        `lost=${now.lost - last.lost} lag p50=${q(0.5)} p95=${q(0.95)} max=${lagInterval.count ? lagInterval.max.toFixed(0) : '-'} ms (n=${lagInterval.count}) client cpu=${clientCpu.sample().toFixed(0)}%${srv}`,
    );
    lagInterval.reset();
    last = now;
  };
  const ticker = setInterval(report, every * 1000);

  // Warm-up: every player has joined (or failed: the connect timeout bounds this), then
  // `warmup` seconds more (the GOP cache's burst at join, a WebRTC join's catch-up).
  while (players.some((p) => p.state === 'connecting')) await sleep(100);
  await sleep(warmup * 1000);
  // Steady window: everything is started and warmed up.
  steady = true;
  lagSteady.reset();
  const start = { ...totals(), t: elapsed() };
  const steadyClient = new CpuMeter('self');
  const steadyServer = pid ? new CpuMeter(pid) : undefined;
  const serverCpuStart = pid ? cpuSeconds(pid) : 0;
  const metricsUrl = typeof flags.metrics === 'string' ? flags.metrics : undefined;
  const delayStart = metricsUrl ? await delayBuckets(metricsUrl) : undefined;
  await sleep(duration * 1000);
  const delayEnd = metricsUrl ? await delayBuckets(metricsUrl) : undefined;
  const end = { ...totals(), t: elapsed() };
  clearInterval(ticker);
  const secs = end.t - start.t;
  const n = Math.max(1, end.playing);
  const result: PlayResult = {
    url,
    proto,
    target: count,
    connected: end.playing,
    failed,
    frames: end.frames,
    audio: end.audio,
    kbps: Math.round(((end.bytes - start.bytes) * 8) / secs / 1000 / n),
    fps: round1((end.frames - start.frames) / secs / n),
    lag_ms_p50: lagSteady.quantile(0.5) ?? null,
    lag_ms_p95: lagSteady.quantile(0.95) ?? null,
    lag_ms_max: lagSteady.count ? Math.round(lagSteady.max) : null,
    lag_samples: lagSteady.count,
    duration_s: round1(secs),
    client_cpu_pct: Math.round(steadyClient.sample()),
    client_rss_mb: Math.round(rssKiB('self') / 1024),
    errors: [...errors].slice(0, 5).map(([m, k]) => `${k}x ${m}`),
    lost: end.lost - start.lost,
    corrupt: end.corrupt,
  };
  const readers = players.map((p) => p.reader()).filter((r): r is string => r !== undefined);
  const native = readers.filter((r) => r === 'native').length;
  if (readers.length > 0) result.rtp_reader = native === readers.length ? 'native' : native === 0 ? 'js' : `native ${native}/${readers.length}`;
  if (steadyServer) {
    result.server_cpu_pct = Math.round(steadyServer.sample());
    result.server_rss_mb = Math.round(rssKiB(pid) / 1024);
    const units = end.packets - start.packets;
    if (units > 0) result.server_cpu_us_per_packet = Math.round(((cpuSeconds(pid) - serverCpuStart) * 1e6 * 100) / units) / 100;
  }
  const delayWindow = delayStart && delayEnd ? delayEnd.map(([le, n], i) => [le, n - (delayStart[i]?.[1] ?? 0)] as [number, number]) : [];
  // a negative count: the server restarted during the window, and the figures would mean nothing
  if (delayWindow.length > 0 && delayWindow.every(([, n]) => n >= 0)) {
    const window = delayWindow;
    result.server_delay_samples = window[window.length - 1][1];
    result.server_delay_ms_p50 = bucketQuantile(window, 0.5);
    result.server_delay_ms_p95 = bucketQuantile(window, 0.95);
  }
  await Promise.race([Promise.allSettled(players.map((p) => p.close())), sleep(CLOSE_TIMEOUT_MS)]);
  return result;
}

/** The cumulative `[le, count]` buckets of tsrs_rtc_send_delay_ms in the server's /metrics, or undefined. */
async function delayBuckets(url: string): Promise<[number, number][] | undefined> {
  try {
    const text = await (await fetch(url)).text();
    const rows = [...text.matchAll(/^tsrs_rtc_send_delay_ms_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])] as [number, number]);
    return rows.length ? rows : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The q-quantile of cumulative histogram buckets, linear within the bucket it falls in (as
 * Prometheus' histogram_quantile; past the last finite bound: that bound); null without samples.
 */
export function bucketQuantile(buckets: [number, number][], q: number): number | null {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of buckets) {
    if (n >= rank) {
      if (le === Infinity) return lower;
      return Math.round((lower + ((le - lower) * (rank - below)) / Math.max(1, n - below)) * 10) / 10;
    }
    lower = le;
    below = n;
  }
  return lower;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
