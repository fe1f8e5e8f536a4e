import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HistoryStore } from '@tsrs/db';
import { createApiHandler } from './api/handler.js';
import { exporterHandler } from './api/exporter.js';
import { metricsText } from './api/metrics.js';
import type { ApiDeps } from './api/routes.js';
import { LiveFeed, type LiveFeedDeps } from './api/socket.js';
import { ipcSiblings } from './api/socket-workers.js';
import { ApiModel } from './app/api-model.js';
import { ConnectionLimit } from './app/connection-limit.js';
import { nodeId, registryUrl } from './app/cluster-node.js';
import { HttpHooks } from './app/hooks.js';
import { SecurityAdmission } from './app/security.js';
import { ServerIdentity } from './app/stats-identity.js';
import { SystemStats } from './app/stats.js';
import { Hub, type HubLimits, type OutputFactory } from './app/hub.js';
import { HistoryRecorder } from './history/recorder.js';
import { historyIsPostgres, isUnreachable, lockHistoryDatabase, openHistory } from './history/database.js';
import { workerCount, workerShare } from './workers/worker.js';
import { Episode } from './app/resource-errors.js';
import { DEFAULT_SOURCE_OPTIONS, type Source, type SourceOptions } from './app/source.js';
import { type Config, DEFAULT_VHOST, diffConfig, loadConfig, loadEnvOnlyConfig } from './config/index.js';
import { playUrls } from './start-urls.js';
import { acquirePidFile } from './pid-file.js';
import { HttpListener } from './listeners/http.js';
import type { Listener } from './listeners/listener.js';
import { RtmpListener } from './listeners/rtmp.js';
import { RtcServer } from './listeners/rtc.js';
import { createLogger, pinoLevel, type Logger } from './log.js';
import { SRS_COMPAT_VERSION, VERSION } from './version.js';
import { hlsOutputFactory } from './app/hls/hls-factory.js';
import { ExecRunner } from './app/exec.js';
import { audioEncoderMapper } from './app/ffmpeg-args.js';
import { IngestManager } from './app/ingest.js';
import { TranscodeRunner } from './app/transcode.js';
import { ForwardManager } from './app/forward.js';
import { ProcessSupervisor } from './app/process-supervisor.js';
import { DvrManager } from './app/dvr/dvr-manager.js';
import { applyCors } from './http/cors.js';
import { staticRoots } from './http/roots.js';
import { staticFilesHandler } from './http/static-files.js';
import { consoleFilesHandler, consoleRedirectsHandler, type ServerPorts } from './http/console-routes.js';
import { streamRoutesHandler } from './http/stream-routes.js';
import { hlsRoutesHandler } from './http/hls-routes.js';
import { flvCasterHandler, isCasterPublish } from './http/flv-caster-routes.js';
import { MpegtsCaster } from './app/casters/mpegts-caster.js';
import { UdpListener } from './listeners/udp.js';
import { EdgeCluster } from './app/cluster/edge.js';
import { StreamRegistry } from './app/cluster/registry.js';
import { TokenTraverse } from './app/cluster/token-traverse.js';

export interface ServerOptions {
  /** the srs.conf file; undefined = env-only mode (`tsrs -e`, as `srs -e`) */
  configPath: string | undefined;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /**
   * This process is worker N (1..) of `tsrs --workers` (workers/primary.ts): the primary holds
   * the pid file and the history database's lock and repairs it before the workers start (each
   * worker records into it without repairing; worker 1 prunes it), and the API listens on
   * 127.0.0.1 at a port of its own, which the primary asks and merges for its API port.
   */
  worker?: number;
}

/** The vhost's play settings as a Source runs them. */
export function sourceOptions(config: Config, vhost: string): SourceOptions {
  const v = config.getVhost(vhost);
  if (!v) return DEFAULT_SOURCE_OPTIONS;
  return {
    gopCache: v.play.gop_cache,
    gopCacheMaxFrames: v.play.gop_cache_max_frames,
    gopCacheMaxBytes: v.play.gop_cache_max_bytes,
    queueLengthMs: v.play.queue_length * 1000,
    queueMaxBytes: v.play.queue_max_bytes,
    mwLatencyMs: v.play.mw_latency,
    timeJitter: v.play.time_jitter,
  };
}

