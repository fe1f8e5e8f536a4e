// Read side: filters, time range and paging shared by the history lists.
import type { Prisma, PrismaClient } from './generated/prisma/client.js';
import { clientSessionRow, eventRow, parseTime, recordingRow, streamSessionRow } from './convert.js';
import type {
  ClientSessionQuery,
  ClientSessionRow,
  EventQuery,
  EventRow,
  HistoryQuery,
  Page,
  RecordingQuery,
  RecordingRow,
  StreamSessionQuery,
  StreamSessionRow,
} from './types.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function paging(q: HistoryQuery): { take: number; skip: number } {
  const n = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : d);
  return {
    take: Math.min(MAX_LIMIT, Math.max(0, n(q.limit, DEFAULT_LIMIT))),
    skip: Math.max(0, n(q.offset, 0)),
  };
}

/** Equality filters for the keys that are set (undefined and '' mean "any"). */
function equals<K extends string>(q: Partial<Record<K, unknown>>, keys: readonly K[]): Array<Record<string, unknown>> {
  return keys.filter((k) => q[k] !== undefined && q[k] !== '').map((k) => ({ [k]: q[k] }));
}

/**
 * Rows overlapping [from, to]: started no later than `to` and not ended before `from`
 * (so "what was live between X and Y" includes sessions that began earlier).
 */
function overlap(q: HistoryQuery): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (q.to !== undefined) out.push({ startedAt: { lte: parseTime(q.to, 'to') } });
  if (q.from !== undefined) out.push({ OR: [{ endedAt: null }, { endedAt: { gte: parseTime(q.from, 'from') } }] });
  return out;
}

function active(q: { active?: boolean }): Array<Record<string, unknown>> {
  if (q.active === undefined) return [];
  return [{ endedAt: q.active ? null : { not: null } }];
}

export async function listStreamSessions(db: PrismaClient, q: StreamSessionQuery): Promise<Page<StreamSessionRow>> {
  const where = {
    AND: [...equals(q, ['vhost', 'app', 'stream', 'ip', 'clientId', 'node'] as const), ...overlap(q), ...active(q)],
  } as Prisma.StreamSessionWhereInput;
  const orderBy: Prisma.StreamSessionOrderByWithRelationInput[] = [{ startedAt: 'desc' }, { id: 'desc' }];
  const [rows, total] = await db.$transaction([
    db.streamSession.findMany({ where, orderBy, ...paging(q) }),
    db.streamSession.count({ where }),
  ]);
  return { items: rows.map(streamSessionRow), total };
}

export async function listClientSessions(db: PrismaClient, q: ClientSessionQuery): Promise<Page<ClientSessionRow>> {
  const where = {
    AND: [...equals(q, ['vhost', 'app', 'stream', 'ip', 'kind', 'endReason', 'node'] as const), ...overlap(q), ...active(q)],
  } as Prisma.ClientSessionWhereInput;
  const orderBy: Prisma.ClientSessionOrderByWithRelationInput[] = [{ startedAt: 'desc' }, { id: 'desc' }];
  const [rows, total] = await db.$transaction([
    db.clientSession.findMany({ where, orderBy, ...paging(q) }),
    db.clientSession.count({ where }),
  ]);
  return { items: rows.map(clientSessionRow), total };
}

export async function listRecordings(db: PrismaClient, q: RecordingQuery): Promise<Page<RecordingRow>> {
  const where = {
    AND: [...equals(q, ['vhost', 'app', 'stream', 'format', 'complete'] as const), ...overlap(q)],
  } as Prisma.RecordingWhereInput;
  const orderBy: Prisma.RecordingOrderByWithRelationInput[] = [{ startedAt: 'desc' }, { id: 'desc' }];
  const [rows, total] = await db.$transaction([
    db.recording.findMany({ where, orderBy, ...paging(q) }),
    db.recording.count({ where }),
  ]);
  return { items: rows.map(recordingRow), total };
}

/** Events are instants: `from`/`to` bound `at`. */
export async function listEvents(db: PrismaClient, q: EventQuery): Promise<Page<EventRow>> {
  const range: Array<Record<string, unknown>> = [];
  if (q.from !== undefined) range.push({ at: { gte: parseTime(q.from, 'from') } });
  if (q.to !== undefined) range.push({ at: { lte: parseTime(q.to, 'to') } });
  const where = {
    AND: [...equals(q, ['vhost', 'app', 'stream', 'type', 'clientId'] as const), ...range],
  } as Prisma.EventWhereInput;
  const orderBy: Prisma.EventOrderByWithRelationInput[] = [{ at: 'desc' }, { id: 'desc' }];
  const [rows, total] = await db.$transaction([
    db.event.findMany({ where, orderBy, ...paging(q) }),
    db.event.count({ where }),
  ]);
  return { items: rows.map(eventRow), total };
}
