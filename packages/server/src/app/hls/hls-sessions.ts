import type { Logger } from '../../log.js';
import { Client } from '../client.js';
import type { PlayerHandle } from '../handles.js';
import { AdmissionError, LimitError, type Hub } from '../hub.js';

/** What the requests of an HLS viewer tell about it. */
export interface HlsViewer {
  /** the `hls_ctx` of its URLs; also its client id (as SRS) */
  id: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  /** the playlist request's query without hls_ctx, with its '?' ('' when none) */
  param: string;
  tcUrl: string;
  pageUrl: string;
}

/** Bounds on HLS viewers (request_limits); read at each use, so a reload applies. */
export interface HlsLimits {
  /** sessions (listed hls-play clients, and those being admitted), all IPs / one IP */
  maxViewers: number;
  maxViewersPerIp: number;
  /** ctx ids seen on a playlist whose viewer has fetched no segment yet, all IPs / one IP */
  maxPending: number;
  maxPendingPerIp: number;
  /** how long such a ctx is remembered without a request, ms */
  pendingMs: number;
}

export const NO_HLS_LIMITS: HlsLimits = {
  maxViewers: Number.POSITIVE_INFINITY,
  maxViewersPerIp: Number.POSITIVE_INFINITY,
  maxPending: Number.POSITIVE_INFINITY,
  maxPendingPerIp: Number.POSITIVE_INFINITY,
  pendingMs: 10_000,
};

export interface HlsSessionsOptions {
  hub: Hub;
  log: Logger;
  /** how long a session lives without a request (SRS: 2 × hls_window), read at each request */
  expiryMs: (vhost: string) => number;
  /** how long a kicked or refused ctx keeps being refused; default max(expiry, 60 s) */
  kickedMemoryMs?: (vhost: string) => number;
  limits?: () => HlsLimits;
}

/** One HLS viewer: an `hls-play` client that lives as long as it keeps requesting. */
export class HlsSession {
  /** bytes of playlists and segments served with this ctx */
  sentBytes = 0;
  lastRequestAt = Date.now();
  ended = false;
  timer: NodeJS.Timeout | undefined;
  client!: Client;
  /** the hub's handle once admitted; closing it ends the client */
  player: PlayerHandle | undefined;
}

/** A ctx seen on a media playlist request whose viewer fetched no segment yet. */
interface Pending {
  viewer: HlsViewer;
  expiresAt: number;
  /** playlist bytes served to it, carried into its session */
  sentBytes: number;
}

/** Count per key, forgetting zeros. */
function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

/**
 * SRS's HLS contexts (`hls_ctx on`): each viewer is a session keyed by its ctx id,
 * registered in the hub as an `hls-play` client, admitted like any player (security,
 * on_play), announced with `stream:play`.
 *
 * A ctx costs nothing until its viewer shows it plays: handing one out (the master
 * playlist) keeps no state, a media playlist request with it only remembers it as
 * *pending* (bounded per IP and in total, the oldest forgotten first, for a few seconds),
 * and the viewer becomes a client (hooks, listing, history) when it fetches a segment.
 * Sessions are bounded per IP and in total too.
 *
 * HTTP requests carry no connection to watch, so a session ends when no request came for
 * the expiry time (`stream:stop`, then `client:close`, end reason normal), or on a kick
 * (end reason kicked). A kicked or refused ctx is then refused for a while (bounded), so
 * the player cannot carry on with it.
 */
export class HlsSessions {
  private readonly live = new Map<string, HlsSession>();
  private readonly opening = new Map<string, Promise<HlsSession>>();
  /** sessions (live and being admitted), all and per IP */
  private viewers = 0;
  private readonly viewersByIp = new Map<string, number>();
  /** oldest request first: a request moves its ctx to the end */
  private readonly pending = new Map<string, Pending>();
  private readonly pendingByIp = new Map<string, Set<string>>();
  /** kicked or refused ctx ids and until when they stay refused, oldest first */
  private readonly refused = new Map<string, number>();

