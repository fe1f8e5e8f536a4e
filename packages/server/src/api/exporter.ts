/**
 * SRS 5's Prometheus exporter listener (`exporter { enabled on; listen 9972; label; tag; }`):
 * `/metrics` on its own port, for scrapers that hold no API credentials. tsrs adds an
 * allow-list (`allow <ip|cidr> ...;`, empty = everyone, as SRS) since the metrics name every
 * live stream. Nothing else is served there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ipMatches } from '../app/security.js';
import type { HttpHandler } from '../listeners/http.js';
import { peerIp } from '../listeners/tcp.js';

export interface ExporterOptions {
  /** the metrics text, made per request */
  metrics: () => string;
  /** `exporter.allow`, read per request */
  allow: () => readonly string[];
}

/** Whether `ip` may read the exporter: an empty list lets everyone in. */
export function exporterAllows(allow: readonly string[], ip: string): boolean {
  return allow.length === 0 || allow.some((rule) => ipMatches(rule, ip));
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): true {
  const buf = Buffer.from(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length });
  res.end(buf);
  return true;
}

export function exporterHandler(opts: ExporterOptions): HttpHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!exporterAllows(opts.allow(), peerIp(req.socket))) return send(res, 403, 'Forbidden');
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(res, 404, 'Not Found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed');
    return send(res, 200, opts.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
  };
}
