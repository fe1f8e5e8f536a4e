/**
 * Wire types of the tsrs HTTP API (SRS-compatible `/api/v1`) and of SRS's HTTP callbacks.
 *
 * One source: each answer is a TypeBox schema (a plain JSON Schema object, the same object the
 * server puts into `/api/v1/openapi.json`) and its TypeScript type is `Static<typeof Schema>`,
 * under the same name. Field order is the order the server writes them (SRS's order). Shared
 * by the server (which builds these objects) and the console (which reads them). Schemas with a
 * `$id` are the document's named components.
 */
import { Type, type Static } from '@sinclair/typebox';
import { anyObject, arr, bool, envelope, EnvelopeFields, int, map, nullable, num, oneOfStrings, str } from './kit.js';
import { AudioInfo, VideoInfo } from './media.js';
import { LiveStreamHistory, LiveSummary } from './socket.js';

export { envelope } from './kit.js';
export * from './media.js';

// ---------------------------------------------------------------------------------------------
// Envelope and errors

/** Every successful answer starts with these fields. */
export const Envelope = Type.Object(EnvelopeFields, { $id: 'Envelope' });
export type Envelope = Static<typeof Envelope>;

/** Every SRS-style error answer: HTTP 200 and only the code (see ErrorCode). */
export const ErrorBody = Type.Object({ code: int('an ErrorCode') }, { $id: 'Error' });
export type ErrorBody = Static<typeof ErrorBody>;

/** Sent bytes / received bytes rates over SRS's 30 s window, kbps. */
export const Kbps = Type.Object({ recv_30s: int('kbps received over 30 s'), send_30s: int('kbps sent over 30 s') }, { $id: 'Kbps' });
export type Kbps = Static<typeof Kbps>;

// ---------------------------------------------------------------------------------------------
// Resources

export const Vhost = Type.Object({
  id: str('vid- + 7 chars, stable for the life of the process'),
  name: str(),
  enabled: bool(),
  clients: int(),
  streams: int(),
  send_bytes: int(),
  recv_bytes: int(),
  kbps: Kbps,
  hls: Type.Object({ enabled: bool(), fragment: Type.Optional(num('seconds')) }),
}, { $id: 'Vhost' });
export type Vhost = Static<typeof Vhost>;

/** `cid` is the publisher's client id, present only while published. */
export const PublishState = Type.Object({ active: bool(), cid: Type.Optional(str('the publisher client id')) });
export type PublishState = Static<typeof PublishState>;

/** tsrs: frames a stream did not pass on, by why (Stream.tsrs_dropped_frames). */
export const DroppedFrames = Type.Object({
  queue: int('dropped from the queues of players that fell behind (queue_length, queue_max_bytes), gone players included'),
  gop_cache: int('dropped from the GOP cache past its bounds (gop_cache_max_frames, gop_cache_max_bytes)'),
  refused: int('malformed frames refused from the publisher (bad tags, NAL unit lengths past the end, AAC before its sequence header)'),
}, { $id: 'DroppedFrames' });
export type DroppedFrames = Static<typeof DroppedFrames>;

export const Stream = Type.Object({
  id: str('vid-xxxxxxx'),
  name: str('the stream name'),
  vhost: str("the vhost's id (not its name)"),
  app: str(),
  tcUrl: str(),
  url: str('[vhost]/app/stream, vhost left out for __defaultVhost__'),
  live_ms: int('the current wall-clock time in ms (SRS), not a duration'),
  clients: int('publisher + players'),
  frames: int('video frames received'),
  send_bytes: int(),
  recv_bytes: int(),
  kbps: Kbps,
  publish: PublishState,
  video: nullable(VideoInfo),
  audio: nullable(AudioInfo),
  tsrs_errors: map(int(), 'tsrs: errors per output of this stream (hls, dvr, http-ts, rtmp, http-flv, ...); outputs without errors are left out'),
  tsrs_dropped_frames: DroppedFrames,
  tsrs_input: Type.Optional(map(int(), "tsrs: the publisher's input damage and counts, where its protocol keeps them (MPEG-TS over UDP: packets, resyncs, skipped_bytes, cc_errors, transport_errors, dropped_pes, oversized_pes, crc_errors, access_units, refused_access_units)")),
}, { $id: 'Stream' });
export type Stream = Static<typeof Stream>;

