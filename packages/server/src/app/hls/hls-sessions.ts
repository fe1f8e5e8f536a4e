import type { Logger } from '../../log.js';
import { Client } from '../client.js';
import { AdmissionError, type Hub } from '../hub.js';

/** What the first request of an HLS viewer tells about it. */
export interface HlsViewer {
  /** the `hls_ctx` of its URLs; also its client id (as SRS) */
  id: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  /** the request's query without hls_ctx, with its '?' ('' when none) */
  param: string;
  tcUrl: string;
  pageUrl: string;
}

export interface HlsSessionsOptions {
  hub: Hub;
  log: Logger;
  /** how long a session lives without a request (SRS: 2 × hls_window), read at each request */
  expiryMs: (vhost: string) => number;
  /** how long a kicked ctx keeps being refused; default max(expiry, 60 s) */
  kickedMemoryMs?: (vhost: string) => number;
}

/** One HLS viewer: an `hls-play` client that lives as long as it keeps requesting. */
export class HlsSession {
  /** bytes of playlists and segments served with this ctx */
  sentBytes = 0;
  lastRequestAt = Date.now();
  ended = false;
  timer: NodeJS.Timeout | undefined;
  client!: Client;
}

/**
 * SRS's HLS contexts (`hls_ctx on`): each viewer is a session keyed by its ctx id,
 * registered in the hub as an `hls-play` client, admitted like any player (security,
 * on_play), announced with `stream:play`. HTTP requests carry no connection to watch,
 * so the session ends when no request came for the expiry time (`stream:stop`, then
 * `client:close`, end reason normal), or on a kick (end reason kicked; the ctx is then
 * refused for a while so the kicked player cannot carry on with it).
 */
export class HlsSessions {
  private readonly live = new Map<string, HlsSession>();
  private readonly opening = new Map<string, Promise<HlsSession>>();
  /** kicked ctx ids and until when they stay refused */
  private readonly kicked = new Map<string, number>();

  constructor(private readonly opts: HlsSessionsOptions) {}

  get size(): number {
    return this.live.size;
  }

  find(id: string): HlsSession | undefined {
    return this.live.get(id);
  }

  /** A kicked ctx is refused (403) until its memory runs out. */
  wasKicked(id: string): boolean {
    const until = this.kicked.get(id);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.kicked.delete(id);
    return false;
  }

  /**
   * The session of `viewer.id`, opening it on first sight: registered, admitted
   * (AdmissionError when refused: the caller answers 403), then playing.
   * Concurrent first requests with one ctx share one admission.
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
    const session = new HlsSession();
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
    hub.addClient(client);
    try {
      await hub.admit('play', client);
    } catch (err) {
      session.ended = true;
      hub.removeClient(client);
      throw err;
    }
    // kicked (or the server closed it) while its hooks ran
    if (session.ended || client.closed) {
      hub.removeClient(client);
      throw new AdmissionError(`hls_ctx ${v.id} was kicked`);
    }
    const source = hub.source(v.vhost, v.app, v.stream);
    client.source = source;
    source.viewers.add(client);
    this.live.set(v.id, session);
    this.touch(session);
    hub.bus.emit('stream:play', source, client);
    this.opts.log.info({ cid: v.id, ip: v.ip, url: client.streamUrl, param: v.param }, 'hls-play start');
    return session;
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

  /** Ends a session: stream:stop, then client:close. A kicked one's ctx is remembered. */
  end(session: HlsSession): void {
    if (session.ended) return;
    session.ended = true;
    if (session.timer) clearTimeout(session.timer);
    session.timer = undefined;
    const c = session.client;
    if (c.endReason === 'kicked') {
      const vhost = c.vhost;
      const ms = this.opts.kickedMemoryMs?.(vhost) ?? Math.max(this.opts.expiryMs(vhost), 60_000);
      this.forgetKicked();
      this.kicked.set(c.id, Date.now() + ms);
    }
    // not admitted yet: the opener removes the client
    if (this.live.get(c.id) !== session) return;
    this.live.delete(c.id);
    if (c.source) {
      c.source.viewers.delete(c);
      this.opts.hub.bus.emit('stream:stop', c.source, c);
    }
    this.opts.hub.removeClient(c);
    this.opts.log.info({ cid: c.id, url: c.streamUrl, sent: session.sentBytes, reason: c.endReason }, 'hls-play closed');
  }

  /** Ends every session (server shutdown). */
  closeAll(): void {
    for (const s of [...this.live.values()]) this.end(s);
  }

  private forgetKicked(): void {
    const now = Date.now();
    for (const [id, until] of this.kicked) if (until <= now) this.kicked.delete(id);
  }
}
