// Conversions between caller values, Prisma values and the JSON-able result rows.
import type * as Db from './generated/prisma/client.js';
import type {
  ClientKind,
  ClientSessionRow,
  EndReason,
  EventRow,
  RecordingFormat,
  RecordingRow,
  StreamSessionRow,
  TimeInput,
} from './types.js';

/** Strict parse for query parameters: throws on garbage so an API can answer 400. */
export function parseTime(v: TimeInput, what = 'time'): Date {
  const d =
    v instanceof Date ? new Date(v.getTime())
    : typeof v === 'number' ? new Date(v)
    : /^\s*-?\d+\s*$/.test(v) ? new Date(Number(v))
    : new Date(v);
  if (Number.isNaN(d.getTime())) throw new TypeError(`invalid ${what}: ${String(v)}`);
  return d;
}

/** Lenient parse for write paths, which must never throw: bad or missing input means "now". */
export function timeOrNow(v: TimeInput | undefined): Date {
  if (v === undefined) return new Date();
  try {
    return parseTime(v);
  } catch {
    return new Date();
  }
}

/** Non-negative integer counter as BigInt (Prisma Int is 32-bit; byte counts are not). */
export function toBig(n: number | undefined): bigint {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? BigInt(Math.trunc(n)) : 0n;
}

/** Clamps to Prisma's 32-bit Int (durations up to ~24.8 days). */
export function toInt32(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.min(2 ** 31 - 1, Math.trunc(n))) : 0;
}

export function toJsonText(data: unknown): string | null {
  if (data === undefined || data === null) return null;
  try {
    return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? null;
  } catch {
    return JSON.stringify(String(data));
  }
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);
const duration = (start: Date, end: Date | null): number | null => (end ? end.getTime() - start.getTime() : null);

export function streamSessionRow(r: Db.StreamSession): StreamSessionRow {
  return {
    id: r.id,
    vhost: r.vhost,
    app: r.app,
    stream: r.stream,
    clientId: r.clientId,
    ip: r.ip,
    protocol: r.protocol,
    startedAt: r.startedAt.getTime(),
    endedAt: ms(r.endedAt),
    durationMs: duration(r.startedAt, r.endedAt),
    videoCodec: r.videoCodec,
    videoProfile: r.videoProfile,
    videoLevel: r.videoLevel,
    width: r.width,
    height: r.height,
    frameRate: r.frameRate,
    audioCodec: r.audioCodec,
    audioSampleRate: r.audioSampleRate,
    audioChannels: r.audioChannels,
    audioProfile: r.audioProfile,
    bytesIn: Number(r.bytesIn),
    bytesOut: r.bytesOut === null ? null : Number(r.bytesOut),
    endReason: r.endReason as EndReason | null,
    node: r.node,
  };
}

export function clientSessionRow(r: Db.ClientSession): ClientSessionRow {
  return {
    id: r.id,
    kind: r.kind as ClientKind,
    type: r.type,
    protocol: r.protocol,
    ip: r.ip,
    vhost: r.vhost,
    app: r.app,
    stream: r.stream,
    url: r.url,
    startedAt: r.startedAt.getTime(),
    endedAt: ms(r.endedAt),
    durationMs: duration(r.startedAt, r.endedAt),
    bytesIn: Number(r.bytesIn),
    bytesOut: Number(r.bytesOut),
    endReason: r.endReason as EndReason | null,
    node: r.node,
  };
}

export function recordingRow(r: Db.Recording): RecordingRow {
  return {
    id: r.id,
    vhost: r.vhost,
    app: r.app,
    stream: r.stream,
    path: r.path,
    format: r.format as RecordingFormat,
    startedAt: r.startedAt.getTime(),
    endedAt: ms(r.endedAt),
    durationMs: r.durationMs,
    size: Number(r.size),
    complete: r.complete,
    node: r.node,
  };
}

export function eventRow(r: Db.Event): EventRow {
  let data: unknown = null;
  if (r.data !== null) {
    try {
      data = JSON.parse(r.data);
    } catch {
      data = r.data;
    }
  }
  return {
    id: r.id,
    at: r.at.getTime(),
    type: r.type,
    vhost: r.vhost,
    app: r.app,
    stream: r.stream,
    clientId: r.clientId,
    data,
  };
}
