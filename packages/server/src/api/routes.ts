/**
 * The route table of the SRS-compatible HTTP API (srs-compat.md section 1) plus tsrs's
 * additions (/api/v1/openapi.json, /metrics). Each route carries its handler and the schema
 * of its answer; the router and the OpenAPI document are both made from this table.
 */
import {
  ApiV1Response,
  ApiVersionsResponse,
  AuthorsResponse,
  ClientResponse,
  ClientsResponse,
  ClustersResponse,
  ErrorCode,
  FeaturesResponse,
  KickResponse,
  LiveStreamHistoryResponse,
  MemInfosResponse,
  OpenApiDocument,
  RawApiResponse,
  RequestsResponse,
  RootResponse,
  RusagesResponse,
  SelfProcStatsResponse,
  StreamResponse,
  StreamsResponse,
  SummariesResponse,
  SystemProcStatsResponse,
  VersionsResponse,
  VhostResponse,
  VhostsResponse,
  type Clusters,
  type Features,
  type LiveStreamHistory,
  type Summaries,
  type Versions,
} from '@tsrs/api-types';
import type { ConnectionLimit } from '../app/connection-limit.js';
import type { ApiActions, ApiQueries, HookFigures } from '../app/api-model.js';
import { randomId } from '../app/ids.js';
import type { ServerIdentity } from '../app/stats-identity.js';
import type { RegistryEntry } from '../app/cluster/registry.js';
import type { SystemStats } from '../app/stats.js';
import { formatEndpoint, type Config } from '../config/index.js';
import { SRS_COMPAT_VERSION, VERSION } from '../version.js';
import { metricsText } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { configRoutes } from './routes-config.js';
import { processRoutes, type ProcessApiDeps } from './routes-processes.js';
import { dvrRoutes, type DvrApiDeps } from './routes-dvr.js';
import { historyRoutes, type HistoryDeps } from './routes-history.js';
import { rtcFeature, rtcRoutes, type RtcApiDeps } from './routes-rtc.js';
import { fail, ok, raw, type RequestCtx, type Route } from './router.js';
import { HISTORY_SAMPLES } from './socket-history.js';
import { formatHostPort, parseHostPort } from '../app/cluster/addr.js';

export interface ApiDeps extends HistoryDeps, DvrApiDeps, ProcessApiDeps, RtcApiDeps {
  /** the live model, read through the narrow query interface (wire objects only) */
  queries: ApiQueries;
  actions: ApiActions;
  stats: SystemStats;
  /** sockets of every listener against max_connections */
  connections: Pick<ConnectionLimit, 'open' | 'cap' | 'refusedTotal'>;
  identity: ServerIdentity;
  hooks: HookFigures;
  config: () => Config;
  /** SIGHUP-style reload; true when the new config was applied */
  reload: () => boolean;
  /** the RTMP port and API port, for /api/v1/clusters */
  rtmpPort: () => number;
  apiPort: () => number;
  /** another origin of a stream, from the vhost's shared registry (rejects while it is unreachable) */
  locate?: (vhost: string, app: string, stream: string) => Promise<RegistryEntry | undefined>;
  /** a stream's last minutes of live figures (the live feed's rings); undefined when none are kept */
  streamHistory: (id: string) => LiveStreamHistory | undefined;
}

const DESCRIPTIONS = {
  versions: 'the version of SRS',
  summaries: 'the summary(pid, argv, pwd, cpu, mem) of SRS',
  rusages: 'the rusage of SRS',
  self_proc_stats: 'the self process stats',
  system_proc_stats: 'the system process stats',
  meminfos: 'the meminfo of system',
  authors: 'the license, copyright, authors and contributors',
  features: 'the supported features of SRS',
  requests: 'the request itself, for http debug',
  vhosts: 'manage all vhosts or specified vhost',
  streams: 'manage all streams or specified stream',
  clients: 'manage all clients or specified client, default query top 10 clients',
  raw: 'raw api for srs, support CUID srs for instance the config',
  clusters: 'origin cluster server API',
  perf: 'System performance stat',
  tcmalloc: 'tcmalloc api with params ?page=summary|api',
} as const;

/** SRS's paging: start >= 0, count >= 10 (10 is the default and the minimum). */
export function page<T>(items: T[], query: URLSearchParams): T[] {
  const start = Math.max(0, Number.parseInt(query.get('start') ?? '0', 10) || 0);
  const count = Math.max(10, Number.parseInt(query.get('count') ?? '10', 10) || 10);
  return items.slice(start, start + count);
}

