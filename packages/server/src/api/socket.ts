/**
 * socket.io on the API port (path `/socket.io/`): once a second a server `summary` and the
 * per-stream `streams` figures, and an `event` whenever streams and clients come and go.
 * Same Basic auth as the HTTP API (handshake `auth: {username, password}` or `{token}`, or an
 * Authorization header) and CORS per `http_api.crossdomain`. A connecting socket first gets
 * `history`: the last 10 minutes of `summary` from a bounded ring (600 samples) filled every
 * second whether or not anyone is connected; `streams` and events are sent only while a socket is.
 * Each stream's figures go into its own bounded ring too (StreamHistory), served by
 * `GET /api/v1/streams/{id}/samples`.
 *
 * Every row names its `node` (cluster-node.ts). With a registry (`cluster { registry redis://...; }`)
 * socket.io runs over Redis: each node sends its own rows to the others once a second (whether or
 * not a console is connected anywhere) and its consoles get `streams` of every node and `cluster`
 * (the other nodes' API rows, see cluster-live.ts). Everything to consoles is emitted locally, so
 * each node's sockets get one merged copy. In a worker of `tsrs --workers N` the node's rows are
 * every worker's (socket-workers.ts): the sibling workers' streams, summed summary and events.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { peerIp } from '../listeners/tcp.js';
import { Server, type Socket } from 'socket.io';
import type { ClientToServerEvents, LiveEvent, LiveStream, LiveStreamHistory, LiveStreamSample, LiveSummary, ServerToClientEvents } from '@tsrs/api-types';
import type { ApiQueries } from '../app/api-model.js';
import type { SystemStats } from '../app/stats.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { basicAuthOk } from './handler.js';
import { SummaryRing } from './socket-history.js';
import { StreamHistory } from './stream-history.js';
import { LIVE_WINDOW_MS, StreamRates } from './socket-stats.js';
import { NODE_LIVE_EVENT, nodeLiveMessage, RemoteNodes } from './cluster-live.js';
import { liveRegistry, type LiveRegistry } from './socket-redis.js';
import { sumSummaries, type Siblings } from './socket-workers.js';

export interface LiveFeedDeps {
  /** the live model, through the API's narrow query interface */
  queries: ApiQueries;
  stats: SystemStats;
  config: () => Config;
  log: Logger;
  /** this node's id (cluster-node.ts) */
  node: string;
  /** the cluster's Redis URL; unset: this node only */
  registry?: string;
  /** in a worker of `tsrs --workers N`: the other workers (socket-workers.ts) */
  siblings?: Siblings;
}

interface InterServerEvents {
  [NODE_LIVE_EVENT]: (msg: unknown) => void;
}

type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents>;