/** The bounds on waiting players (request_limits, play.waiting_timeout), read at each use. */
export function hubLimits(config: Config): HubLimits {
  const l = config.global.request_limits;
  return {
    maxWaiting: l.max_waiting_players,
    maxWaitingPerIp: l.max_waiting_players_per_ip,
    waitingTimeoutMs: (vhost) => (config.getVhost(vhost)?.play.waiting_timeout ?? 0) * 1000,
  };
}

/** A history database unreachable at start is tried again after 1 s, doubling to 30 s. */
const HISTORY_RETRY_MIN_MS = 1000;
const HISTORY_RETRY_MAX_MS = 30_000;

/** One tsrs process: config, live model and listeners. */
export class TsrsServer {
  readonly hub: Hub;
  /** DVR: recordings by the vhosts' dvr config and through the API */
  readonly dvr: DvrManager;
  readonly listeners: Listener[] = [];
  /** the HTTP server port (streams, HLS, static files, console), when http_server is enabled */
  http: HttpListener | undefined;
  /** the HTTP API port; the same object as `http` when both share a port */
  api: HttpListener | undefined;
  /** WebRTC on rtc_server.listen (UDP), when rtc_server is enabled */
  rtc: RtcServer | undefined;
  /** the history database (stream/client sessions, recordings, events) */
  history: HistoryStore | undefined;
  /** writes bus events into `history` */
  recorder: HistoryRecorder | undefined;
  /** max_connections over every TCP listener; backs off on resource errors */
  readonly connections: ConnectionLimit;
  /** every child process (exec, ingest, transcode); none outlives tsrs */
  readonly supervisor: ProcessSupervisor;
  /** the vhosts' ingest FFmpegs, matched to the config at start and on reload */
  readonly ingest: IngestManager;
  /** edge vhosts (`cluster { mode remote; }`): pulls from and pushes to the origins */
  readonly edge: EdgeCluster;
  /** the shared stream registry in Redis (`cluster { registry redis://...; }`) */
  readonly registry: StreamRegistry;
  /** each published stream's transcode FFmpegs, matched to the config on reload */
  readonly transcode: TranscodeRunner;
  /** vhost forward: each published stream pushed to its destinations */
  readonly forward: ForwardManager;
  readonly exec: ExecRunner;
  /** makes a stream's HLS output (a reload that turns hls on adds it to running streams) */
  private hlsFactory: OutputFactory | undefined;
  /** server_id and service_id, as the API and the HTTP callbacks report them */
  private readonly identity: ServerIdentity;
  /** socket.io live stats on the API port */
  private liveFeed: LiveFeed | undefined;
  private liveDeps: LiveFeedDeps | undefined;
  private stopping = false;
  private releasePid: (() => void) | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;

  /** Starts recording into an open history store. */
  attachHistory(store: HistoryStore): void {
    this.history = store;
    this.recorder = new HistoryRecorder(this.hub.bus, store, this.log.child({ mod: 'history' }));
    // (of the workers of `tsrs --workers`, worker 1 alone prunes the database they share)
    if (!this.worker || this.worker === 1) this.startHistoryRetention();
  }

  private historyRetry: NodeJS.Timeout | undefined;

  /**
   * PostgreSQL was unreachable at start: tsrs serves without history (its API answers
   * "unavailable") and opens the store again every HISTORY_RETRY_MIN_MS doubling to
   * HISTORY_RETRY_MAX_MS until it answers; then history records what happens from there on.
   */
  openHistoryLater(open: () => Promise<HistoryStore>, first: unknown): void {
    const log = this.log.child({ mod: 'db' });
    log.warn({ err: first instanceof Error ? first.message : String(first) }, 'history database unreachable: serving without history, retrying');
    let wait = HISTORY_RETRY_MIN_MS;
    const attempt = () => {
      this.historyRetry = undefined;
      open().then(
        (store) => {
          if (this.stopping) return void store.close();
          this.attachHistory(store);
        },
        (err: unknown) => {
          if (this.stopping) return;
          if (!isUnreachable(err)) log.error({ err: err instanceof Error ? err.message : String(err) }, 'history database refused: history stays off');
          else {
            wait = Math.min(wait * 2, HISTORY_RETRY_MAX_MS);
            this.historyRetry = setTimeout(attempt, wait).unref();
          }
        },
      );
    };
    this.historyRetry = setTimeout(attempt, wait).unref();
  }

