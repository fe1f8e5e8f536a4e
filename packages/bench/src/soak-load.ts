/**
 * The soak test's workloads, each on its own jittered timer: healthy long-lived publishers
 * and players (watched), publish/unpublish churn, player churn (RTMP, HTTP-FLV, HLS), API
 * kicks, config reloads and hook refusals. The attacks are in soak-attacks.ts.
 */
import { writeFileSync } from 'node:fs';
import { FlvPlayer } from './flv-player.js';
import type { Media } from './media.js';
import type { Player, PlayerEnv } from './player.js';
import { MediaPublisher } from './publish.js';
import { RtmpPlayer } from './rtmp-player.js';
import { soakConf, type SoakPorts, type SoakTarget } from './soak-server.js';

export interface SoakEvent {
  /** seconds since the start */
  t: number;
  what: string;
}

/** What every workload shares: the target, the media, counters, and what to close at the end. */
export class SoakCtx {
  readonly t0 = Date.now();
  stopping = false;
  readonly counters = new Map<string, number>();
  readonly events: SoakEvent[] = [];
  /** healthy-player interruptions (each is also an event) */
  readonly interruptions: SoakEvent[] = [];
  private readonly closers = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** sockets and players alive per kind, for the samples */
  readonly live = { churn: 0, attack: 0 };

  constructor(
    readonly target: SoakTarget,
    readonly media: Media,
    readonly log: (line: string) => void,
  ) {}

  get elapsed(): number {
    return (Date.now() - this.t0) / 1000;
  }

  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  event(what: string): void {
    const e = { t: Math.round(this.elapsed), what };
    // a flood of one kind of event must not grow the tool's memory without bound
    if (this.events.length < 2000) this.events.push(e);
    this.log(`[${fmtT(e.t)}] ${what}`);
  }

  interrupted(what: string): void {
    this.interruptions.push({ t: Math.round(this.elapsed), what });
    this.count('healthy.interruptions');
    this.event(`HEALTHY PLAYER INTERRUPTED: ${what}`);
  }

  rtmpUrl(path: string): string {
    return `rtmp://${this.target.rtmp.host}:${this.target.rtmp.port}${path}`;
  }

  httpUrl(path: string): string {
    return `http://${this.target.http.host}:${this.target.http.port}${path}`;
  }

  /** Registers something to close when the run stops; returns the unregister function. */
  track(close: () => void): () => void {
    if (this.stopping) {
      close();
      return () => {};
    }
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  /** setTimeout that the stop clears */
  after(ms: number, fn: () => void): void {
    if (this.stopping) return;
    const h = setTimeout(() => {
      this.timers.delete(h);
      if (!this.stopping) fn();
    }, ms);
    this.timers.add(h);
  }

  /**
   * Runs `fn` about every `meanMs` (uniform jitter +-50%), first after a random part of one
   * period (at most 15 s: a short run sees every workload). Errors are counted as `<name>.error`, never thrown.
   */
  every(name: string, meanMs: number, fn: () => void | Promise<void>): void {
    const loop = (first: boolean) =>
      this.after(first ? Math.random() * Math.min(meanMs, 15_000) : meanMs * (0.5 + Math.random()), () => {
        Promise.resolve()
          .then(fn)
          .catch((err) => {
            this.count(`${name}.error`);
            this.event(`${name}: ${err instanceof Error ? err.message : String(err)}`);
          });
        loop(false);
      });
    loop(true);
  }

  /** Stops every timer and closes everything still open. */
  stop(): void {
    this.stopping = true;
    for (const h of this.timers) clearTimeout(h);
    this.timers.clear();
    for (const c of [...this.closers]) {
      try {
        c();
      } catch {
        // closing is best effort
      }
    }
    this.closers.clear();
  }
}

export const fmtT = (s: number) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

const quietEnv = (onPlaying: () => void = () => {}, onFailed: (err: Error) => void = () => {}): PlayerEnv => ({
  recordLag() {},
  onPlaying: () => onPlaying(),
  onFailed: (_p, err) => onFailed(err),
});

// --- (a) healthy publishers and players ---------------------------------------------------

export type Proto = 'rtmp' | 'flv';

export interface WatchedPlayer {
  proto: Proto;
  player: Player;
  /** last check: timestamp and when it last advanced (ms, Date.now) */
  lastTs: number;
  advancedAt: number;
  /** video frames of the players this one replaced (restarts after an interruption) */
  framesBefore: number;
  restarts: number;
}

/** One healthy stream: a long-lived publisher, one RTMP and one HTTP-FLV player, watched. */
export class Healthy {
  publisher: MediaPublisher | undefined;
  readonly players: WatchedPlayer[] = [];
  /** the players' timestamps must advance within this */
  stallMs = 6000;

