/**
 * The socket.io live feed on the API port (path `/socket.io/`, same Basic auth as the API).
 * The server pushes `summary` and `streams` once a second and `event` as things happen; a socket
 * gets `history` (the last 10 minutes of `summary`) once as it connects. The client sends nothing.
 * With a registry (`cluster { registry redis://...; }`) the nodes share their live rows over
 * Redis: `streams` lists every node's streams and `cluster` carries the other nodes' API rows;
 * every row names its `node`.
 * Payloads are TypeBox schemas like the HTTP answers (`Static<typeof X>` is the type).
 */
import { Type, type Static } from '@sinclair/typebox';
import { arr, int, nullable, num, oneOfStrings, str } from './kit.js';
import { AudioInfo, VideoInfo } from './media.js';
import type { LiveCluster } from './index.js';

/** Short-window rates (last few seconds), kilobits per second. */
export const LiveKbps = Type.Object({ recv: num('kbps'), send: num('kbps') });
export type LiveKbps = Static<typeof LiveKbps>;

/** The server at a glance, once a second. */
export const LiveSummary = Type.Object({
  node: str('the node these figures are of (`cluster { node_id }`, else hostname:api-port)'),
  now_ms: int(),
  uptime_s: int(),
  version: str(),
  cpu_percent: num('this process, percent of one CPU'),
  mem_rss_kbyte: int(),
  mem_percent: num("RSS as a percent of the machine's RAM"),
  connections: int('connected clients (publishers and players)'),
  streams: int('listed streams (as /api/v1/streams/)'),
  kbps: LiveKbps,
});
export type LiveSummary = Static<typeof LiveSummary>;

/** One stream's live figures, once a second (the streams /api/v1/streams/ lists). */
export const LiveStream = Type.Object({
  node: str('the node serving the stream (`cluster { node_id }`, else hostname:api-port)'),
  id: str("the stream id of that node's /api/v1/streams/{id}"),
  vhost: str('the vhost id of /api/v1/vhosts/{id} (as in /api/v1/streams/)'),
  app: str(),
  name: str('stream name'),
  url: str('[vhost]/app/stream'),
  clients: int('publisher + players'),
  kbps: LiveKbps,
  fps: num('video frames per second, measured'),
  keyframe_interval_ms: num('time between the last two keyframes, ms of stream time (0 until two were seen)'),
  dropped: int('packets dropped by slow players'),
  video: nullable(VideoInfo),
  audio: nullable(AudioInfo),
  publish: Type.Object({ active: Type.Boolean(), cid: Type.Optional(str()) }),
  recording: Type.Boolean({ description: 'a DVR is writing this stream now' }),
  now_ms: int('server wall clock when these figures were sampled, ms since the epoch'),
});
export type LiveStream = Static<typeof LiveStream>;

/** One second of the server summary, as kept for `history`. */
export const LiveHistorySample = Type.Object({
  t: int('ms since the epoch'),
  recv_kbps: num(),
  send_kbps: num(),
  cpu_percent: num('this process, percent of one CPU'),
  mem_rss_kbyte: int(),
  connections: int(),
  streams: int(),
});
export type LiveHistorySample = Static<typeof LiveHistorySample>;

/**
 * Sent once to each socket as it connects: the last `capacity` seconds of `summary` (a bounded
 * ring on the server, 600 samples = 10 minutes), oldest first, so charts start full.
 */
export const LiveHistory = Type.Object({ interval_ms: int(), capacity: int(), samples: arr(LiveHistorySample) });
export type LiveHistory = Static<typeof LiveHistory>;

/** One second of one stream's live figures, as kept for its history. */
export const LiveStreamSample = Type.Object({
  t: int('server wall clock, ms since the epoch'),
  recv_kbps: num(),
  send_kbps: num(),
  fps: num('video frames per second of stream time'),
  keyframe_interval_ms: num('ms of stream time between the last two keyframes (0 until two were seen)'),
  clients: int('publisher + players'),
});
export type LiveStreamSample = Static<typeof LiveStreamSample>;

/**
 * `GET /api/v1/streams/{id}/samples`: the stream's last `capacity` seconds (a bounded ring per
 * stream on the server, 600 samples = 10 minutes, for a bounded number of streams), oldest
 * first, so a stream's charts start full.
 */
export const LiveStreamHistory = Type.Object({
  stream: str('the stream id of /api/v1/streams/{id}'),
  interval_ms: int(),
  capacity: int(),
  samples: arr(LiveStreamSample),
});
export type LiveStreamHistory = Static<typeof LiveStreamHistory>;

export const LIVE_EVENT_TYPES = [
  'stream:publish', 'stream:unpublish', 'stream:play', 'stream:stop', 'client:connect', 'client:close', 'dvr:file', 'hls:segment',
] as const;
export const LiveEventType = oneOfStrings(LIVE_EVENT_TYPES);
export type LiveEventType = Static<typeof LiveEventType>;

export const LiveEvent = Type.Object({
  type: LiveEventType,
  at: int('ms since the epoch'),
  stream: Type.Optional(Type.Object({ id: str(), vhost: str('the vhost id, as in LiveStream'), app: str(), name: str() })),
  client: Type.Optional(Type.Object({ id: str(), ip: str(), type: str() })),
});
export type LiveEvent = Static<typeof LiveEvent>;

export interface ServerToClientEvents {
  summary: (s: LiveSummary) => void;
  /** this node's streams, then (with a registry) the other nodes' */
  streams: (s: LiveStream[]) => void;
  /** with a registry: once a second, the other nodes seen over it */
  cluster: (c: LiveCluster) => void;
  event: (e: LiveEvent) => void;
  history: (h: LiveHistory) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}

/** What a client may put in the handshake's `auth` when the API has Basic auth on. */
export interface LiveAuth {
  username?: string;
  password?: string;
  /** a whole `Basic xxx` Authorization value, as an alternative */
  token?: string;
}
