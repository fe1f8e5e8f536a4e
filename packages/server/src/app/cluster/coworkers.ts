/**
 * Origin cluster (SRS's `cluster { origin_cluster on; coworkers HOST:PORT ...; }`): an origin
 * that lacks a stream asks its coworkers' HTTP API where it is published
 * (`POST /api/v1/clusters?vhost=&ip=&app=&stream=&coworker=`, empty body, answered
 * `{"code":0,"data":{"origin":{"ip","port",...}|null}}`), then redirects the player there with
 * SRS's RTMP 302.
 */
import { formatHostPort, parseHostPort, type HostPort } from './addr.js';

const ASK_TIMEOUT_MS = 3000;
/** a clusters answer is a few hundred bytes */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface ClusterQuery {
  vhost: string;
  app: string;
  stream: string;
  /** the asking server's address */
  ip: string;
}

/** The first coworker's answer naming an origin of the stream (RTMP host and port), or undefined. */
export async function discoverOrigin(coworkers: readonly string[], q: ClusterQuery, timeoutMs = ASK_TIMEOUT_MS): Promise<HostPort | undefined> {
  for (const entry of coworkers) {
    const api = parseHostPort(entry, null);
    if (!api) continue;
    const at = await ask(api, q, timeoutMs).catch(() => undefined);
    if (at) return at;
  }
  return undefined;
}

async function ask(api: HostPort, q: ClusterQuery, timeoutMs: number): Promise<HostPort | undefined> {
  const coworker = formatHostPort(api);
  const query = new URLSearchParams({ vhost: q.vhost, ip: q.ip, app: q.app, stream: q.stream, coworker });
  const res = await fetch(`http://${coworker}/api/v1/clusters?${query}`, { method: 'POST', body: '', signal: AbortSignal.timeout(timeoutMs) });
  const text = await boundedText(res, MAX_ANSWER_BYTES);
  const answer = JSON.parse(text) as { code?: unknown; data?: { origin?: { ip?: unknown; port?: unknown } | null } };
  const origin = answer.code === 0 ? answer.data?.origin : undefined;
  if (!origin || typeof origin.ip !== 'string' || typeof origin.port !== 'number') return undefined;
  return parseHostPort(formatHostPort({ host: origin.ip, port: origin.port }), null);
}

async function boundedText(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > max) throw new Error(`clusters answer over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The RTMP URL a player is redirected to: the stream on `origin`, with `param` ('' or '?...'). */
export function redirectUrl(origin: HostPort, app: string, stream: string, param: string): string {
  return `rtmp://${formatHostPort(origin)}/${app}/${stream}${param}`;
}
