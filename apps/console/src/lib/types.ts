/**
 * Wire types the console reads: SRS's HTTP API (`/api/v1/...`), the tsrs additions (DVR control,
 * recordings, history) and the socket.io live feed. They mirror packages/api-types and will move
 * there; fields tsrs may or may not send are optional.
 */

// ---------------------------------------------------------------------------------------------
// Envelope

/** Every successful answer starts with these fields (SRS). Errors are HTTP 200 `{"code":N}`. */
export interface Envelope {
  code: 0;
  server?: string;
  service?: string;
  pid?: string;
}

export interface ErrorBody {
  code: number;
}

/** SRS error codes with a human meaning. */
export const ERROR_CODES: Record<number, string> = {
  100: 'Test error',
  400: 'Request failed (no connection, or WebRTC refused the request)',
  1060: 'Unknown raw API rpc',
  1061: 'Raw API disabled (raw_api.enabled / allow_reload is off)',
  1090: 'Exporter disabled',
  2014: 'Vhost not found',
  2048: 'Stream not found',
  2049: 'Client not found',
  3063: 'Invalid JSON body',
  4003: 'Request body too large',
};

export interface Kbps {
  recv_30s: number;
  send_30s: number;
}

// ---------------------------------------------------------------------------------------------
// SRS resources

export interface VideoInfo {
  codec: string;
  profile: string;
  level: string;
  width: number;
  height: number;
}

export interface AudioInfo {
  codec: string;
  sample_rate: number;
  channel: number;
  profile: string;
}

export interface Vhost {
  id: string;
  name: string;
  enabled: boolean;
  clients: number;
  streams: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
  hls?: { enabled: boolean; fragment?: number };
}

export interface Stream {
  id: string;
  name: string;
  /** the vhost's id, not its name */
  vhost: string;
  app: string;
  tcUrl?: string;
  url?: string;
  /** SRS: the current wall-clock time in ms, not a duration */
  live_ms: number;
  /** publisher + players */
  clients: number;
  frames: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
  publish: { active: boolean; cid?: string };
  video: VideoInfo | null;
  audio: AudioInfo | null;
  /** tsrs extensions */
  fps?: number;
  recording?: boolean;
}

export interface Client {
  id: string;
  vhost: string;
  /** the stream's id */
  stream: string;
  ip: string;
  pageUrl: string;
  swfUrl: string;
  tcUrl: string;
  url: string;
  name: string;
  type: string;
  publish: boolean;
  /** seconds connected */
  alive: number;
  send_bytes: number;
  recv_bytes: number;
  kbps: Kbps;
}

export interface Versions {
  major: number;
  minor: number;
  revision: number;
  version: string;
}

export interface SummariesSelf {
  version: string;
  pid: number;
  ppid?: number;
  argv?: string;
  cwd?: string;
  mem_kbyte: number;
  mem_percent: number;
  cpu_percent: number;
  /** seconds since start */
  srs_uptime: number;
}

export interface SummariesSystem {
  cpu_percent: number;
  mem_ram_kbyte: number;
  mem_ram_percent: number;
  mem_swap_kbyte?: number;
  mem_swap_percent?: number;
  cpus?: number;
  cpus_online?: number;
  uptime?: number;
  load_1m: number;
  load_5m: number;
  load_15m: number;
  net_sample_time?: number;
  net_recv_bytes: number;
  net_send_bytes: number;
  srs_sample_time?: number;
  srs_recv_bytes: number;
  srs_send_bytes: number;
  conn_sys?: number;
  conn_srs: number;
}

export interface Summaries {
  ok: boolean;
  now_ms: number;
  self: SummariesSelf;
  system: SummariesSystem;
}

export type Ok<T> = Envelope & T;
export type SummariesResponse = Ok<{ data: Summaries }>;
export type VersionsResponse = Ok<{ data: Versions }>;
export type StreamsResponse = Ok<{ streams: Stream[] }>;
export type StreamResponse = Ok<{ stream: Stream }>;
export type ClientsResponse = Ok<{ clients: Client[] }>;
export type VhostsResponse = Ok<{ vhosts: Vhost[] }>;

// ---------------------------------------------------------------------------------------------
// tsrs routes (issue 6)

export type DvrAction = 'start' | 'stop';

export interface DvrRequest {
  app: string;
  stream: string;
  vhost?: string;
  action: DvrAction;
}

export interface Recording {
  id: string;
  vhost: string;
  app: string;
  stream: string;
  path: string;
  /** "flv" | "mp4" */
  format: string;
  /** ms since epoch */
  start: number;
  end: number | null;
  duration_ms: number | null;
  size: number;
  complete: boolean;
}

export type RecordingsResponse = Ok<{ recordings: Recording[] }>;

/** Filters and paging shared by /api/v1/recordings and /api/v1/history/*. */
export interface HistoryQuery {
  app?: string;
  stream?: string;
  /** ms since epoch */
  from?: number;
  to?: number;
  start?: number;
  count?: number;
}

export interface StreamSession {
  id: string | number;
  vhost: string;
  app: string;
  stream: string;
  client_id: string | null;
  ip: string | null;
  protocol: string | null;
  start: number;
  end: number | null;
  duration_ms: number | null;
  bytes_in: number;
  bytes_out: number;
  video_codec: string | null;
  audio_codec: string | null;
  width: number | null;
  height: number | null;
}

export type EndReason = 'normal' | 'kicked' | 'error';

export interface ClientSession {
  id: string | number;
  kind: 'publish' | 'play';
  type: string;
  protocol: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  url: string;
  start: number;
  end: number | null;
  bytes_in: number;
  bytes_out: number;
  end_reason: EndReason | null;
}

/** Rows come under the route's name; also accept a generic `rows`/`sessions` key. */
export type HistoryStreamsResponse = Ok<{ streams?: StreamSession[]; sessions?: StreamSession[]; rows?: StreamSession[]; total?: number }>;
export type HistoryClientsResponse = Ok<{ clients?: ClientSession[]; sessions?: ClientSession[]; rows?: ClientSession[]; total?: number }>;

// ---------------------------------------------------------------------------------------------
// socket.io live feed (server -> client)

export interface LiveSummary {
  now_ms: number;
  uptime_s: number;
  version: string;
  cpu_percent: number;
  mem_rss_kbyte: number;
  mem_percent: number;
  connections: number;
  streams: number;
  kbps: { recv: number; send: number };
}

export interface LiveStream {
  id: string;
  vhost: string;
  app: string;
  name: string;
  url: string;
  clients: number;
  kbps: { recv: number; send: number };
  fps: number;
  keyframe_interval_ms: number;
  dropped: number;
  video: VideoInfo | null;
  audio: AudioInfo | null;
  publish: { active: boolean; cid?: string };
  recording: boolean;
}

export type LiveEventType =
  | 'stream:publish'
  | 'stream:unpublish'
  | 'stream:play'
  | 'stream:stop'
  | 'client:connect'
  | 'client:close'
  | 'dvr:file'
  | 'hls:segment';

export interface LiveEvent {
  type: LiveEventType;
  /** ms since epoch */
  at: number;
  stream?: { id: string; vhost: string; app: string; name: string };
  client?: { id: string; ip: string; type: string };
}

export interface ServerToClientEvents {
  summary: (s: LiveSummary) => void;
  streams: (s: LiveStream[]) => void;
  event: (e: LiveEvent) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}
