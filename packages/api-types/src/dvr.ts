/**
 * DVR control and recordings (tsrs additions): `POST|GET /api/v1/dvrs`, `/api/v1/recordings*`.
 * Times are ms since the epoch.
 */
import type { Ok, PageQuery } from './index.js';

export type DvrFormat = 'flv' | 'mp4';
export type DvrAction = 'start' | 'stop';

/** POST /api/v1/dvrs body. */
export interface DvrRequest {
  app: string;
  stream: string;
  /** the vhost name; the default vhost when left out */
  vhost?: string;
  action: DvrAction;
  format?: DvrFormat;
}

/** One recording in progress (GET /api/v1/dvrs, and `dvr` of a start answer). */
export interface ActiveDvr {
  /** the open file's id (or the id the next file gets while waiting for a keyframe) */
  id: string;
  vhost: string;
  app: string;
  stream: string;
  format: DvrFormat;
  /** the open file; empty while waiting for a keyframe */
  path: string;
  /** when the file opened; 0 while waiting */
  start: number;
  duration_ms: number;
  size: number;
  /** started through POST /api/v1/dvrs, else by the vhost's dvr config */
  by_api: boolean;
}

/** One DVR file (a row of the recordings table). */
export interface Recording {
  id: string;
  /** the vhost name */
  vhost: string;
  app: string;
  stream: string;
  /** absolute file path */
  path: string;
  format: DvrFormat;
  start: number;
  /** null while recording */
  end: number | null;
  duration_ms: number;
  /** bytes */
  size: number;
  /** false: cut short (a crash), or still recording */
  complete: boolean;
}

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
export type DvrResponse = Ok<{ id: string | null; recording: boolean; dvr?: ActiveDvr }>;
export type DvrsResponse = Ok<{ dvrs: ActiveDvr[] }>;
export type RecordingsResponse = Ok<{ recordings: Recording[]; total: number }>;
export type RecordingResponse = Ok<{ recording: Recording }>;
/** DELETE /api/v1/recordings/{id} */
export type RecordingDeleteResponse = Ok<{ id: string }>;