  constructor(
    private readonly ctx: SoakCtx,
    readonly app: string,
    readonly stream: string,
  ) {}

  get path(): string {
    return `/${this.app}/${this.stream}`;
  }

  get frames(): number {
    return this.players.reduce((a, w) => a + w.framesBefore + w.player.frames, 0);
  }

  async start(): Promise<void> {
    await this.publish();
    await sleep(500);
    for (const proto of ['rtmp', 'flv'] as Proto[]) {
      const w: WatchedPlayer = { proto, player: this.makePlayer(proto), lastTs: 0, advancedAt: Date.now(), framesBefore: 0, restarts: 0 };
      this.players.push(w);
      w.player.start();
    }
    this.ctx.track(() => this.close());
    // wait until both play, else the run starts broken
    const end = Date.now() + 15_000;
    while (this.players.some((w) => w.player.frames === 0)) {
      const bad = this.players.find((w) => w.player.state === 'failed');
      if (bad) throw new Error(`healthy ${bad.proto} player of ${this.path} failed to start: ${bad.player.error}`);
      if (Date.now() > end) throw new Error(`healthy players of ${this.path}: no video within 15 s`);
      await sleep(100);
    }
    for (const w of this.players) {
      w.lastTs = w.player.lastVideoTs;
      w.advancedAt = Date.now();
    }
    this.ctx.every(`healthy ${this.path}`, 2000, () => this.check());
  }

  private async publish(): Promise<void> {
    const p = await MediaPublisher.start(this.ctx.rtmpUrl(this.path), this.ctx.media);
    this.publisher = p;
    p.onClose = () => {
      if (this.ctx.stopping) return;
      this.ctx.interrupted(`publisher of ${this.path} closed by the server`);
      this.ctx.after(1000, () => this.publish().catch((err) => this.ctx.event(`healthy publisher ${this.path} restart failed: ${err.message}`)));
    };
  }

  private makePlayer(proto: Proto): Player {
    return proto === 'rtmp' ? new RtmpPlayer(this.ctx.rtmpUrl(this.path), quietEnv()) : new FlvPlayer(this.ctx.httpUrl(`${this.path}.flv`), quietEnv());
  }

  /** Timestamps advanced since the last check, or not for longer than stallMs: an interruption. */
  check(): void {
    const now = Date.now();
    for (const w of this.players) {
      const p = w.player;
      let broken: string | undefined;
      if (p.state === 'connecting' && now < w.advancedAt) continue; // a replacement, still starting
      if (p.state !== 'playing') broken = `${p.state}${p.error ? `: ${p.error}` : ''}`;
      else if (p.lastVideoTs > w.lastTs) {
        w.lastTs = p.lastVideoTs;
        w.advancedAt = now;
      } else if (now - w.advancedAt > this.stallMs) broken = `video timestamp stuck at ${w.lastTs} ms for ${now - w.advancedAt} ms`;
      if (!broken) continue;
      this.ctx.interrupted(`${w.proto} player of ${this.path}: ${broken}`);
      // replace it and keep watching
      p.close();
      w.framesBefore += p.frames;
      w.restarts++;
      w.player = this.makePlayer(w.proto);
      w.player.start();
      w.lastTs = 0;
      w.advancedAt = now + 5000; // give the new one time to start
    }
  }

  close(): void {
    for (const w of this.players) w.player.close();
    void this.publisher?.stop();
  }
}

// --- (b) publish/unpublish churn -------------------------------------------------------------

const CHURN_NAMES = 8;

/** Short publishes (2-8 s) on a pool of stream names, half of them on the DVR app `rec`. */
export class PublishChurn {
  /** name -> publishing now */
  readonly active = new Set<string>();

  constructor(private readonly ctx: SoakCtx) {}

  start(meanMs = 4000): void {
    this.ctx.every('publish-churn', meanMs, () => this.once());
  }