const PAGING = {
  start: { description: 'items to skip (default 0)', type: 'integer' as const },
  count: { description: 'items to return, at least 10 (default 10)', type: 'integer' as const },
};

export function buildRoutes(d: ApiDeps): Route[] {
  let lastReload = { err: 0, msg: '', state: 0, rid: '' };

  const routes: Route[] = [
    {
      path: '/',
      tag: 'root',
      rootOnly: true,
      ops: {
        GET: {
          summary: 'The API root',
          response: RootResponse,
          handle: () => ok({
            urls: {
              api: 'the api root',
              rtc: { v1: { play: 'Play stream', publish: 'Publish stream', nack: 'Simulate the NACK' } },
            },
          }),
        },
      },
    },
    {
      path: '/api/',
      tag: 'root',
      ops: {
        GET: {
          summary: 'API versions',
          response: ApiVersionsResponse,
          handle: () => ok({ urls: { v1: 'the api version 1.0' } }),
        },
      },
    },
    {
      path: '/api/v1/',
      tag: 'root',
      ops: {
        GET: {
          summary: 'The v1 API: its resources',
          response: ApiV1Response,
          handle: () => ok({
            urls: { ...DESCRIPTIONS },
            tests: {
              requests: 'show the request info',
              errors: 'always return an error 100',
              redirects: 'always redirect to /api/v1/test/errors',
              '[vhost]': 'http vhost for http://error.srs.com:1985/api/v1/tests/errors',
            },
          }),
        },
      },
    },
    {
      path: '/api/v1/versions',
      tag: 'system',
      ops: {
        GET: {
          summary: 'The SRS version tsrs is compatible with',
          response: VersionsResponse,
          handle: () => {
            const [major, minor, revision] = SRS_COMPAT_VERSION.split('.').map(Number);
            const v: Versions = { major, minor, revision, version: SRS_COMPAT_VERSION, tsrs_version: VERSION };
            return ok({ data: v });
          },
        },
      },
    },
    {
      path: '/api/v1/summaries',
      tag: 'system',
      ops: {
        GET: {
          summary: 'Process and system figures (sampled at most once a second)',
          response: SummariesResponse,
          handle: async () => {
            const st = d.stats;
            await st.fresh();
            const bytes = d.queries.serverBytes();
            const s: Summaries = {
              ok: st.self.ok,
              now_ms: Date.now(),
              self: st.summarySelf(),
              system: st.summarySystem({
                recvBytes: () => bytes.recv,
                sendBytes: () => bytes.send,
                connections: () => d.queries.figures().connections,
              }),
            };
            return ok({ data: s });
          },
        },
      },
    },
    {
      path: '/api/v1/rusages',
      tag: 'system',
      ops: { GET: { summary: 'getrusage(2) of the process', response: RusagesResponse, handle: async () => ok({ data: (await d.stats.fresh(), d.stats.rusage) }) } },
    },
    {
      path: '/api/v1/self_proc_stats',
      tag: 'system',
      ops: { GET: { summary: '/proc/self/stat', response: SelfProcStatsResponse, handle: async () => ok({ data: (await d.stats.fresh(), d.stats.selfStat) }) } },
    },
    {
      path: '/api/v1/system_proc_stats',
      tag: 'system',
      ops: { GET: { summary: '/proc/stat (all CPUs)', response: SystemProcStatsResponse, handle: async () => ok({ data: (await d.stats.fresh(), d.stats.systemStat) }) } },
    },
    {
      path: '/api/v1/meminfos',
      tag: 'system',
      ops: { GET: { summary: '/proc/meminfo', response: MemInfosResponse, handle: async () => ok({ data: (await d.stats.fresh(), d.stats.meminfo) }) } },
    },
    {
      path: '/api/v1/authors',
      tag: 'system',
      ops: {
        GET: {
          summary: 'License and authors',
          response: AuthorsResponse,
          handle: () => ok({ data: { license: 'MIT', contributors: 'the tsrs authors; interfaces after SRS (https://github.com/ossrs/srs)' } }),
        },
      },
    },
    {
      path: '/api/v1/features',
      tag: 'system',
      ops: {
        GET: {
          summary: 'Features of this build',
          response: FeaturesResponse,
          handle: () => {
            const f: Features = {
              options: `tsrs ${VERSION}`,
              options2: '',
              build: `node ${process.version}`,
              build2: `${process.platform}-${process.arch}`,
              features: {
                ssl: false, hls: true, hds: false, callback: true, api: true, httpd: true, dvr: true, transcode: true,
                ingest: true, stat: true, caster: true, complex_send: true, tcp_nodelay: true, so_sendbuf: false, mr: true,
              },
              tsrs: rtcFeature(d.config().global.rtc_server.enabled, d.rtc()),
            };
            return ok({ data: f });
          },
        },
      },
    },
    ...['/api/v1/requests', '/api/v1/tests/requests'].map((path): Route => ({
      path,
      tag: 'tests',
      ops: {
        GET: {
          summary: 'The request itself, for debugging',
          response: RequestsResponse,
          handle: (ctx: RequestCtx) => ok({
            data: {
              uri: ctx.url,
              path: ctx.path,
              METHOD: ctx.method,
              // SRS's duplicate-key bug: the request headers are replaced by this server info
              headers: { sigature: 'tsrs', version: SRS_COMPAT_VERSION, link: 'https://github.com/ossrs/srs', time: Math.floor(Date.now() / 1000) },
            },
          }),
        },
      },
    })),
    {
      path: '/api/v1/tests/errors',
      tag: 'tests',
      ops: { GET: { summary: 'Always error 100', response: KickResponse, errors: [ErrorCode.TestError], handle: () => fail(ErrorCode.TestError) } },
    },
    {
      path: '/api/v1/tests/redirects',
      tag: 'tests',
      ops: {
        GET: {
          summary: 'Always 301 to /api/v1/tests/errors',
          response: 'redirect',
          handle: () => raw(301, 'Moved Permanently', { Location: '/api/v1/tests/errors' }),
        },
      },
    },
    {
      path: '/api/v1/vhosts/',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'All configured vhosts',
          response: VhostsResponse,
          handle: () => ok({ vhosts: d.queries.vhosts() }),
        },
      },
    },
    {
      path: '/api/v1/vhosts/{id}',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'One vhost by id',
          response: VhostResponse,
          errors: [ErrorCode.VhostNotFound],
          handle: (ctx) => {
            const vhost = d.queries.vhost(ctx.id);
            return vhost ? ok({ vhost }) : fail(ErrorCode.VhostNotFound);
          },
        },
      },
    },
    {
      path: '/api/v1/streams/',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'Streams (published, or played and waiting), in id order, paged',
          query: PAGING,
          response: StreamsResponse,
          handle: (ctx) => ok({ streams: page(d.queries.streams(), ctx.query) }),
        },
      },
    },
    {
      path: '/api/v1/streams/{id}',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'One stream by id',
          response: StreamResponse,
          errors: [ErrorCode.StreamNotFound],
          handle: (ctx) => {
            const stream = d.queries.stream(ctx.id);
            return stream ? ok({ stream }) : fail(ErrorCode.StreamNotFound);
          },
        },
      },
    },
    {
      path: '/api/v1/streams/{id}/samples',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: "The stream's last 10 minutes of live figures, one sample a second, oldest first (a bounded ring per stream, for 64 streams at most)",
          response: LiveStreamHistoryResponse,
          errors: [ErrorCode.StreamNotFound],
          handle: (ctx) => {
            const history = d.streamHistory(ctx.id);
            if (history) return ok({ history });
            // listed but not sampled yet (or past the bound): no samples, not an error
            return d.queries.stream(ctx.id) ? ok({ history: { stream: ctx.id, interval_ms: 1000, capacity: HISTORY_SAMPLES, samples: [] } }) : fail(ErrorCode.StreamNotFound);
          },
        },
      },
    },
    {
      path: '/api/v1/clients/',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'Clients (publishers and players), in id order, paged',
          query: PAGING,
          response: ClientsResponse,
          handle: (ctx) => ok({ clients: page(d.queries.clients(), ctx.query) }),
        },
      },
    },
    {
      path: '/api/v1/clients/{id}',
      tag: 'resources',
      ops: {
        GET: {
          summary: 'One client by id',
          response: ClientResponse,
          errors: [ErrorCode.ClientNotFound],
          handle: (ctx) => {
            const client = d.queries.client(ctx.id);
            return client ? ok({ client }) : fail(ErrorCode.ClientNotFound);
          },
        },
        DELETE: {
          summary: 'Kick a client: its connection closes at once; a kicked publisher unpublishes',
          response: KickResponse,
          errors: [ErrorCode.ClientNotFound],
          handle: (ctx) => {
            return d.actions.kickClient(ctx.id) ? ok() : fail(ErrorCode.ClientNotFound);
          },
        },
      },
    },
    {
      path: '/api/v1/raw',
      tag: 'raw',
      ops: {
        GET: {
          summary: 'rpc=raw: the raw_api config; rpc=reload: reload the config (raw_api.allow_reload); rpc=reload-fetch: the last reload',
          query: { rpc: { description: 'raw | reload | reload-fetch', type: 'string' } },
          response: RawApiResponse,
          errors: [ErrorCode.RawApiRpcInvalid, ErrorCode.RawApiDisabled],
          handle: (ctx) => {
            const api = d.config().http_api;
            const rpc = ctx.query.get('rpc') ?? '';
            if (rpc === 'raw') {
              const r = api.raw_api;
              return ok({
                http_api: {
                  enabled: api.enabled,
                  listen: formatEndpoint(api.listen),
                  crossdomain: api.crossdomain,
                  // SRS 5 removed query and update (#2653): always false, whatever the config says
                  raw_api: { enabled: r.enabled, allow_reload: r.allow_reload, allow_query: false, allow_update: false },
                },
              });
            }
            if (rpc !== 'reload' && rpc !== 'reload-fetch') return fail(ErrorCode.RawApiRpcInvalid);
            if (!api.raw_api.enabled) return fail(ErrorCode.RawApiDisabled);
            if (rpc === 'reload-fetch') return ok({ data: lastReload });
            if (!api.raw_api.allow_reload) return fail(ErrorCode.RawApiDisabled);
            const applied = d.reload();
            lastReload = { err: applied ? 0 : 1, msg: applied ? 'ok' : 'reload failed, see the log', state: 0, rid: randomId(7) };
            return { kind: 'error', code: 0 }; // SRS answers a bare {"code":0}
          },
        },
      },
    },
    {
      path: '/api/v1/clusters',
      tag: 'cluster',
      ops: Object.fromEntries((['GET', 'POST'] as const).map((m) => [m, {
        summary: 'Origin-cluster discovery: where a stream is published (this server, or null)',
        query: {
          ip: { description: 'the asking server', type: 'string' },
          vhost: { description: 'vhost name', type: 'string' },
          app: { description: 'app', type: 'string' },
          stream: { description: 'stream name', type: 'string' },
          coworker: { description: 'this server as the asker knows it (ip:port)', type: 'string' },
        },
        body: 'json',
        response: ClustersResponse,
        handle: async (ctx: RequestCtx) => {
          const q = (k: string) => ctx.query.get(k) ?? '';
          const query = { ip: q('ip'), vhost: q('vhost'), app: q('app'), stream: q('stream') };
          const vhost = d.config().getVhost(query.vhost)?.name ?? query.vhost;
          const here = d.queries.publishing(vhost, query.app, query.stream);
          const coworker = q('coworker');
          // the asker's name for this server (`host:port`, `[v6]:port`); anything else: loopback
          const host = (coworker && parseHostPort(coworker, null)?.host) || '127.0.0.1';
          const apiAt = formatHostPort({ host, port: d.apiPort() });
          let origin: Clusters['origin'] = here ? { ip: host, port: d.rtmpPort(), vhost: query.vhost, api: apiAt, routers: [apiAt] } : null;
          // tsrs: a stream published on another origin, from the shared registry (null while Redis is unreachable)
          const elsewhere = here || !d.locate ? undefined : await d.locate(vhost, query.app, query.stream).catch(() => undefined);
          if (elsewhere) {
            const { host: ip, port } = elsewhere.rtmp;
            origin = { ip, port, vhost: query.vhost, api: elsewhere.api, routers: elsewhere.api ? [elsewhere.api] : [], node: elsewhere.node };
          }
          return ok({ data: { query, origin } satisfies Clusters });
        },
      }])),
    },
    ...historyRoutes(d),
    ...dvrRoutes(d),
    ...configRoutes(d),
    ...processRoutes(d),
    ...rtcRoutes(d),
    {
      path: '/api/v1/openapi.json',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: 'This document (OpenAPI 3.1), made from the route table',
          response: OpenApiDocument,
          plainJson: true,
          handle: () => raw(200, JSON.stringify(openApiDocument(routes)), { 'Content-Type': 'application/json' }),
        },
      },
    },
    {
      path: '/metrics',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: 'Prometheus metrics (always served on the API port; SRS needs exporter.enabled)',
          response: 'text',
          handle: () => raw(200, metricsText(d), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }),
        },
      },
    },
  ];
  return routes;
}
