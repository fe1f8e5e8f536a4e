/**
 * History rows of `/api/v1/history/*` (SQLite, kept across restarts). Times are ms since the
 * epoch; `end`/`duration_ms` are null while the session is live.
 */
import type { Ok, PageQuery } from './index.js';

export type HistoryEndReason = 'normal' | 'kicked' | 'error';

/** One publish of a stream, from publish to unpublish. */
export interface HistoryStreamSession {
  /** unique per publish (a stream published twice has two sessions) */
  id: string;
  vhost: string;
  app: string;
  stream: string;
  /** the publisher's client id */
  client_id: string;
  ip: string;
  protocol: string;
  start: number;
  end: number | null;
  duration_ms: number | null;
  bytes_in: number;
  /** bytes sent to this session's players */
  bytes_out: number | null;
  video_codec: string | null;
  video_profile: string | null;
  video_level: string | null;
  width: number | null;
  height: number | null;
  frame_rate: number | null;
  audio_codec: string | null;
  audio_sample_rate: number | null;
  audio_channels: number | null;
  audio_profile: string | null;
  end_reason: HistoryEndReason | null;
}

/** One publisher or player, from publish/play to close. */
export interface HistoryClientSession {
  /** the client id, as /api/v1/clients/ showed it */
  id: string;
  kind: 'publish' | 'play';
  /** SRS client type: rtmp-play, flv-play, fmle-publish, ... */
  type: string;
  /** rtmp, http-flv, http-ts, hls, webrtc, srt, ... */
  protocol: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  url: string;
  start: number;
  end: number | null;
  duration_ms: number | null;
  bytes_in: number;
  bytes_out: number;
  end_reason: HistoryEndReason | null;
}

/** Something that happened: publish, unpublish, play, stop, connect, close, dvr, hls. */
export interface HistoryEvent {
  id: number;
  at: number;
  type: string;
  vhost: string | null;
  app: string | null;
  stream: string | null;
  client_id: string | null;
  data: unknown;
}

/** Error codes of the history routes (HTTP 200 `{"code":N}`, as SRS answers errors). */
export const HistoryErrorCode = {
  /** a query parameter is malformed (a time that is neither ms nor ISO-8601, an unknown kind...) */
  BadQuery: 4090,
  /** the server runs without a history database */
  Unavailable: 4091,
} as const;

/** Query of the /api/v1/history/* lists (paging as SRS: `start`/`count`). */
export interface HistoryQuery extends PageQuery {
  /** ms since the epoch or ISO-8601: rows live at or after this time */
  from?: number | string;
  /** rows started at or before this time */
  to?: number | string;
  /** the vhost name (__defaultVhost__ for the default one) */
  vhost?: string;
  app?: string;
  stream?: string;
}

/** Query of /api/v1/history/clients. */
export interface HistoryClientsQuery extends HistoryQuery {
  ip?: string;
  kind?: HistoryClientSession['kind'];
  end_reason?: HistoryEndReason;
  /** true: only live sessions; false: only ended ones */
  active?: boolean;
}

/** `total`: rows matching the filters, ignoring paging. */
export type HistoryStreamsResponse = Ok<{ streams: HistoryStreamSession[]; total: number }>;
export type HistoryClientsResponse = Ok<{ clients: HistoryClientSession[]; total: number }>;
export type HistoryEventsResponse = Ok<{ events: HistoryEvent[]; total: number }>;