  async once(): Promise<void> {
    const free = Array.from({ length: CHURN_NAMES }, (_, i) => `/${i % 2 ? 'rec' : 'live'}/churn${i}`).filter((p) => !this.active.has(p));
    if (!free.length) return;
    const path = pick(free);
    this.active.add(path);
    const ctx = this.ctx;
    ctx.count('publish.churn.attempt');
    let pub: MediaPublisher;
    try {
      pub = await MediaPublisher.start(ctx.rtmpUrl(path), ctx.media, 1000, 10_000);
    } catch (err) {
      this.active.delete(path);
      ctx.count('publish.churn.failed');
      ctx.event(`churn publish ${path} failed: ${(err as Error).message}`);
      return;
    }
    ctx.count('publish.churn.ok');
    const untrack = ctx.track(() => void pub.stop());
    pub.onClose = () => {
      if (!ctx.stopping) ctx.count('publish.churn.closed_by_server'); // kicked, mostly
    };
    ctx.after(between(2000, 8000), () => {
      untrack();
      void pub.stop().then(() => this.active.delete(path));
    });
  }
}

// --- (c) player churn ---------------------------------------------------------------------

export type ChurnProto = 'rtmp' | 'flv' | 'hls';

/** Players that come and go (3-15 s) on the healthy streams and the churn streams. */
export class PlayerChurn {
  private n = 0;

  constructor(
    private readonly ctx: SoakCtx,
    private readonly healthy: Healthy[],
    private readonly churn: PublishChurn,
  ) {}

  start(meanMs = 1500): void {
    this.ctx.every('player-churn', meanMs, () => this.once());
  }

  once(): void {
    const proto: ChurnProto = (['rtmp', 'flv', 'hls'] as const)[this.n++ % 3];
    const targets = [...this.healthy.map((h) => h.path), ...this.churn.active];
    const path = pick(targets);
    const life = between(3000, 15000);
    if (proto === 'hls') {
      void this.hls(path, life);
      return;
    }
    const ctx = this.ctx;
    ctx.count(`play.${proto}.attempt`);
    let played = false;
    let done = false;
    const env = quietEnv(
      () => {
        played = true;
        ctx.count(`play.${proto}.ok`);
      },
      (err) => {
        if (done) return;
        ctx.count(played ? `play.${proto}.closed_by_server` : `play.${proto}.failed`);
        if (!played && !/^RTMP NetStream\.Play\.StreamNotFound|HTTP 404/.test(err.message)) ctx.count(`play.${proto}.failed.${err.message.slice(0, 40)}`);
      },
    );
    const p = proto === 'rtmp' ? new RtmpPlayer(ctx.rtmpUrl(path), env) : new FlvPlayer(ctx.httpUrl(`${path}.flv`), env);
    ctx.live.churn++;
    const finish = () => {
      if (done) return;
      done = true;
      ctx.live.churn--;
      untrack();
      p.close();
    };
    const untrack = ctx.track(finish);
    p.start();
    ctx.after(life, finish);
  }

  /** An HLS player: the playlist (following hls_ctx's master playlist), then new segments, every 2 s. */
  async hls(path: string, lifeMs: number): Promise<void> {
    const ctx = this.ctx;
    ctx.count('play.hls.attempt');
    const ac = new AbortController();
    const untrack = ctx.track(() => ac.abort());
    ctx.live.churn++;
    const end = Date.now() + lifeMs;
    try {
      let url = ctx.httpUrl(`${path}.m3u8`);
      const seen = new Set<string>();
      let segments = 0;
      while (Date.now() < end && !ctx.stopping) {
        const res = await fetch(url, { signal: ac.signal });
        const text = await res.text();
        if (res.status === 404) {
          ctx.count('play.hls.not_found'); // a churn stream that just stopped, or no segment yet
          return;
        }
        if (res.status === 403 && segments > 0) {
          ctx.count('play.hls.closed_by_server'); // kicked: its hls_ctx is refused from then on
          return;
        }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        const uris = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
        if (text.includes('#EXT-X-STREAM-INF') && uris.length) {
          url = new URL(uris[0], url).href; // hls_ctx: the master playlist names our session's playlist
          continue;
        }
        for (const u of uris) {
          if (seen.has(u)) continue;
          seen.add(u);
          const seg = await fetch(new URL(u, url), { signal: ac.signal });
          const body = await seg.arrayBuffer();
          if (seg.status === 200) {
            if (segments++ === 0) ctx.count('play.hls.ok');
            ctx.count('play.hls.segment_bytes', body.byteLength);
            ctx.count('play.hls.segments');
          } else if (seg.status === 403 && segments > 0) {
            ctx.count('play.hls.closed_by_server');
            return;
          } else ctx.count(`play.hls.segment_http_${seg.status}`);
        }
        await sleep(2000);
      }
    } catch (err) {
      if (!ac.signal.aborted) {
        ctx.count('play.hls.failed');
        ctx.count(`play.hls.failed.${String((err as Error).message).slice(0, 40)}`);
      }
    } finally {
      ctx.live.churn--;
      untrack();
    }
  }
}

// --- (d) kicks, (e) reloads, (f) hook refusals -------------------------------------------

interface ApiClient {
  id: string;
  name: string;
  publish: boolean;
  type: string;
}

export async function apiJson<T>(ctx: SoakCtx, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(ctx.target.api + path, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 80)}`);
  }
}

/** Kicks one client of a churn stream (publisher or player) through the API. */
export async function kickOne(ctx: SoakCtx): Promise<void> {
  const list = await apiJson<{ clients?: ApiClient[] }>(ctx, '/api/v1/clients/?count=1000');
  const churn = (list.clients ?? []).filter((c) => c.name?.startsWith('churn'));
  if (!churn.length) return;
  const c = pick(churn);
  const r = await apiJson<{ code: number }>(ctx, `/api/v1/clients/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
  ctx.count(r.code === 0 ? `kick.${c.publish ? 'publisher' : 'player'}` : 'kick.failed');
}