/** Whether a socket.io handshake carries the API's credentials (when auth is on). */
export function socketAuthOk(socket: Pick<Socket, 'handshake'>, config: Config): boolean {
  const auth = config.http_api.auth;
  if (!auth.enabled) return true;
  const given = (socket.handshake.auth ?? {}) as { username?: unknown; password?: unknown; token?: unknown };
  if (typeof given.username === 'string' && typeof given.password === 'string') {
    const token = Buffer.from(`${given.username}:${given.password}`).toString('base64');
    if (basicAuthOk(`Basic ${token}`, auth.username, auth.password)) return true;
  }
  if (typeof given.token === 'string' && basicAuthOk(given.token, auth.username, auth.password)) return true;
  return basicAuthOk(socket.handshake.headers.authorization, auth.username, auth.password);
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The figures of a `streams` item kept in the stream's history. */
function streamSample(v: LiveStream): LiveStreamSample {
  return { t: v.now_ms, recv_kbps: v.kbps.recv, send_kbps: v.kbps.send, fps: v.fps, keyframe_interval_ms: v.keyframe_interval_ms, clients: v.clients };
}

export class LiveFeed {
  readonly io: LiveServer;
  private readonly rates = new StreamRates();
  private readonly ring = new SummaryRing();
  private readonly streamRings = new StreamHistory();
  /** engine.io sessions per client IP (request_limits.max_socketio_sessions_per_ip) */
  private readonly sessionsByIp = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly remote: RemoteNodes;
  private readonly registry: LiveRegistry | undefined;
  /** the sibling workers' last rows, keyed `w<index>` (their rows are this node's) */
  private readonly siblingRows: RemoteNodes | undefined;
  private unsubscribe: () => void = () => {};
  private unlisten: () => void = () => {};

  constructor(
    server: HttpServer,
    private readonly d: LiveFeedDeps,
  ) {
    this.io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents>(server, {
      path: '/socket.io/',
      serveClient: false,
      // Read per request, so a config reload applies.
      cors: { origin: (_origin, cb) => cb(null, d.config().http_api.crossdomain) },
      // A handshake makes an engine.io session before any credentials are seen: bound them per
      // IP and in total (request_limits), and let one whose client went quiet go after 15 s
      // (ping every 10 s, 5 s to answer; socket.io's defaults keep it 45 s).
      allowRequest: (req, cb) => {
        const limits = d.config().global.request_limits;
        const ip = peerIp(req.socket);
        const mine = this.sessionsByIp.get(ip) ?? 0;
        if (limits.max_socketio_sessions > 0 && this.io.engine.clientsCount >= limits.max_socketio_sessions) return cb('too many sessions', false);
        if (limits.max_socketio_sessions_per_ip > 0 && mine >= limits.max_socketio_sessions_per_ip) return cb('too many sessions from this address', false);
        cb(null, true);
      },
      connectTimeout: 10_000,
      pingInterval: 10_000,
      pingTimeout: 5_000,
    });
    this.io.engine.on('connection', (conn: { request: IncomingMessage; once(event: 'close', fn: () => void): void }) => {
      const ip = peerIp(conn.request.socket);
      this.sessionsByIp.set(ip, (this.sessionsByIp.get(ip) ?? 0) + 1);
      conn.once('close', () => {
        const n = (this.sessionsByIp.get(ip) ?? 1) - 1;
        if (n > 0) this.sessionsByIp.set(ip, n);
        else this.sessionsByIp.delete(ip);
      });
    });
    this.io.use((socket, next) => {
      if (socketAuthOk(socket, d.config())) return next();
      d.log.debug({ ip: socket.handshake.address }, 'socket.io: refused, bad or missing credentials');
      next(new Error('unauthorized'));
    });
    this.io.on('connection', (socket) => socket.emit('history', this.ring.history()));
    this.remote = new RemoteNodes(d.node);
    if (d.registry) {
      this.registry = liveRegistry(d.registry, d.log);
      this.io.adapter(this.registry.adapter);
      this.io.on(NODE_LIVE_EVENT, (msg) => {
        if (!this.remote.put(msg, Date.now())) d.log.debug({ node: (msg as { node?: unknown })?.node }, 'socket.io: a node message refused');
      });
    }
    const siblings = d.siblings;
    if (siblings) {
      const rows = (this.siblingRows = new RemoteNodes(`w${siblings.self}`));
      this.unlisten = siblings.listen(
        (worker, live) => {
          if (live && typeof live === 'object') rows.put({ ...live, node: `w${worker}` }, Date.now());
        },
        (e) => this.emitEvent(e),
      );
    }
    this.timer = setInterval(() => this.tick(), 1000).unref();
    this.subscribe();
  }

  private get connected(): boolean {
    return this.io.of('/').sockets.size > 0;
  }

  private tick(): void {
    // Sampling always runs (cheap) so a new socket gets full-window rates and histories at once.
    const now = Date.now();
    const streams = this.d.queries.streamFigures();
    this.rates.sample(streams, now);
    const own = this.summary(streams.length, now);
    const views = streams.map((s) => ({ node: this.d.node, ...this.rates.view(s, now) }));
    this.streamRings.sample(new Map(views.map((v) => [v.id, streamSample(v)])), now);
    const q = this.d.queries;
    // This node's rows: this process's, and in a worker its siblings' too.
    let summary = own;
    let live = views;
    let rows = (): [object[], object[]] => [q.streams(), q.clients()];
    const siblings = this.d.siblings;
    if (siblings && this.siblingRows) {
      siblings.sendLive(nodeLiveMessage(this.d.node, own, views, q.streams(), q.clients()));
      const others = this.siblingRows.cluster(now).nodes;
      summary = sumSummaries(own, others.map((n) => n.summary));
      live = [...views, ...this.siblingRows.liveStreams(now).map((v) => ({ ...v, node: this.d.node }))];
      rows = () => [[...q.streams(), ...others.flatMap((n) => n.streams)], [...q.clients(), ...others.flatMap((n) => n.clients)]];
    }
    this.ring.push(summary);
    if (this.registry) {
      const [streamRows, clientRows] = rows();
      this.io.serverSideEmit(NODE_LIVE_EVENT, nodeLiveMessage(this.d.node, summary, live, streamRows, clientRows));
    }
    if (!this.connected) return;
    this.io.local.emit('summary', summary);
    if (!this.registry) {
      this.io.local.emit('streams', live);
      return;
    }
    this.io.local.emit('streams', [...live, ...this.remote.liveStreams(now)]);
    this.io.local.emit('cluster', this.remote.cluster(now));
  }

  /** The stream's last 10 minutes of live figures (`GET /api/v1/streams/{id}/samples`). */
  streamHistory(id: string): LiveStreamHistory | undefined {
    return this.streamRings.history(id);
  }

  private summary(streams: number, now: number): LiveSummary {
    const st = this.d.stats;
    const memTotal = st.meminfo.MemTotal;
    const k = this.d.queries.serverKbps(LIVE_WINDOW_MS);
    return {
      node: this.d.node,
      now_ms: now,
      uptime_s: Math.floor((now - st.startedAt) / 1000),
      version: VERSION,
      cpu_percent: st.self.cpuPercent,
      mem_rss_kbyte: st.self.rssKbyte,
      mem_percent: memTotal ? round2((st.self.rssKbyte / memTotal) * 100) : 0,
      connections: this.d.queries.figures().connections,
      streams,
      kbps: { recv: k.recv, send: k.send },
    };
  }

  /** Events go out as they happen, only while a socket is connected. */
  private subscribe(): void {
    this.unsubscribe = this.d.queries.onEvent((e) => {
      this.d.siblings?.sendEvent(e);
      this.emitEvent(e);
    });
  }

  private emitEvent(e: LiveEvent): void {
    if (!this.connected) return;
    try {
      this.io.local.emit('event', e);
    } catch (err) {
      this.d.log.warn({ event: e.type, err: String(err) }, 'socket.io: event not sent');
    }
  }

  /** Disconnect every socket and stop; the HTTP server itself is the listener's to close. */
  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    this.unlisten();
    this.io.disconnectSockets(true);
    this.io.engine.close();
    this.registry?.close();
  }
}
