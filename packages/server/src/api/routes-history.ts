/**
 * `/api/v1/history/*`: stream sessions, client sessions and events from the history database,
 * newest first, with paging (SRS's `start`/`count` or `limit`/`offset`), a time range
 * (`from`/`to`, ms since the epoch or ISO-8601) and filters. Rows are snake_case in SRS's
 * envelope: `{"code":0,"server",...,"streams":[...],"total":N}`. Sessions still live show
 * their bytes so far (the database gets them when the session ends). Each session names the
 * cluster `node` that recorded it (`cluster { node_id }`, else hostname:api-port), also a filter.
 */
import {
  HISTORY_CLIENT_KINDS,
  HISTORY_END_REASONS,
  HistoryClientsResponse,
  HistoryErrorCode,
  HistoryEventsResponse,
  HistoryStreamsResponse,
  type HistoryClientSession,
  type HistoryEvent,
  type HistoryStreamSession,
} from '@tsrs/api-types';
import type { ClientSessionRow, EventRow, HistoryQuery, HistoryStore, StreamSessionRow } from '@tsrs/db';
import type { HistoryRecorder } from '../history/recorder.js';
import { BadParam, pageAndRange, textParam } from './query-params.js';
import { fail, ok, type Operation, type Reply, type Route } from './router.js';

export interface HistoryDeps {
  /** the history database (absent: the routes answer HistoryErrorCode.Unavailable) */
  history?: HistoryStore;
  /** live byte counts of open sessions */
  recorder?: HistoryRecorder;
}

const END_REASONS: readonly string[] = HISTORY_END_REASONS;
const KINDS: readonly string[] = HISTORY_CLIENT_KINDS;

// ---- query parameters ----

function enumParam(q: URLSearchParams, name: string, allowed: readonly string[]): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!allowed.includes(v)) throw new BadParam(name);
  return v;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadParam(name);
}

/** Paging, range and stream filters common to the three lists (the store caps limit at 1000). */
export function historyQuery(q: URLSearchParams): HistoryQuery {
  return {
    ...pageAndRange(q),
    vhost: textParam(q, 'vhost'),
    app: textParam(q, 'app'),
    stream: textParam(q, 'stream'),
  };
}

// ---- wire rows ----

function streamWire(r: StreamSessionRow, recorder?: HistoryRecorder): HistoryStreamSession {
  const live = r.endedAt === null ? recorder?.liveStream(r.id) : undefined;
  return {
    id: r.id, vhost: r.vhost, app: r.app, stream: r.stream, client_id: r.clientId, ip: r.ip, protocol: r.protocol,
    start: r.startedAt, end: r.endedAt, duration_ms: r.durationMs,
    bytes_in: live ? live.in : r.bytesIn, bytes_out: live ? live.out : r.bytesOut,
    video_codec: r.videoCodec, video_profile: r.videoProfile, video_level: r.videoLevel, width: r.width, height: r.height,
    frame_rate: r.frameRate, audio_codec: r.audioCodec, audio_sample_rate: r.audioSampleRate, audio_channels: r.audioChannels,
    audio_profile: r.audioProfile, end_reason: r.endReason, node: r.node,
  };
}

function clientWire(r: ClientSessionRow, recorder?: HistoryRecorder): HistoryClientSession {
  const live = r.endedAt === null ? recorder?.liveClient(r.id) : undefined;
  return {
    id: r.id, kind: r.kind, type: r.type, protocol: r.protocol, ip: r.ip, vhost: r.vhost, app: r.app, stream: r.stream, url: r.url,
    start: r.startedAt, end: r.endedAt, duration_ms: r.durationMs,
    bytes_in: live ? live.in : r.bytesIn, bytes_out: live ? live.out : r.bytesOut, end_reason: r.endReason, node: r.node,
  };
}

function eventWire(r: EventRow): HistoryEvent {
  return { id: r.id, at: r.at, type: r.type, vhost: r.vhost, app: r.app, stream: r.stream, client_id: r.clientId, data: r.data };
}

