/**
 * The socket.io live feed on the API port (path `/socket.io/`, same Basic auth as the API).
 * The server pushes `summary` and `streams` once a second and `event` as things happen; a socket
 * gets `history` (the last 10 minutes of `summary`) once as it connects. The client sends nothing.
 */
import type { AudioInfo, VideoInfo } from './index.js';

/** Short-window rates (last few seconds), kilobits per second. */
export interface LiveKbps {
  recv: number;
  send: number;
}

/** The server at a glance, once a second. */
export interface LiveSummary {
  now_ms: number;
  uptime_s: number;
  version: string;
  /** this process, percent of one CPU */
  cpu_percent: number;
  mem_rss_kbyte: number;
  /** RSS as a percent of the machine's RAM */
  mem_percent: number;
  /** connected clients (publishers and players) */
  connections: number;
  /** listed streams (as /api/v1/streams/) */
  streams: number;
  kbps: LiveKbps;
}

/** One stream's live figures, once a second (the streams /api/v1/streams/ lists). */
export interface LiveStream {
  /** the stream id of /api/v1/streams/{id} */
  id: string;
  /** the vhost id of /api/v1/vhosts/{id} (as in /api/v1/streams/) */
  vhost: string;
  app: string;
  /** stream name */
  name: string;
  /** `[vhost]/app/stream` */
  url: string;
  /** publisher + players */
  clients: number;
  kbps: LiveKbps;
  /** video frames per second, measured */
  fps: number;
  /** time between the last two keyframes, ms of stream time (0 until two were seen) */
  keyframe_interval_ms: number;
  /** packets dropped by slow players */
  dropped: number;
  video: VideoInfo | null;
  audio: AudioInfo | null;
  publish: { active: boolean; cid?: string };
  /** a DVR is writing this stream now */
  recording: boolean;
  /** server wall clock when these figures were sampled, ms since the epoch */
  now_ms: number;
}

/** One second of the server summary, as kept for `history`. */
export interface LiveHistorySample {
  /** ms since the epoch */
  t: number;
  recv_kbps: number;
  send_kbps: number;
  /** this process, percent of one CPU */
  cpu_percent: number;
  mem_rss_kbyte: number;
  connections: number;
  streams: number;
}

/**
 * Sent once to each socket as it connects: the last `capacity` seconds of `summary` (a bounded
 * ring on the server, 600 samples = 10 minutes), oldest first, so charts start full.
 */
export interface LiveHistory {
  interval_ms: number;
  capacity: number;
  samples: LiveHistorySample[];
}

/** One second of one stream's live figures, as kept for its history. */
export interface LiveStreamSample {
  /** server wall clock, ms since the epoch */
  t: number;
  recv_kbps: number;
  send_kbps: number;
  /** video frames per second of stream time */
  fps: number;
  /** ms of stream time between the last two keyframes (0 until two were seen) */
  keyframe_interval_ms: number;
  /** publisher + players */
  clients: number;
}

/**
 * `GET /api/v1/streams/{id}/samples`: the stream's last `capacity` seconds (a bounded ring per
 * stream on the server, 600 samples = 10 minutes, for a bounded number of streams), oldest
 * first, so a stream's charts start full.
 */
export interface LiveStreamHistory {
  /** the stream id of /api/v1/streams/{id} */
  stream: string;
  interval_ms: number;
  capacity: number;
  samples: LiveStreamSample[];
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
  /** ms since the epoch */
  at: number;
  /** `vhost` is the vhost id, as in LiveStream */
  stream?: { id: string; vhost: string; app: string; name: string };
  client?: { id: string; ip: string; type: string };
}

export interface ServerToClientEvents {
  summary: (s: LiveSummary) => void;
  streams: (s: LiveStream[]) => void;
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
