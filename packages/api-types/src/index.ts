/**
 * Wire types of the tsrs HTTP API (SRS-compatible `/api/v1`) and of SRS's HTTP callbacks.
 * Field order in these interfaces is the order the server writes them (SRS's order).
 * Shared by the server (which builds these objects) and the console (which reads them).
 */

import type { LiveStreamHistory } from './socket.js';

// ---------------------------------------------------------------------------------------------
// Envelope and errors

/** Every successful answer starts with these fields. */
export interface Envelope {
  code: 0;
  /** server_id from the config, or a generated `vid-xxxxxxx` */
  server: string;
  /** 8 random chars, new on every start */
  service: string;
  /** the process id, as a string (SRS) */
  pid: string;
}

/** Every error answer: HTTP 200 and only the code (SRS). */
export interface ErrorBody {
  code: number;
}

/** SRS error codes the API answers with. */
export const ErrorCode = {
  Success: 0,
  /** /api/v1/tests/errors */
  TestError: 100,
  /** a client without a connection object cannot be kicked */
  NoConnection: 400,
  /** /api/v1/raw: missing or unknown rpc */
  RawApiRpcInvalid: 1060,
  /** /api/v1/raw: rpc disabled by raw_api */
  RawApiDisabled: 1061,
  /** /metrics while exporter is disabled (SRS); tsrs serves /metrics always on the API port */
  ExporterDisabled: 1090,
  VhostNotFound: 2014,
  StreamNotFound: 2048,
  ClientNotFound: 2049,
  /** the request body is not valid JSON (SRS ERROR_JSON_LOADS) */
  JsonInvalid: 3063,
  /** the request body is larger than the API accepts (SRS ERROR_HTTP_CONTENT_LENGTH) */
  BodyTooLarge: 4003,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Sent bytes / received bytes rates over SRS's 30 s window. */
export interface Kbps {
  recv_30s: number;
  send_30s: number;
}

// ---------------------------------------------------------------------------------------------
// Resources

export interface VideoInfo {
  /** "H264", "H265", "AV1", ... */
  codec: string;
  /**
   * SRS's name of the profile_idc alone: "Baseline", "Main", "High", "High(10)"... (HEVC: "Main",
   * "Main10"...); "Other" for codecs other than AVC/HEVC
   */
  profile: string;
  /**
   * tsrs: the profile with its constraint flags as H.264 Annex A names it ("Constrained Baseline",
   * "Progressive High", "High 10 Intra"...); for HEVC the same as `profile`
   */
  tsrs_profile: string;
  /** "3.1", "4"... ; "Other" when unknown */
  level: string;
  width: number;
  height: number;
}

export interface AudioInfo {
  /** "AAC", "MP3", "Opus", ... */
  codec: string;
  sample_rate: number;
  channel: number;
  /** AAC object type name ("LC", "HE", "HEv2"), else "Other" */
  profile: string;
}

export interface Vhost {
  /** "vid-" + 7 chars, stable for the life of the process */
  id: string;
  name: string;
  enabled: boolean;
  clients: number;
  streams: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
  hls: { enabled: boolean; fragment?: number };
}

export interface Stream {
  id: string;
  /** the stream name */
  name: string;
  /** the vhost's id (not its name) */
  vhost: string;
  app: string;
  tcUrl: string;
  /** `[vhost]/app/stream`, vhost left out for __defaultVhost__ */
  url: string;
  /** the current wall-clock time in ms (SRS), not a duration */
  live_ms: number;
  /** publisher + players */
  clients: number;
  frames: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
  /** `cid` is the publisher's client id, present only while published */
  publish: { active: boolean; cid?: string };
  video: VideoInfo | null;
  audio: AudioInfo | null;
}

export type ClientType =
  | 'rtmp-play'
  | 'hls-play'
  | 'flv-play'
  | 'ts-play'
  | 'aac-play'
  | 'mp3-play'
  | 'rtc-play'
  | 'flash-publish'
  | 'fmle-publish'
  | 'haivision-publish'
  | 'rtc-publish'
  | 'srt-play'
  | 'srt-publish'
  | 'Unknown';

export interface Client {
  /** connection context id, 8 chars [0-9a-z] */
  id: string;
  /** the vhost's id */
  vhost: string;
  /** the stream's id */
  stream: string;
  ip: string;
  pageUrl: string;
  swfUrl: string;
  tcUrl: string;
  /** `[vhost]/app/stream` */
  url: string;
  /** the stream name */
  name: string;
  type: ClientType;
  publish: boolean;
  /** seconds connected */
  alive: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
}

// ---------------------------------------------------------------------------------------------
// System figures

export interface Versions {
  major: number;
  minor: number;
  revision: number;
  version: string;
  /** tsrs's own version (SRS's tools read major/minor/revision/version) */
  tsrs_version: string;
}

export interface SummariesSelf {
  version: string;
  pid: number;
  ppid: number;
  argv: string;
  cwd: string;
  mem_kbyte: number;
  /** RSS over the machine's RAM, a 0..1 ratio (as SRS) */
  mem_percent: number;
  /** CPU of the server process, a 0..1 ratio of one core (as SRS) */
  cpu_percent: number;
  /** seconds since the server started */
  srs_uptime: number;
}

/** `cpu_percent`, `disk_busy_percent`, `mem_ram_percent` and `mem_swap_percent` are 0..1 ratios (as SRS). */
export interface SummariesSystem {
  cpu_percent: number;
  disk_read_KBps: number;
  disk_write_KBps: number;
  disk_busy_percent: number;
  mem_ram_kbyte: number;
  mem_ram_percent: number;
  mem_swap_kbyte: number;
  mem_swap_percent: number;
  cpus: number;
  cpus_online: number;
  uptime: number;
  /** sic: SRS's spelling */
  ilde_time: number;
  load_1m: number;
  load_5m: number;
  load_15m: number;
  net_sample_time: number;
  net_recv_bytes: number;
  net_send_bytes: number;
  net_recvi_bytes: number;
  net_sendi_bytes: number;
  srs_sample_time: number;
  srs_recv_bytes: number;
  srs_send_bytes: number;
  conn_sys: number;
  conn_sys_et: number;
  conn_sys_tw: number;
  conn_sys_udp: number;
  conn_srs: number;
}

export interface Summaries {
  ok: boolean;
  now_ms: number;
  self: SummariesSelf;
  system: SummariesSystem;
}

export interface Rusages {
  ok: boolean;
  sample_time: number;
  ru_utime: number;
  ru_stime: number;
  ru_maxrss: number;
  ru_ixrss: number;
  ru_idrss: number;
  ru_isrss: number;
  ru_minflt: number;
  ru_majflt: number;
  ru_nswap: number;
  ru_inblock: number;
  ru_oublock: number;
  ru_msgsnd: number;
  ru_msgrcv: number;
  ru_nsignals: number;
  ru_nvcsw: number;
  ru_nivcsw: number;
}

/** /proc/self/stat fields under their proc(5) names, in file order. */
export const PROC_STAT_FIELDS = [
  'pid', 'comm', 'state', 'ppid', 'pgrp', 'session', 'tty_nr', 'tpgid', 'flags', 'minflt', 'cminflt',
  'majflt', 'cmajflt', 'utime', 'stime', 'cutime', 'cstime', 'priority', 'nice', 'num_threads',
  'itrealvalue', 'starttime', 'vsize', 'rss', 'rsslim', 'startcode', 'endcode', 'startstack', 'kstkesp',
  'kstkeip', 'signal', 'blocked', 'sigignore', 'sigcatch', 'wchan', 'nswap', 'cnswap', 'exit_signal',
  'processor', 'rt_priority', 'policy', 'delayacct_blkio_ticks', 'guest_time', 'cguest_time',
] as const;
export type ProcStatField = (typeof PROC_STAT_FIELDS)[number];

export type SelfProcStats = { ok: boolean; sample_time: number; percent: number } & {
  [K in ProcStatField]: K extends 'comm' | 'state' ? string : number;
};

export interface SystemProcStats {
  ok: boolean;
  sample_time: number;
  percent: number;
  user: number;
  nice: number;
  sys: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
}

export interface MemInfos {
  ok: boolean;
  sample_time: number;
  percent_ram: number;
  percent_swap: number;
  MemActive: number;
  RealInUse: number;
  NotInUse: number;
  MemTotal: number;
  MemFree: number;
  Buffers: number;
  Cached: number;
  SwapTotal: number;
  SwapFree: number;
}

export interface Authors {
  license: string;
  contributors: string;
}

export interface Features {
  options: string;
  options2: string;
  build: string;
  build2: string;
  features: {
    ssl: boolean;
    hls: boolean;
    hds: boolean;
    callback: boolean;
    api: boolean;
    httpd: boolean;
    dvr: boolean;
    transcode: boolean;
    ingest: boolean;
    stat: boolean;
    caster: boolean;
    complex_send: boolean;
    tcp_nodelay: boolean;
    so_sendbuf: boolean;
    mr: boolean;
  };
  /** what this tsrs serves beyond SRS's list (the console reads it to offer only what works) */
  tsrs: {
    /** WebRTC (WHIP/WHEP, webrtc:// play) is served: false in every tsrs so far, whatever `rtc_server` says */
    rtc: boolean;
    /** why rtc is false, for a user to read */
    rtc_reason: string;
  };
}

export interface Clusters {
  query: { ip: string; vhost: string; app: string; stream: string };
  origin: { ip: string; port: number; vhost: string; api: string; routers: string[] } | null;
}

export interface RawApiConfig {
  enabled: boolean;
  allow_reload: boolean;
  allow_query: boolean;
  allow_update: boolean;
}

export interface ReloadFetch {
  err: number;
  msg: string;
  state: number;
  rid: string;
}

// ---------------------------------------------------------------------------------------------
// Responses (envelope + body), one per route

export type Ok<T> = Envelope & T;
export type DataResponse<T> = Ok<{ data: T }>;

export type VersionsResponse = DataResponse<Versions>;
export type SummariesResponse = DataResponse<Summaries>;
export type RusagesResponse = DataResponse<Rusages>;
export type SelfProcStatsResponse = DataResponse<SelfProcStats>;
export type SystemProcStatsResponse = DataResponse<SystemProcStats>;
export type MemInfosResponse = DataResponse<MemInfos>;
export type AuthorsResponse = DataResponse<Authors>;
export type FeaturesResponse = DataResponse<Features>;
export type ClustersResponse = DataResponse<Clusters>;
export type VhostsResponse = Ok<{ vhosts: Vhost[] }>;
export type VhostResponse = Ok<{ vhost: Vhost }>;
export type StreamsResponse = Ok<{ streams: Stream[] }>;
export type StreamResponse = Ok<{ stream: Stream }>;
/** tsrs: `GET /api/v1/streams/{id}/samples` */
export type LiveStreamHistoryResponse = Ok<{ history: LiveStreamHistory }>;
export type ClientsResponse = Ok<{ clients: Client[] }>;
export type ClientResponse = Ok<{ client: Client }>;
/** DELETE /api/v1/clients/:id */
export type KickResponse = Envelope;
/** rpc=raw: the http_api config as SRS's raw_to_json writes it */
export type RawResponse = Ok<{ http_api: { enabled: boolean; listen: string; crossdomain: boolean; raw_api: RawApiConfig } }>;
export type ReloadFetchResponse = DataResponse<ReloadFetch>;
export type ApiResult<T> = T | ErrorBody;

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

export type * from './socket.js';
export * from './history.js';
export type * from './dvr.js';
