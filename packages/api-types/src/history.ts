/**
 * History rows of `/api/v1/history/*` (SQLite, kept across restarts). Times are ms since the
 * epoch; `end`/`duration_ms` are null while the session is live. Error codes: ErrorCode.BadQuery
 * and ErrorCode.HistoryUnavailable (HistoryErrorCode).
 */
import { Type, type Static } from '@sinclair/typebox';
import { arr, envelope, int, nullable, num, oneOfStrings, str } from './kit.js';
import type { PageQuery } from './index.js';

export const HISTORY_END_REASONS = ['normal', 'kicked', 'error'] as const;
export const HistoryEndReason = oneOfStrings(HISTORY_END_REASONS);
export type HistoryEndReason = Static<typeof HistoryEndReason>;

/** One publish of a stream, from publish to unpublish. */
export const HistoryStreamSession = Type.Object({
  id: str('unique per publish (a stream published twice has two sessions)'),
  vhost: str(),
  app: str(),
  stream: str(),
  client_id: str("the publisher's client id"),
  ip: str(),
  protocol: str(),
  start: int('ms since the epoch'),
  end: nullable(int(), 'ms since the epoch; null while live'),
  duration_ms: nullable(int()),
  bytes_in: int(),
  bytes_out: nullable(int(), "bytes sent to this session's players"),
  video_codec: nullable(str()),
  video_profile: nullable(str()),
  video_level: nullable(str()),
  width: nullable(int()),
  height: nullable(int()),
  frame_rate: nullable(num()),
  audio_codec: nullable(str()),
  audio_sample_rate: nullable(int()),
  audio_channels: nullable(int()),
  audio_profile: nullable(str()),
  end_reason: nullable(HistoryEndReason),
  node: str('the cluster node that recorded it (`cluster { node_id }`, else hostname:api-port; empty for rows recorded before nodes were)'),
}, { $id: 'HistoryStreamSession' });
export type HistoryStreamSession = Static<typeof HistoryStreamSession>;

export const HISTORY_CLIENT_KINDS = ['publish', 'play'] as const;

/** One publisher or player, from publish/play to close. */
export const HistoryClientSession = Type.Object({
  id: str('the client id, as /api/v1/clients/ showed it'),
  kind: oneOfStrings(HISTORY_CLIENT_KINDS),
  type: str('SRS client type: rtmp-play, flv-play, fmle-publish, ...'),
  protocol: str('rtmp, http-flv, http-ts, hls, webrtc, srt, ...'),
  ip: str(),
  vhost: str(),
  app: str(),
  stream: str(),
  url: str(),
  start: int(),
  end: nullable(int()),
  duration_ms: nullable(int()),
  bytes_in: int(),
  bytes_out: int(),
  end_reason: nullable(HistoryEndReason),
  node: str('the cluster node that recorded it (`cluster { node_id }`, else hostname:api-port; empty for rows recorded before nodes were)'),
}, { $id: 'HistoryClientSession' });
export type HistoryClientSession = Static<typeof HistoryClientSession>;

/** Something that happened: publish, unpublish, play, stop, connect, close, dvr, hls. */
export const HistoryEvent = Type.Object({
  id: int(),
  at: int(),
  type: str('publish, unpublish, play, stop, connect, close, dvr, hls'),
  vhost: nullable(str()),
  app: nullable(str()),
  stream: nullable(str()),
  client_id: nullable(str()),
  data: Type.Unknown({ description: "the event's own fields (JSON), or null" }),
}, { $id: 'HistoryEvent' });
export type HistoryEvent = Static<typeof HistoryEvent>;

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

const total = () => int('rows matching the filters, ignoring paging');
export const HistoryStreamsResponse = envelope({ streams: arr(HistoryStreamSession), total: total() });
export type HistoryStreamsResponse = Static<typeof HistoryStreamsResponse>;
export const HistoryClientsResponse = envelope({ clients: arr(HistoryClientSession), total: total() });
export type HistoryClientsResponse = Static<typeof HistoryClientsResponse>;
export const HistoryEventsResponse = envelope({ events: arr(HistoryEvent), total: total() });
export type HistoryEventsResponse = Static<typeof HistoryEventsResponse>;