  /** history_max_rows: every minute, the oldest ended sessions and events beyond it are deleted. */
  private startHistoryRetention(): void {
    const run = async () => {
      const max = this.config.global.history_max_rows;
      if (!this.history || max <= 0) return;
      try {
        const gone = await this.history.prune(max);
        if (gone.streams + gone.clients + gone.events > 0) this.log.info({ ...gone, max }, 'history: oldest rows pruned (history_max_rows)');
      } catch (err) {
        this.log.warn({ err: String(err) }, 'history: prune failed');
      }
    };
    this.retentionTimer = setInterval(() => void run(), 60_000);
    this.retentionTimer.unref();
    void run();
  }

  private constructor(
    public config: Config,
    readonly configPath: string | undefined,
    readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv,
    /** worker index of `tsrs --workers` (ServerOptions.worker) */
    readonly worker: number | undefined = undefined,
  ) {
    this.hub = new Hub(
      (vhost) => sourceOptions(this.config, vhost),
      () => hubLimits(this.config),
    );
    // One warning per stream and bound when it starts being hit, one info line when it is over.
    const limitEpisodes = new WeakMap<Source, Map<string, Episode>>();
    this.hub.bus.on('stream:limit', ({ source, what, directive, detail }) => {
      let episodes = limitEpisodes.get(source);
      if (!episodes) limitEpisodes.set(source, (episodes = new Map()));
      let episode = episodes.get(what);
      if (!episode) episodes.set(what, (episode = new Episode(this.log, `${what} over its bound`)));
      episode.hit({ url: source.url, directive, ...detail });
    });
    // demand/idle at debug (srs_log_level info): an HLS request per missing playlist may announce one
    this.hub.bus.on('stream:demand', (e) => this.log.debug({ url: `${e.vhost}/${e.app}/${e.stream}`, param: e.param, cid: e.client?.id, players: e.players }, 'stream demand'));
    this.hub.bus.on('stream:idle', (e) => this.log.debug({ url: `${e.vhost}/${e.app}/${e.stream}` }, 'stream idle'));
    // The guard reports each output's errors at a limited rate (app/output-guard.ts).
    this.hub.bus.on('stream:output-error', ({ source, output, stage, error, action, count, unreported }) => {
      const msg = action === 'refuse-frame' ? 'malformed frame refused, the stream goes on' : `output ${output} failed (${action}), the stream goes on`;
      this.log.warn({ url: source.url, output, stage, err: error, action, count, unreported }, msg);
    });
    // A worker of `tsrs --workers N` gets its share of max_connections (the shares add up to it);
    // max_connections_per_ip applies in each worker.
    const maxConnections = () => (this.worker ? workerShare(this.config.global.max_connections, workerCount(this.env), this.worker) : this.config.global.max_connections);
    this.connections = new ConnectionLimit(maxConnections, log, undefined, () => this.config.global.max_connections_per_ip);
    this.supervisor = new ProcessSupervisor(log.child({ mod: 'process' }), { maxProcesses: () => this.config.global.max_child_processes });
    const rtmpPort = () => this.addresses('rtmp')[0]?.port ?? 1935;
    const acodec = audioEncoderMapper(this.log.child({ mod: 'ffmpeg' }));
    this.ingest = new IngestManager({
      supervisor: this.supervisor,
      rtmpPort,
      acodec,
      log: this.log.child({ mod: 'ingest' }),
      findSource: (vhost, app, stream) => this.hub.findSource(vhost, app, stream),
    });
    this.ingest.subscribe(this.hub.bus);
    this.transcode = new TranscodeRunner({
      supervisor: this.supervisor,
      config: () => this.config,
      rtmpPort,
      acodec,
      log: this.log.child({ mod: 'transcode' }),
      published: () => [...this.hub.sources.values()].filter((s) => s.publisher),
    });
    this.transcode.subscribe(this.hub.bus);
    this.exec = new ExecRunner({ supervisor: this.supervisor, config: () => this.config, rtmpPort, log: this.log.child({ mod: 'exec' }) });
    this.exec.subscribe(this.hub.bus);
    this.identity = new ServerIdentity(() => this.config);
    this.forward = new ForwardManager({
      hub: this.hub, config: () => this.config, identity: this.identity, limit: this.connections, rtmpPorts: () => this.addresses('rtmp').map((a) => a.port), log: this.log.child({ mod: 'forward' }),
    });
    this.forward.subscribe(this.hub.bus);
    this.dvr = new DvrManager({ hub: this.hub, config: () => this.config, bus: this.hub.bus, log: this.log.child({ mod: 'dvr' }), recordings: () => this.history });
    this.edge = new EdgeCluster({ hub: this.hub, config: () => this.config, log: this.log.child({ mod: 'edge' }), self: `${this.identity.serviceId}-${this.identity.pid}` });
    this.edge.subscribe(this.hub.bus);
    this.registry = new StreamRegistry({
      config: () => this.config,
      log: this.log.child({ mod: 'registry' }),
      identity: this.identity,
      rtmpAddress: () => this.addresses('rtmp')[0],
      apiAddress: () => this.api?.addresses()[0],
    });
    this.registry.subscribe(this.hub.bus);
  }