export const CLIENT_TYPES = [
  'rtmp-play', 'hls-play', 'flv-play', 'ts-play', 'aac-play', 'mp3-play', 'rtc-play', 'flash-publish', 'fmle-publish',
  'haivision-publish', 'rtc-publish', 'srt-play', 'srt-publish',
  // tsrs: a server-side push of a published stream to another server (vhost forward)
  'rtmp-forwarder',
  'Unknown',
] as const;
export const ClientType = oneOfStrings(CLIENT_TYPES, 'SRS client type');
export type ClientType = Static<typeof ClientType>;

/** tsrs: one forwarder's destination state (clients of type `rtmp-forwarder`). */
export const ForwardState = Type.Object({
  destination: str('the RTMP URL pushed to'),
  state: oneOfStrings(['connecting', 'forwarding', 'retrying', 'stopped'] as const, 'connecting (handshake, publish), forwarding, retrying (waiting to reconnect after a failure), stopped'),
  reconnects: int('connections lost or refused so far (each is followed by a retry)'),
  send_bytes: int('bytes written to the destination over all its connections'),
  dropped: int('media packets dropped because the destination could not keep up or was away'),
  error: str("why the last connection failed, '' when none did"),
});
export type ForwardState = Static<typeof ForwardState>;

export const Client = Type.Object({
  id: str('connection context id, 8 chars [0-9a-z]'),
  vhost: str("the vhost's id"),
  stream: str("the stream's id"),
  ip: str(),
  pageUrl: str(),
  swfUrl: str(),
  tcUrl: str(),
  url: str('[vhost]/app/stream'),
  name: str('the stream name'),
  type: ClientType,
  publish: bool(),
  alive: num('seconds connected'),
  send_bytes: int(),
  recv_bytes: int(),
  kbps: Kbps,
  forward: Type.Optional(ForwardState),
}, { $id: 'Client' });
export type Client = Static<typeof Client>;

// ---------------------------------------------------------------------------------------------
// System figures

export const Versions = Type.Object({
  major: int(),
  minor: int(),
  revision: int(),
  version: str(),
  tsrs_version: str("tsrs's own version (SRS's tools read major/minor/revision/version)"),
}, { $id: 'Versions' });
export type Versions = Static<typeof Versions>;

export const SummariesSelf = Type.Object({
  version: str(),
  pid: int(),
  ppid: int(),
  argv: str(),
  cwd: str(),
  mem_kbyte: int(),
  mem_percent: num("RSS over the machine's RAM, a 0..1 ratio (as SRS)"),
  cpu_percent: num('CPU of the server process, a 0..1 ratio of one core (as SRS)'),
  srs_uptime: int('seconds since the server started'),
});
export type SummariesSelf = Static<typeof SummariesSelf>;

/** `cpu_percent`, `disk_busy_percent`, `mem_ram_percent` and `mem_swap_percent` are 0..1 ratios (as SRS). */
export const SummariesSystem = Type.Object({
  cpu_percent: num(),
  disk_read_KBps: int(),
  disk_write_KBps: int(),
  disk_busy_percent: num(),
  mem_ram_kbyte: int(),
  mem_ram_percent: num(),
  mem_swap_kbyte: int(),
  mem_swap_percent: num(),
  cpus: int(),
  cpus_online: int(),
  uptime: num(),
  ilde_time: num("sic: SRS's spelling"),
  load_1m: num(),
  load_5m: num(),
  load_15m: num(),
  net_sample_time: int(),
  net_recv_bytes: int(),
  net_send_bytes: int(),
  net_recvi_bytes: int(),
  net_sendi_bytes: int(),
  srs_sample_time: int(),
  srs_recv_bytes: int(),
  srs_send_bytes: int(),
  conn_sys: int(),
  conn_sys_et: int(),
  conn_sys_tw: int(),
  conn_sys_udp: int(),
  conn_srs: int(),
});
export type SummariesSystem = Static<typeof SummariesSystem>;

export const Summaries = Type.Object({ ok: bool(), now_ms: int(), self: SummariesSelf, system: SummariesSystem }, { $id: 'Summaries' });
export type Summaries = Static<typeof Summaries>;

export const Rusages = Type.Object({
  ok: bool(),
  sample_time: int(),
  ru_utime: int(),
  ru_stime: int(),
  ru_maxrss: int(),
  ru_ixrss: int(),
  ru_idrss: int(),
  ru_isrss: int(),
  ru_minflt: int(),
  ru_majflt: int(),
  ru_nswap: int(),
  ru_inblock: int(),
  ru_oublock: int(),
  ru_msgsnd: int(),
  ru_msgrcv: int(),
  ru_nsignals: int(),
  ru_nvcsw: int(),
  ru_nivcsw: int(),
}, { $id: 'Rusages' });
export type Rusages = Static<typeof Rusages>;

