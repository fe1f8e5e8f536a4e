/**
 * Cluster addresses: `origin HOST[:PORT]` and `coworkers HOST:PORT` entries of srs.conf's
 * `cluster {}`, and the RTMP URL an edge asks an origin for.
 */
import type { ParsedClientUrl } from '../../protocol/rtmp/client-session.js';
import { DEFAULT_RTMP_PORT } from '../../protocol/rtmp/url.js';

export interface HostPort {
  host: string;
  port: number;
}

/** A host name or an IPv4/IPv6 literal: letters, digits, '.', '-', '_' and ':' (inside brackets). */
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/;

/**
 * `host`, `host:port`, `[v6]` or `[v6]:port` -> { host, port } (brackets dropped; `defaultPort`
 * null: the port is required); undefined
 * for anything else (a path, a scheme, a port out of 1..65535), so a config or an answer
 * from another server cannot smuggle more than an address into a URL.
 */
export function parseHostPort(text: string, defaultPort: number | null = DEFAULT_RTMP_PORT): HostPort | undefined {
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m || !HOST.test(m[1])) return undefined;
  const port = m[2] !== undefined ? Number(m[2]) : defaultPort;
  if (port === null || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** The valid entries of `cluster.origin`, in order (invalid ones are left out). */
export function parseOrigins(list: readonly string[]): HostPort[] {
  return list.map((s) => parseHostPort(s)).filter((a): a is HostPort => a !== undefined);
}

/** `host:port` for URLs (IPv6 in brackets). */
export function formatHostPort(a: HostPort): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/**
 * The query a stream is asked for upstream: the player's own parameters (a token) with
 * `vhost=` set to `vhost` (dropped for the default vhost, which the origin falls back to).
 * Returns '' or '?a=b&...'.
 */
export function upstreamParam(param: string, vhost: string): string {
  const q = new URLSearchParams(param.replace(/^\?/, ''));
  q.delete('vhost');
  q.delete('domain');
  if (vhost && vhost !== '__defaultVhost__') q.set('vhost', vhost);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The RTMP URL parts for app/stream on `origin`, `param` ('' or '?...') on the tcUrl: the origin
 * sees it at connect (on_connect) and with the stream (on_play, on_publish).
 */
export function upstreamUrl(origin: HostPort, app: string, stream: string, param: string): ParsedClientUrl {
  return { host: origin.host, port: origin.port, app, stream, tcUrl: `rtmp://${formatHostPort(origin)}/${app}${param}` };
}