  static async start(opts: ServerOptions): Promise<TsrsServer> {
    const env = opts.env ?? process.env;
    const configPath = opts.configPath && resolve(opts.configPath);
    const { config, warnings } = configPath ? loadConfig(configPath, env) : loadEnvOnlyConfig(env);
    const worker = opts.worker;
    const baseLog = opts.logger ?? createLogger({ level: pinoLevel(config.global.srs_log_level) });
    const log = worker ? baseLog.child({ worker }) : baseLog;
    for (const w of warnings) log.warn(w);
    // SRS's work_dir: relative paths (objs, hls_path, dvr_path, the database) resolve there.
    if (config.global.work_dir && config.global.work_dir !== './') {
      try {
        process.chdir(config.global.work_dir);
      } catch (err) {
        throw new Error(`work_dir '${config.global.work_dir}': ${(err as Error).message}`);
      }
    }
    // Before the history store: a second server on the same files must not repair the first's rows.
    // (A worker's primary holds it.)
    const releasePid = worker ? () => {} : acquirePidFile(config.global.pid);
    // And the history database: a second server with its own pid file but the same database
    // would close the first one's live rows as crashed. (A worker's primary holds it.)
    let releaseDb: () => void = () => {};
    try {
      if (!worker) releaseDb = lockHistoryDatabase(config, env);
    } catch (err) {
      releasePid();
      throw err;
    }
    const server = new TsrsServer(config, configPath, log, env, worker);
    server.releasePid = () => {
      releaseDb();
      releasePid();
    };
    try {
      // Its rows carry the node id: a shared PostgreSQL's startup repair closes only this node's.
      // Workers share the primary's database; it repaired before they started, worker 1 prunes.
      const open = () => openHistory(config, env, log.child({ mod: 'db' }), !worker);
      try {
        server.attachHistory(await open());
      } catch (err) {
        // PostgreSQL unreachable: media starts now, history once the database answers.
        if (!historyIsPostgres(config, env) || !isUnreachable(err)) throw err;
        server.openHistoryLater(open, err);
      }
      await server.startListeners();
      await server.ingest.apply(config);
    } catch (err) {
      await server.stop(false);
      throw err;
    }
    const started = { version: VERSION, srs: SRS_COMPAT_VERSION, config: configPath ?? '<env>', cwd: process.cwd(), pid: process.pid };
    if (worker) {
      // (the primary says "tsrs <version> started" once every worker is up)
      log.info(started, `tsrs worker ${worker} is up`);
      return server;
    }
    log.info(started, `tsrs ${VERSION} started`);
    for (const line of server.urls()) log.info(line);
    return server;
  }