/** /proc/self/stat fields under their proc(5) names, in file order. */
export const PROC_STAT_FIELDS = [
  'pid', 'comm', 'state', 'ppid', 'pgrp', 'session', 'tty_nr', 'tpgid', 'flags', 'minflt', 'cminflt',
  'majflt', 'cmajflt', 'utime', 'stime', 'cutime', 'cstime', 'priority', 'nice', 'num_threads',
  'itrealvalue', 'starttime', 'vsize', 'rss', 'rsslim', 'startcode', 'endcode', 'startstack', 'kstkesp',
  'kstkeip', 'signal', 'blocked', 'sigignore', 'sigcatch', 'wchan', 'nswap', 'cnswap', 'exit_signal',
  'processor', 'rt_priority', 'policy', 'delayacct_blkio_ticks', 'guest_time', 'cguest_time',
] as const;
export type ProcStatField = (typeof PROC_STAT_FIELDS)[number];

type ProcStatProps = { [K in ProcStatField]: K extends 'comm' | 'state' ? ReturnType<typeof str> : ReturnType<typeof int> };
const procStatProps = Object.fromEntries(PROC_STAT_FIELDS.map((f) => [f, f === 'comm' || f === 'state' ? str() : int()])) as ProcStatProps;

export const SelfProcStats = Type.Object({ ok: bool(), sample_time: int(), percent: num(), ...procStatProps }, { $id: 'SelfProcStats' });
export type SelfProcStats = Static<typeof SelfProcStats>;

export const SystemProcStats = Type.Object({
  ok: bool(),
  sample_time: int(),
  percent: num(),
  user: int(),
  nice: int(),
  sys: int(),
  idle: int(),
  iowait: int(),
  irq: int(),
  softirq: int(),
  steal: int(),
  guest: int(),
}, { $id: 'SystemProcStats' });
export type SystemProcStats = Static<typeof SystemProcStats>;

export const MemInfos = Type.Object({
  ok: bool(),
  sample_time: int(),
  percent_ram: num(),
  percent_swap: num(),
  MemActive: int(),
  RealInUse: int(),
  NotInUse: int(),
  MemTotal: int(),
  MemFree: int(),
  Buffers: int(),
  Cached: int(),
  SwapTotal: int(),
  SwapFree: int(),
}, { $id: 'MemInfos' });
export type MemInfos = Static<typeof MemInfos>;

export const Authors = Type.Object({ license: str(), contributors: str() }, { $id: 'Authors' });
export type Authors = Static<typeof Authors>;

export const Features = Type.Object({
  options: str(),
  options2: str(),
  build: str(),
  build2: str(),
  features: Type.Object({
    ssl: bool(),
    hls: bool(),
    hds: bool(),
    callback: bool(),
    api: bool(),
    httpd: bool(),
    dvr: bool(),
    transcode: bool(),
    ingest: bool(),
    stat: bool(),
    caster: bool(),
    complex_send: bool(),
    tcp_nodelay: bool(),
    so_sendbuf: bool(),
    mr: bool(),
  }),
  tsrs: Type.Object({
    rtc: bool('WebRTC (WHIP/WHEP, /rtc/v1/publish/ and /play/) is served: rtc_server is enabled and its UDP port listens'),
    rtc_reason: str('why rtc is false, for a user to read'),
  }, { description: 'what this tsrs serves beyond SRS\'s list (the console reads it to offer only what works)' }),
}, { $id: 'Features' });
export type Features = Static<typeof Features>;

export const Clusters = Type.Object({
  query: Type.Object({ ip: str(), vhost: str(), app: str(), stream: str() }),
  origin: nullable(Type.Object({
    ip: str(), port: int(), vhost: str(), api: str(), routers: arr(str()),
    node: Type.Optional(str("tsrs: the origin's server_id, when the answer comes from the shared registry")),
  })),
}, { $id: 'Clusters' });
export type Clusters = Static<typeof Clusters>;

export const RawApiConfig = Type.Object({ enabled: bool(), allow_reload: bool(), allow_query: bool(), allow_update: bool() });
export type RawApiConfig = Static<typeof RawApiConfig>;

export const ReloadFetch = Type.Object({ err: int(), msg: str(), state: int(), rid: str() });
export type ReloadFetch = Static<typeof ReloadFetch>;