/**
 * A reload: our server's config file is rewritten (next generation in a comment) and reloaded
 * through the raw API or, every other time, SIGHUP. An attached server: the raw API only.
 */
export class Reloader {
  private generation = 0;
  /** an attached server that refuses API reloads (raw_api off): tried once, then left alone */
  private unavailable = false;

  constructor(
    private readonly ctx: SoakCtx,
    private readonly ports?: SoakPorts,
  ) {}

  async once(): Promise<void> {
    const { ctx } = this;
    const own = ctx.target.own;
    if (this.unavailable) return;
    this.generation++;
    if (own && this.ports) writeFileSync(own.conf, soakConf(this.ports, own.dir, this.generation));
    if (own && this.generation % 2 === 0) {
      own.proc.kill('SIGHUP');
      ctx.count('reload.sighup');
      return;
    }
    const r = await apiJson<{ code: number }>(ctx, '/api/v1/raw?rpc=reload');
    if (r.code === 0) ctx.count('reload.api');
    else if (!own) {
      this.unavailable = true;
      ctx.count('reload.unavailable');
      ctx.event(`reload through the API answered code ${r.code} (raw_api.allow_reload off?): no more reloads`);
    } else {
      ctx.count('reload.failed');
      ctx.event(`reload through the API answered code ${r.code}`);
    }
  }
}

/** Plays and publishes the hook server refuses: each must be refused. */
export async function refusals(ctx: SoakCtx, healthy: Healthy): Promise<void> {
  const n = ctx.counters.get('refusal.attempt') ?? 0;
  ctx.count('refusal.attempt');
  const kind = n % 3;
  if (kind === 0) {
    try {
      const p = await MediaPublisher.start(ctx.rtmpUrl(`/live/refuse${n % 4}`), ctx.media, 1000, 10_000);
      ctx.count('refusal.unexpectedly_allowed');
      ctx.event('hook refusal: a refused publish was allowed');
      await p.stop();
    } catch {
      ctx.count('refusal.publish');
    }
    return;
  }
  const proto: Proto = kind === 1 ? 'rtmp' : 'flv';
  let settle: (o: 'played' | 'refused') => void = () => {};
  const settled = new Promise<'played' | 'refused'>((r) => (settle = r));
  const env = quietEnv(
    () => settle('played'),
    () => settle('refused'),
  );
  const p = proto === 'rtmp' ? new RtmpPlayer(ctx.rtmpUrl(`${healthy.path}?refuse=1`), env) : new FlvPlayer(ctx.httpUrl(`${healthy.path}.flv?refuse=1`), env);
  const untrack = ctx.track(() => p.close());
  p.start();
  // never playing within 10 s counts as refused
  const timer = setTimeout(() => settle('refused'), 10_000);
  const outcome = await settled;
  clearTimeout(timer);
  untrack();
  p.close();
  if (outcome === 'played') {
    ctx.count('refusal.unexpectedly_allowed');
    ctx.event(`hook refusal: a refused ${proto} play was allowed`);
  } else ctx.count(`refusal.play_${proto}`);
}
