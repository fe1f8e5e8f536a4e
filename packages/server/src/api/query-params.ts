/**
 * Typed readers of query parameters for tsrs's list routes (history, recordings). A value
 * that is present but malformed throws BadParam, which each route answers with its own
 * "bad query" error code; an absent or empty one reads as undefined.
 */
export class BadParam extends Error {}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)?.trim();
  if (!v) return undefined;
  if (!/^\d+$/.test(v)) throw new BadParam(name);
  return Number(v);
}

/** ms since the epoch or an ISO-8601 date; checked here so garbage is a clear error. */
export function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)?.trim();
  if (!v) return undefined;
  const t = /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new BadParam(name);
  return t;
}

export const textParam = (q: URLSearchParams, name: string): string | undefined => q.get(name) || undefined;

/** Paging (limit/offset win over SRS's count/start; default 100) and the time range. */
export function pageAndRange(q: URLSearchParams): { limit: number; offset: number; from?: number; to?: number } {
  return {
    limit: intParam(q, 'limit') ?? intParam(q, 'count') ?? 100,
    offset: intParam(q, 'offset') ?? intParam(q, 'start') ?? 0,
    from: timeParam(q, 'from'),
    to: timeParam(q, 'to'),
  };
}