/** The debug echo of /api/v1/requests (SRS replaces the request headers with this server info). */
export const RequestEcho = Type.Object({
  uri: str(),
  path: str(),
  METHOD: str(),
  headers: Type.Object({ sigature: str(), version: str(), link: str(), time: int('seconds since the epoch') }),
});
export type RequestEcho = Static<typeof RequestEcho>;

// ---------------------------------------------------------------------------------------------
// Responses (envelope + body), one per route

export type Ok<T> = Envelope & T;
export type DataResponse<T> = Ok<{ data: T }>;
export type ApiResult<T> = T | ErrorBody;

/** `GET /` when the API has its own port: SRS's link list. */
export const RootResponse = envelope({ urls: Type.Object({ api: str(), rtc: Type.Object({ v1: map(str()) }) }) });
/** `GET /api/` */
export const ApiVersionsResponse = envelope({ urls: Type.Object({ v1: str() }) });
/** `GET /api/v1/`: the resources, described */
export const ApiV1Response = envelope({ urls: map(str()), tests: map(str()) });
export const VersionsResponse = envelope({ data: Versions });
export type VersionsResponse = Static<typeof VersionsResponse>;
export const SummariesResponse = envelope({ data: Summaries });
export type SummariesResponse = Static<typeof SummariesResponse>;
export const RusagesResponse = envelope({ data: Rusages });
export type RusagesResponse = Static<typeof RusagesResponse>;
export const SelfProcStatsResponse = envelope({ data: SelfProcStats });
export type SelfProcStatsResponse = Static<typeof SelfProcStatsResponse>;
export const SystemProcStatsResponse = envelope({ data: SystemProcStats });
export type SystemProcStatsResponse = Static<typeof SystemProcStatsResponse>;
export const MemInfosResponse = envelope({ data: MemInfos });
export type MemInfosResponse = Static<typeof MemInfosResponse>;
export const AuthorsResponse = envelope({ data: Authors });
export type AuthorsResponse = Static<typeof AuthorsResponse>;
export const FeaturesResponse = envelope({ data: Features });
export type FeaturesResponse = Static<typeof FeaturesResponse>;
export const ClustersResponse = envelope({ data: Clusters });
export type ClustersResponse = Static<typeof ClustersResponse>;
export const RequestsResponse = envelope({ data: RequestEcho });
export type RequestsResponse = Static<typeof RequestsResponse>;
export const VhostsResponse = envelope({ vhosts: arr(Vhost) });
export type VhostsResponse = Static<typeof VhostsResponse>;
export const VhostResponse = envelope({ vhost: Vhost });
export type VhostResponse = Static<typeof VhostResponse>;
export const StreamsResponse = envelope({ streams: arr(Stream) });
export type StreamsResponse = Static<typeof StreamsResponse>;
export const StreamResponse = envelope({ stream: Stream });
export type StreamResponse = Static<typeof StreamResponse>;
/** tsrs: `GET /api/v1/streams/{id}/samples` */
export const LiveStreamHistoryResponse = envelope({ history: LiveStreamHistory });
export type LiveStreamHistoryResponse = Static<typeof LiveStreamHistoryResponse>;
export const ClientsResponse = envelope({ clients: arr(Client) });
export type ClientsResponse = Static<typeof ClientsResponse>;
export const ClientResponse = envelope({ client: Client });
export type ClientResponse = Static<typeof ClientResponse>;
/** DELETE /api/v1/clients/:id, and any answer that is the envelope alone */
export const KickResponse = envelope({});
export type KickResponse = Static<typeof KickResponse>;
/**
 * `/api/v1/raw`: rpc=raw answers `http_api` (the http_api config as SRS's raw_to_json writes it),
 * rpc=reload-fetch answers `data` (the last reload).
 */
export const RawApiResponse = envelope({
  http_api: Type.Optional(Type.Object({ enabled: bool(), listen: str(), crossdomain: bool(), raw_api: RawApiConfig })),
  data: Type.Optional(ReloadFetch),
});
export type RawResponse = Ok<{ http_api: NonNullable<Static<typeof RawApiResponse>['http_api']> }>;
export type ReloadFetchResponse = DataResponse<ReloadFetch>;