  constructor(private readonly opts: HlsSessionsOptions) {}

  private limits(): HlsLimits {
    return this.opts.limits?.() ?? NO_HLS_LIMITS;
  }

  /** live sessions */
  get size(): number {
    return this.live.size;
  }

  /** ctx ids waiting for their first segment request */
  get pendingSize(): number {
    this.purgePending();
    return this.pending.size;
  }

  find(id: string): HlsSession | undefined {
    return this.live.get(id);
  }

  /** A kicked or refused ctx is refused (403) until its memory runs out. */
  wasKicked(id: string): boolean {
    const until = this.refused.get(id);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.refused.delete(id);
    return false;
  }

  /**
   * A media playlist request with a ctx that has no session: remember the viewer until it
   * fetches a segment (refreshing it when already known). Past the bounds the oldest ctx
   * of the same IP, else the oldest of all, is forgotten: its viewer is still served, and
   * becomes pending again on its next playlist request.
   */
  offer(viewer: HlsViewer, bytes = 0): void {
    const l = this.limits();
    const now = Date.now();
    this.purgePending(now);
    const known = this.pending.get(viewer.id);
    if (known) {
      this.pending.delete(viewer.id);
      const mine = this.pendingByIp.get(known.viewer.ip);
      mine?.delete(viewer.id);
      mine?.add(viewer.id);
      known.expiresAt = now + l.pendingMs;
      known.sentBytes += bytes;
      this.pending.set(viewer.id, known);
      return;
    }
    if (l.maxPending <= 0 || l.maxPendingPerIp <= 0) return;
    let mine = this.pendingByIp.get(viewer.ip);
    if (!mine) this.pendingByIp.set(viewer.ip, (mine = new Set()));
    while (mine.size >= l.maxPendingPerIp) this.forgetPending(mine.values().next().value!);
    while (this.pending.size >= l.maxPending) this.forgetPending(this.pending.keys().next().value!);
    this.pending.set(viewer.id, { viewer, expiresAt: now + l.pendingMs, sentBytes: bytes });
    mine.add(viewer.id);
    // forgetPending may have dropped an emptied set of this IP
    this.pendingByIp.set(viewer.ip, mine);
  }

