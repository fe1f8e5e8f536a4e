/**
 * DVR control and recordings (tsrs additions): `POST|GET /api/v1/dvrs`, `/api/v1/recordings*`.
 * Times are ms since the epoch. Error codes: DvrErrorCode (errors.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { arr, bool, envelope, int, nullable, oneOfStrings, str } from './kit.js';
import type { PageQuery } from './index.js';

export const DVR_FORMATS = ['flv', 'mp4'] as const;
export const DvrFormat = oneOfStrings(DVR_FORMATS);
export type DvrFormat = Static<typeof DvrFormat>;
export type DvrAction = 'start' | 'stop';

/** POST /api/v1/dvrs body. */
export const DvrRequest = Type.Object({
  app: str(),
  stream: str(),
  vhost: Type.Optional(str('the vhost name; the default vhost when left out')),
  action: oneOfStrings(['start', 'stop'] as const),
  format: Type.Optional(DvrFormat),
}, { $id: 'DvrRequest' });
export type DvrRequest = Static<typeof DvrRequest>;

/** One recording in progress (GET /api/v1/dvrs, and `dvr` of a start answer). */
export const ActiveDvr = Type.Object({
  id: str('the open file (or the id the next file gets, while waiting for a keyframe)'),
  vhost: str(),
  app: str(),
  stream: str(),
  format: DvrFormat,
  path: str('the open file; empty while waiting for a keyframe'),
  start: int('ms since the epoch the file opened; 0 while waiting'),
  duration_ms: int(),
  size: int(),
  by_api: bool("started through POST /api/v1/dvrs, else by the vhost's dvr config"),
}, { $id: 'ActiveDvr' });
export type ActiveDvr = Static<typeof ActiveDvr>;

/** One DVR file (a row of the recordings table). */
export const Recording = Type.Object({
  id: str(),
  vhost: str('the vhost name'),
  app: str(),
  stream: str(),
  path: str('absolute file path'),
  format: DvrFormat,
  start: int('ms since the epoch'),
  end: nullable(int(), 'ms since the epoch, null while recording'),
  duration_ms: int(),
  size: int('bytes'),
  complete: bool('false: cut short (a crash), or still recording'),
  node: str('the cluster node that recorded it (`cluster { node_id }`, else hostname:api-port; empty for rows recorded before nodes were)'),
}, { $id: 'Recording' });
export type Recording = Static<typeof Recording>;

/** Query of GET /api/v1/recordings (paging as SRS: `start`/`count`). */
export interface RecordingsQuery extends PageQuery {
  /** ms since the epoch or ISO-8601: recordings not ended before this time */
  from?: number | string;
  /** recordings started at or before this time */
  to?: number | string;
  vhost?: string;
  app?: string;
  stream?: string;
  format?: DvrFormat;
  complete?: boolean;
}

/** POST /api/v1/dvrs: `id` is null for a stop while nothing recorded. */
export const DvrResponse = envelope({
  id: nullable(str(), 'the recording (null: stop while nothing recorded)'),
  recording: bool('recording after this call'),
  dvr: Type.Optional(ActiveDvr),
});
export type DvrResponse = Static<typeof DvrResponse>;
export const DvrsResponse = envelope({ dvrs: arr(ActiveDvr) });
export type DvrsResponse = Static<typeof DvrsResponse>;
export const RecordingsResponse = envelope({ recordings: arr(Recording), total: int('rows matching the filters') });
export type RecordingsResponse = Static<typeof RecordingsResponse>;
export const RecordingResponse = envelope({ recording: Recording });
export type RecordingResponse = Static<typeof RecordingResponse>;
/** DELETE /api/v1/recordings/{id} */
export const RecordingDeleteResponse = envelope({ id: str() });
export type RecordingDeleteResponse = Static<typeof RecordingDeleteResponse>;