  /** Where to go once started: the console and how to publish and play (printed at start). */
  urls(): string[] {
    const host = (a: { host: string } | undefined) => (!a || a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host.includes(':') ? `[${a.host}]` : a.host);
    const out: string[] = [];
    const rtmp = this.addresses('rtmp')[0];
    const rtmpBase = rtmp && `rtmp://${host(rtmp)}:${rtmp.port}`;
    if (rtmpBase) out.push(`publish: ${rtmpBase}/live/livestream`);
    const http = this.http?.addresses()[0];
    const httpBase = http && `http://${host(http)}:${http.port}`;
    const play = playUrls(this.config.getVhost(DEFAULT_VHOST), rtmpBase, httpBase);
    if (play.length) out.push(`play: ${play.join(', ')}`);
    if (httpBase) out.push(`console: ${httpBase}/console/`);
    const api = this.api?.addresses()[0];
    if (api) out.push(`api: http://${host(api)}:${api.port}/api/v1/summaries`);
    return out;
  }

  private async startListeners(): Promise<void> {
    const c = this.config;
    mkdirSync('./objs', { recursive: true });
    this.listeners.push(new RtmpListener(this.hub, () => this.config, this.log, this.connections, this.registry));
    if (c.global.rtc_server.enabled) {
      this.rtc = new RtcServer(this.hub, () => this.config, this.log.child({ mod: 'rtc' }), this.supervisor, undefined, this.connections);
      this.listeners.push(this.rtc);
    }
    const headTimeoutMs = c.global.handshake_timeout * 1000;
    if (c.http_server.enabled) {
      this.http = new HttpListener('http', c.http_server.listen, this.log, this.connections, headTimeoutMs);
      this.listeners.push(this.http);
    }
    if (c.http_api.enabled && this.worker) {
      // The primary answers http_api.listen; it asks each worker on its own loopback port.
      this.api = new HttpListener('api', { host: '127.0.0.1', port: 0 }, this.log, this.connections, headTimeoutMs);
      this.api.exclusive = true;
      this.listeners.push(this.api);
    } else if (c.http_api.enabled) {
      const shared = this.http && c.http_server.listen.port === c.http_api.listen.port;
      this.api = shared ? this.http : new HttpListener('api', c.http_api.listen, this.log, this.connections, headTimeoutMs);
      if (!shared) this.listeners.push(this.api!);
    }
    // API routes first: on a shared port they own /api/ and /rtc/, streams and files the rest.
    this.mountApi();
    this.mountHttp();
    this.mountCasters();
    for (const l of this.listeners) {
      try {
        await l.start();
      } catch (err) {
        // name the listener: 'http_api listen 1985: address already in use'
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`${l.name} listener cannot start: ${code === 'EADDRINUSE' ? 'address already in use, ' : ''}${(err as Error).message}`);
      }
    }
    this.attachLiveFeed();
    this.registry.connectConfigured();
  }

  /** Handlers of the HTTP API port (/api/v1, /rtc/v1, socket.io). */
  private mountApi(): void {
    const config = () => this.config;
    const identity = this.identity;
    // Security and hooks gate clients whether or not the API is served (security first, as SRS).
    const hooks = new HttpHooks({ config, identity, log: this.log.child({ mod: 'hooks' }), hub: this.hub });
    // token_traverse last: the edge's own checks pass before an origin is asked.
    // forward's backend (SRS 5) last: it is asked once the publish passed everything else.
    this.hub.admissions.push(new SecurityAdmission(config), hooks, new TokenTraverse(config, this.log.child({ mod: 'edge' })), this.forward.admission);
    hooks.subscribe(this.hub.bus);
    const exporter = this.config.global.exporter;
    if (!this.api && !exporter.enabled) return;
    // The sampler is the first to notice a process out of descriptors: new sockets back off.
    const stats = new SystemStats(
      5000,
      (err) => this.connections.resourceError(err, 'stats sampler'),
      () => this.config.global.stats.disk,
    );
    stats.start();
    const model = new ApiModel(this.hub, config);
    const server = this;
    const deps: ApiDeps = {
      queries: model,
      actions: model,
      // getters: a history database that was unreachable at start is attached later
      get history() {
        return server.history;
      },
      get recorder() {
        return server.recorder;
      },
      stats,
      connections: this.connections,
      identity,
      hooks,
      dvr: this.dvr,
      processes: () => this.supervisor.list(),
      config,
      reload: () => {
        const before = this.config;
        this.reload();
        return this.config !== before;
      },
      rtmpPort: () => this.addresses('rtmp')[0]?.port ?? 1935,
      locate: (vhost, app, stream) => this.registry.locate(vhost, app, stream),
      apiPort: () => this.api?.addresses()[0]?.port ?? this.config.http_api.listen.port,
      streamHistory: (id) => this.liveFeed?.streamHistory(id),
      rtc: () => this.rtc,
    };
    if (exporter.enabled) {
      // SRS 5's exporter: /metrics on its own port, for its allow-list, without API credentials.
      const listener = new HttpListener('exporter', exporter.listen, this.log, this.connections, this.config.global.handshake_timeout * 1000);
      listener.use(exporterHandler({ metrics: () => metricsText(deps), allow: () => this.config.global.exporter.allow }));
      this.listeners.push(listener);
    }
    const api = this.api;
    if (!api) return;
    const dir = () => this.config.http_server.dir;
    this.liveDeps = {
      queries: model, stats, config, log: this.log.child({ mod: 'socket.io' }), node: nodeId(this.config), registry: registryUrl(this.config),
      siblings: this.worker ? ipcSiblings(this.worker) : undefined,
    };
    const { handler } = createApiHandler({ log: this.log.child({ mod: 'api' }), ownRoot: api !== this.http, deps });
    api.use(handler);
    if (api !== this.http) {
      // SRS 5 serves its console on the API port: <http_server.dir>/console first there.
      api.use(consoleFilesHandler({ dir, first: 'srs', servedBy: 'api', ports: () => this.consolePorts() }));
      api.use(consoleRedirectsHandler({ rootToConsole: false, playerFilesDir: dir }));
    }
    // A separate API port answers unknown paths too: with CORS, so browsers see the 404.
    if (api !== this.http) api.use((req, res) => applyCors(req, res, this.config.http_api.crossdomain));
  }

  /** socket.io attaches to the API's http.Server, which exists once the listeners started. */
  private attachLiveFeed(): void {
    const server = this.api?.httpServer;
    if (server && this.liveDeps) this.liveFeed = new LiveFeed(server, this.liveDeps);
  }

  /** Handlers of the HTTP server port (HTTP-FLV/TS, HLS, static files, console). */
  private mountHttp(): void {
    const config = () => this.config;
    // HLS files are written whether or not this server serves them (nginx may).
    this.hlsFactory = hlsOutputFactory({ config, bus: this.hub.bus, log: this.log });
    this.hub.outputFactories.push(this.hlsFactory);
    this.hub.outputFactories.push(this.dvr.factory);
    if (!this.http) return;
    this.http.use((req, res) => applyCors(req, res, this.config.http_server.crossdomain));
    this.http.use(streamRoutesHandler({ hub: this.hub, config, log: this.log }));
    // HLS viewers as clients (hls_ctx): before the plain files
    this.http.use(hlsRoutesHandler({ hub: this.hub, config, log: this.log }));
    // tsrs's console at /console/ before the dir's files: an SRS console copied into
    // http_server.dir fills in the paths tsrs's lacks (/console/ng_index.html) and is served
    // first on the API port (see mountApi).
    const dir = () => this.config.http_server.dir;
    const servedBy = this.api === this.http ? 'both' : 'http';
    this.http.use(consoleFilesHandler({ dir, first: 'tsrs', servedBy, ports: () => this.consolePorts() }));
    this.http.use(staticFilesHandler({ roots: () => staticRoots(this.config) }));
    // Last: SRS's player URLs (when the dir has no such page), and `/` when it has no index.html.
    this.http.use(consoleRedirectsHandler({ rootToConsole: true }));
  }

  /** The bound API, HTTP server and (first) RTMP ports, for the console's pages (/console/tsrs-server.js). */
  private consolePorts(): ServerPorts {
    return { api: this.api?.addresses()[0]?.port ?? null, http: this.http?.addresses()[0]?.port ?? null, rtmp: this.addresses('rtmp')[0]?.port ?? null };
  }

  /**
   * The stream casters (`stream_caster` blocks that are on): `flv` is an HTTP port taking FLV
   * bodies by POST, `mpegts_over_udp` a UDP port taking MPEG-TS. Others are left to
   * config/not-yet.ts's warning.
   */
  private mountCasters(): void {
    const headTimeoutMs = this.config.global.handshake_timeout * 1000;
    for (const c of this.config.stream_casters) {
      if (c.enabled && c.caster === 'mpegts_over_udp') {
        const log = this.log.child({ mod: 'mpegts-caster' });
        const caster = new MpegtsCaster({
          hub: this.hub, config: () => this.config, log, output: c.output, idleTimeoutMs: c.idle_timeout * 1000, limit: this.connections, name: 'mpegts_caster',
          demuxer: { maxStreams: c.max_streams, maxPesBytes: c.max_pes_bytes, maxPendingBytes: c.max_pending_bytes },
        });
        this.listeners.push(new UdpListener('mpegts_caster', { port: c.listen }, log, (d, a, p) => caster.onDatagram(d, a, p), () => caster.close()));
        continue;
      }
      if (!c.enabled || c.caster !== 'flv') continue;
      const log = this.log.child({ mod: 'flv-caster' });
      const listener = new HttpListener('flv_caster', { port: c.listen }, log, this.connections, headTimeoutMs, isCasterPublish);
      const output = c.output;
      listener.use(flvCasterHandler({ hub: this.hub, config: () => this.config, log, output: () => output, maxPublishers: c.max_publishers }));
      this.listeners.push(listener);
    }
  }

  /** The bound ports by listener name (tests use port 0 configs... and read them here). */
  addresses(name: string): { host: string; port: number }[] {
    return this.listeners.filter((l) => l.name === name).flatMap((l) => l.addresses());
  }

  /** SIGHUP: re-read the config; vhost play settings apply to live sources at once. */
  reload(): void {
    let next: Config;
    try {
      next = this.configPath ? loadConfig(this.configPath, this.env).config : loadEnvOnlyConfig(this.env).config;
      next.global; // validate eagerly
    } catch (err) {
      this.log.error({ err: String(err) }, 'reload failed, keeping the running config');
      return;
    }
    const changes = diffConfig(this.config, next);
    this.config = next;
    for (const s of this.hub.sources.values()) {
      s.configure(sourceOptions(next, s.vhost));
      // hls turned on: running streams start segmenting at their next keyframe
      if (this.hlsFactory && !s.outputs.some((o) => o.name === 'hls')) {
        const hls = this.hlsFactory(s);
        if (hls) s.addOutput(hls);
      }
    }
    if (!this.stopping) {
      void this.ingest.apply(next);
      void this.transcode.apply();
      void this.exec.reload();
      this.forward.reload();
      this.registry.connectConfigured();
    }
    this.log.info({ changes }, 'config reloaded');
    if (changes.some((c) => c === 'listen' || c.startsWith('http_') || c.startsWith('stream_caster'))) {
      this.log.warn('listener changes (listen, http_*, stream_caster) need a restart to take effect');
    }
  }

  async stop(graceful = true): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ graceful }, 'tsrs stopping');
    // Clients cut by the server's stop ended normally (not as errors of their own).
    for (const c of this.hub.clients.values()) c.endReason ??= 'normal';
    this.liveFeed?.close();
    // Before the publishers go: this node's registry entries are deleted, not left to expire.
    await this.registry.close();
    // Children and forwarders first: their RTMP connections end before the listeners close.
    this.ingest.close();
    this.forward.close();
    await this.supervisor.close();
    this.edge.close();
    await Promise.all(this.listeners.map((l) => l.close(graceful)));
    this.hub.close();
    this.connections.close();
    // Let the recorder see the last closes before the database goes.
    await new Promise((r) => setImmediate(r));
    clearInterval(this.retentionTimer);
    clearTimeout(this.historyRetry);
    this.recorder?.close();
    // Recordings finish their files and rows while the store is still open.
    await this.dvr.close();
    await this.history?.close();
    this.releasePid?.();
    this.log.info({ graceful }, 'tsrs stopped');
  }
}