/** tsrs `GET /api/v1/config`: the running config as srs.conf text and as the typed view (secrets masked). */
export const ConfigResponse = envelope({
  file: str('the config file'),
  text: str('the srs.conf text tsrs understood (includes expanded, legacy forms rewritten)'),
  config: Type.Object({ global: anyObject('global directives, every default filled in'), vhosts: map(anyObject(), 'by vhost name') }),
});
export type ConfigResponse = Static<typeof ConfigResponse>;

/** tsrs `GET /api/v1/openapi.json`: the document itself (plain JSON, no envelope). */
export const OpenApiDocument = Type.Object({
  openapi: str(),
  info: Type.Object({ title: str(), version: str() }, { additionalProperties: true }),
  components: Type.Object({ schemas: map(anyObject()) }, { additionalProperties: true }),
  paths: map(anyObject()),
}, { additionalProperties: true });

/** SRS's `/rtc/v1/publish/`: the SDP answer and the session id. */
export const RtcPublishResponse = envelope({ sdp: str('the SDP answer'), sessionid: str() });
export type RtcPublishResponse = Static<typeof RtcPublishResponse>;

/** Paging of list routes: `start` skips, `count` is at least 10 (SRS). */
export interface PageQuery {
  start?: number;
  count?: number;
}

// ---------------------------------------------------------------------------------------------
// HTTP callbacks (POST bodies sent to http_hooks URLs), SRS 6 field order

interface HookCommon {
  server_id: string;
  service_id: string;
  client_id: string;
  ip: string;
  /** the vhost name */
  vhost: string;
  app: string;
}

export interface OnConnectHook extends HookCommon {
  action: 'on_connect';
  stream: string;
  /** raw query with its '?' */
  param: string;
  tcUrl: string;
  pageUrl: string;
}

export interface OnCloseHook extends HookCommon {
  action: 'on_close';
  send_bytes: number;
  recv_bytes: number;
}

export interface OnPublishHook extends HookCommon {
  action: 'on_publish' | 'on_unpublish' | 'on_stop';
  tcUrl: string;
  stream: string;
  param: string;
  stream_url: string;
  stream_id: string;
}

export interface OnPlayHook extends HookCommon {
  action: 'on_play';
  stream: string;
  tcUrl: string;
  param: string;
  pageUrl: string;
  stream_url: string;
  stream_id: string;
}

export interface OnDvrHook extends HookCommon {
  action: 'on_dvr';
  tcUrl: string;
  stream: string;
  param: string;
  cwd: string;
  file: string;
  stream_url: string;
  stream_id: string;
}

export interface OnHlsHook extends HookCommon {
  action: 'on_hls';
  tcUrl: string;
  stream: string;
  param: string;
  duration: number;
  cwd: string;
  file: string;
  url: string;
  m3u8: string;
  m3u8_url: string;
  seq_no: number;
  stream_url: string;
  stream_id: string;
}

export type HookBody = OnConnectHook | OnCloseHook | OnPublishHook | OnPlayHook | OnDvrHook | OnHlsHook;
export type HookAction = HookBody['action'];

// ---------------------------------------------------------------------------------------------
// Cluster live view (socket.io `cluster`, with a registry)

/** A stream of another node, as that node's /api/v1/streams/ lists it. */
export const NodeStream = Type.Composite([Stream, Type.Object({ node: str('the node serving it') })]);
export type NodeStream = Static<typeof NodeStream>;

/** A client of another node, as that node's /api/v1/clients/ lists it. */
export const NodeClient = Type.Composite([Client, Type.Object({ node: str('the node it is connected to') })]);
export type NodeClient = Static<typeof NodeClient>;

/** What one other node last sent over the registry (at most 500 streams and 500 clients). */
export const LiveNode = Type.Object({
  node: str('`cluster { node_id }` of that node, else its hostname:api-port'),
  age_ms: int('how long ago it was received; a node silent for 5 s is dropped'),
  summary: LiveSummary,
  streams: arr(NodeStream),
  clients: arr(NodeClient),
  streams_total: int('its streams, listed or not'),
  clients_total: int('its clients, listed or not'),
});
export type LiveNode = Static<typeof LiveNode>;

/** socket.io `cluster`: this node's name and the other nodes it hears from. */
export const LiveCluster = Type.Object({ node: str('this node'), nodes: arr(LiveNode) });
export type LiveCluster = Static<typeof LiveCluster>;

export * from './errors.js';
export * from './socket.js';
export * from './history.js';
export * from './dvr.js';
export * from './processes.js';
export type { Static, TSchema } from '@sinclair/typebox';
export { Type } from '@sinclair/typebox';