type Param = { description: string; type: 'string' | 'integer' };
const COMMON: Record<string, Param> = {
  start: { description: 'rows to skip (SRS style; same as offset)', type: 'integer' },
  count: { description: 'rows to return (SRS style; same as limit), default 100, at most 1000', type: 'integer' },
  offset: { description: 'rows to skip', type: 'integer' },
  limit: { description: 'rows to return, default 100, at most 1000', type: 'integer' },
  from: { description: 'ms since the epoch or ISO-8601: rows live at or after this time', type: 'string' },
  to: { description: 'ms since the epoch or ISO-8601: rows started at or before this time', type: 'string' },
  vhost: { description: 'vhost name (__defaultVhost__ for the default one)', type: 'string' },
  app: { description: 'app', type: 'string' },
  stream: { description: 'stream name', type: 'string' },
};
const SESSION: Record<string, Param> = {
  ...COMMON,
  ip: { description: 'client ip', type: 'string' },
  node: { description: 'the cluster node that recorded it (cluster node_id, else hostname:api-port)', type: 'string' },
  active: { description: 'true: only live sessions; false: only ended ones', type: 'string' },
};
const ERRORS = [HistoryErrorCode.BadQuery, HistoryErrorCode.Unavailable];

// ---- routes ----

/** Runs a list query: bad parameters and a missing database become SRS error answers. */
async function list(d: HistoryDeps, run: (h: HistoryStore) => Promise<Record<string, unknown>>): Promise<Reply> {
  if (!d.history) return fail(HistoryErrorCode.Unavailable);
  try {
    return ok(await run(d.history));
  } catch (err) {
    if (err instanceof BadParam || err instanceof TypeError) return fail(HistoryErrorCode.BadQuery);
    throw err;
  }
}

function route(path: string, op: Operation): Route {
  return { path, tag: 'history', ops: { GET: op } };
}

export function historyRoutes(d: HistoryDeps): Route[] {
  return [
    route('/api/v1/history/streams', {
      summary: 'Stream sessions (one per publish), newest first',
      query: { ...SESSION, client_id: { description: 'the publisher client id', type: 'string' } },
      response: HistoryStreamsResponse,
      errors: ERRORS,
      handle: (ctx) => list(d, async (h) => {
        const q = ctx.query;
        const page = await h.listStreamSessions({ ...historyQuery(q), ip: textParam(q, 'ip'), node: textParam(q, 'node'), clientId: textParam(q, 'client_id'), active: boolParam(q, 'active') });
        return { streams: page.items.map((r) => streamWire(r, d.recorder)), total: page.total };
      }),
    }),
    route('/api/v1/history/clients', {
      summary: 'Client sessions (publishers and players), newest first',
      query: {
        ...SESSION,
        kind: { description: 'publish | play', type: 'string' },
        end_reason: { description: 'normal | kicked | error', type: 'string' },
      },
      response: HistoryClientsResponse,
      errors: ERRORS,
      handle: (ctx) => list(d, async (h) => {
        const q = ctx.query;
        const page = await h.listClientSessions({
          ...historyQuery(q),
          ip: textParam(q, 'ip'),
          node: textParam(q, 'node'),
          kind: enumParam(q, 'kind', KINDS) as 'publish' | 'play' | undefined,
          endReason: enumParam(q, 'end_reason', END_REASONS) as 'normal' | 'kicked' | 'error' | undefined,
          active: boolParam(q, 'active'),
        });
        return { clients: page.items.map((r) => clientWire(r, d.recorder)), total: page.total };
      }),
    }),
    route('/api/v1/history/events', {
      summary: 'Events (publish, unpublish, play, stop, connect, close, dvr, and one hls per stream session), newest first',
      query: {
        ...COMMON,
        type: { description: 'event type', type: 'string' },
        client_id: { description: 'client id', type: 'string' },
      },
      response: HistoryEventsResponse,
      errors: ERRORS,
      handle: (ctx) => list(d, async (h) => {
        const q = ctx.query;
        const page = await h.listEvents({ ...historyQuery(q), type: textParam(q, 'type'), clientId: textParam(q, 'client_id') });
        return { events: page.items.map(eventWire), total: page.total };
      }),
    }),
  ];
}