  /** The viewer remembered for a pending ctx, if any. */
  pendingOf(id: string): HlsViewer | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    if (p.expiresAt <= Date.now()) {
      this.forgetPending(id);
      return undefined;
    }
    return p.viewer;
  }

  private forgetPending(id: string): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    const mine = this.pendingByIp.get(p.viewer.ip);
    mine?.delete(id);
    if (mine && mine.size === 0) this.pendingByIp.delete(p.viewer.ip);
    return p;
  }

  /** Expired pending ctx ids are at the front (a request moves its ctx to the end). */
  private purgePending(now = Date.now()): void {
    for (const [id, p] of this.pending) {
      if (p.expiresAt > now) break;
      this.forgetPending(id);
    }
  }

  /**
   * The session of `viewer.id`, opening it on first sight: admitted (AdmissionError when
   * refused: the caller answers 403; LimitError past the bounds: 503), then registered and
   * playing. Concurrent first requests with one ctx share one admission.
   */
  open(viewer: HlsViewer): Promise<HlsSession> {
    const existing = this.live.get(viewer.id);
    if (existing) return Promise.resolve(existing);
    const pending = this.opening.get(viewer.id);
    if (pending) return pending;
    const p = this.start(viewer).finally(() => this.opening.delete(viewer.id));
    this.opening.set(viewer.id, p);
    return p;
  }

  private async start(v: HlsViewer): Promise<HlsSession> {
    const { hub } = this.opts;
    if (hub.clients.has(v.id)) throw new AdmissionError(`hls_ctx ${v.id} is another client's id`);
    const l = this.limits();
    // being admitted counts: hooks may be slow, and each admission holds a hook call
    const total = this.viewers;
    if (total >= l.maxViewers) throw new LimitError(`${total} HLS viewers already (max_hls_viewers)`);
    const mine = this.viewersByIp.get(v.ip) ?? 0;
    if (mine >= l.maxViewersPerIp) throw new LimitError(`${mine} HLS viewers from ${v.ip} already (max_hls_viewers_per_ip)`);
    const carried = this.forgetPending(v.id);
    this.countViewer(v.ip, 1);
    const session = new HlsSession();
    session.sentBytes = carried?.sentBytes ?? 0;
    const client = new Client({
      id: v.id,
      ip: v.ip,
      type: 'hls-play',
      vhost: v.vhost,
      app: v.app,
      stream: v.stream,
      param: v.param,
      tcUrl: v.tcUrl,
      pageUrl: v.pageUrl,
      transport: {
        close: () => this.end(session),
        bytesRead: () => 0,
        bytesWritten: () => session.sentBytes,
      },
    });
    session.client = client;
    // Not in the hub (nor listed, nor in history) until admitted; refused when another
    // client took the id while the hooks ran.
    try {
      session.player = await hub.openPlayer(client, undefined);
    } catch (err) {
      session.ended = true;
      this.countViewer(v.ip, -1);
      if (!(err instanceof LimitError)) this.remember(v.id, v.vhost);
      throw err;
    }
    this.live.set(v.id, session);
    this.touch(session);
    this.opts.log.info({ cid: v.id, ip: v.ip, url: client.streamUrl, param: v.param }, 'hls-play start');
    return session;
  }

  private countViewer(ip: string, by: 1 | -1): void {
    this.viewers += by;
    bump(this.viewersByIp, ip, by);
  }

  /** A request with this ctx: the session lives on for another expiry time. */
  touch(session: HlsSession): void {
    if (session.ended) return;
    session.lastRequestAt = Date.now();
    const ms = Math.max(1, this.opts.expiryMs(session.client.vhost));
    if (session.timer) clearTimeout(session.timer);
    session.timer = setTimeout(() => this.expire(session), ms).unref();
  }

  addBytes(session: HlsSession, bytes: number): void {
    session.sentBytes += bytes;
  }

  private expire(session: HlsSession): void {
    session.timer = undefined;
    if (session.ended) return;
    this.opts.log.info({ cid: session.client.id, idle_ms: Date.now() - session.lastRequestAt }, 'hls-play expired');
    this.end(session);
  }

  /** Refuse this ctx for a while (kicked, or refused by security or a hook); bounded. */
  private remember(id: string, vhost: string): void {
    const ms = this.opts.kickedMemoryMs?.(vhost) ?? Math.max(this.opts.expiryMs(vhost), 60_000);
    const now = Date.now();
    for (const [k, until] of this.refused) {
      if (until > now && this.refused.size < Math.max(1000, this.limits().maxPending)) break;
      this.refused.delete(k);
    }
    this.refused.delete(id);
    this.refused.set(id, now + ms);
  }

  /** Ends a session: stream:stop, then client:close. A kicked one's ctx is remembered. */
  end(session: HlsSession): void {
    if (session.ended) return;
    session.ended = true;
    if (session.timer) clearTimeout(session.timer);
    session.timer = undefined;
    const c = session.client;
    if (c.endReason === 'kicked') this.remember(c.id, c.vhost);
    if (this.live.get(c.id) !== session) return;
    this.live.delete(c.id);
    this.countViewer(c.ip, -1);
    session.player?.close();
    this.opts.log.info({ cid: c.id, url: c.streamUrl, sent: session.sentBytes, reason: c.endReason }, 'hls-play closed');
  }

  /** Ends every session (server shutdown). */
  closeAll(): void {
    for (const s of [...this.live.values()]) this.end(s);
    this.pending.clear();
    this.pendingByIp.clear();
  }
}
