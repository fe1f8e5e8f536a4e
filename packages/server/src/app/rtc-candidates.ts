/**
 * The server addresses a WebRTC answer names as its ICE host candidates, as SRS 5 discovers them
 * (srs_rtc_api.cpp, `discover_candidates`), in this order, without repeats:
 *
 * 1. `eip` (or `candidate`) of the request's query or of the stream URL's query: an IPv4
 *    address, optionally `:port` (as SRS: a port-mapping NAT's outside port, named in that
 *    candidate instead of rtc_server's).
 * 2. With `rtc_server.api_as_candidates on` (the default): the host the client reached the API
 *    at, when it is an IPv4 literal other than 0.0.0.0.
 * 3. `rtc_server.candidate`: each configured IP (SRS 5 takes several, space or comma separated);
 *    `*` or `0.0.0.0` (also what an unset `$CANDIDATE` becomes) means every non-loopback IPv4
 *    address of this host, and 127.0.0.1 when it has none (and nothing else was found).
 *
 * Names other than IPv4 literals are skipped (tsrs does not resolve domains here).
 */
import { isIPv4 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

export interface CandidateInputs {
  /** `rtc_server.candidate`'s values */
  configured: readonly string[];
  /** the request's `eip`/`candidate` query value */
  eip?: string;
  /** the hostname of the API request's Host header */
  apiHost?: string;
  /** `rtc_server.api_as_candidates` */
  apiAsCandidates: boolean;
  /** `os.networkInterfaces()` */
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/**
 * `a.b.c.d` or `a.b.c.d:port` -> the address and the port (undefined when absent or outside
 * 1-65535); undefined for anything else.
 */
function ipv4PortOf(value: string | undefined): { ip: string; port?: number } | undefined {
  const m = /^(.+?)(?::(\d{1,5}))?$/.exec(value?.trim() ?? '');
  if (!m || !isIPv4(m[1])) return undefined;
  const port = m[2] === undefined ? 0 : Number(m[2]);
  return port >= 1 && port <= 65535 ? { ip: m[1], port } : { ip: m[1] };
}

/**
 * The candidate addresses, most preferred first; never empty. Each is an IPv4 address, or
 * `address:port` for an `eip` that named a port (the others use rtc_server's port).
 */
export function discoverCandidates(c: CandidateInputs): string[] {
  const found = new Set<string>();
  const eip = ipv4PortOf(c.eip);
  if (eip) found.add(eip.port ? `${eip.ip}:${eip.port}` : eip.ip);
  const api = c.apiAsCandidates ? ipv4PortOf(c.apiHost)?.ip : undefined;
  if (api && api !== '0.0.0.0') found.add(api);
  const values = c.configured.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
  let detect = values.length === 0;
  for (const v of values) {
    if (v === '*' || v === '0.0.0.0') detect = true;
    else if (isIPv4(v)) found.add(v);
  }
  if (detect) {
    for (const list of Object.values(c.interfaces)) {
      for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) found.add(a.address);
    }
  }
  if (found.size === 0) found.add('127.0.0.1');
  return [...found];
}
