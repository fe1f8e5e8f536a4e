import type { IncomingMessage, ServerResponse } from 'node:http';

/** SRS's crossdomain headers: any origin, the methods and headers players send. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, HEAD, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'origin, range, accept-encoding, referer, cache-control, x-proxy-authorization, x-requested-with, content-type',
  'Access-Control-Expose-Headers': 'Server, Range, Content-Length, Content-Range',
  'Access-Control-Max-Age': '86400',
};

/**
 * With crossdomain on: put the CORS headers on every response and answer
 * OPTIONS preflights here. Returns true when the request was answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, enabled: boolean): boolean {
  if (enabled) for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(enabled ? 200 : 405, { 'Content-Length': 0 });
  res.end();
  return true;
}
