/**
 * Which configs `tsrs --workers N` can run. Each worker is a whole tsrs with its own hub: a
 * stream lives in one worker only, so a worker's players can only see streams that every worker
 * gets on its own, which is what an edge does (each worker pulls from the origin). Anything that
 * publishes into one worker, writes shared files or binds a port that cannot be shared is refused.
 */
import type { Config } from '../config/index.js';

/** Most workers a primary starts (a bound on processes, not a tuning hint: use the core count). */
export const MAX_WORKERS = 64;

/**
 * The reasons `config` cannot run in N worker processes, one sentence each; empty = it can.
 * Refused: a vhost that is not an edge (`cluster { mode remote; }`: a publisher would reach one
 * worker's players only), HLS/DASH/HDS/DVR (files written by several processes), forward, exec,
 * ingest and transcode (they run once per published stream), rtc_server, srt_server, stream
 * casters, the exporter (one port per process), and an API on the HTTP server's port (the
 * primary answers the API, the workers the HTTP server).
 */
export function workersRefusals(config: Config): string[] {
  const out: string[] = [];
  const names = config.vhostNames();
  if (names.length === 0) out.push('no vhost is configured: --workers runs edges only (vhost { cluster { mode remote; } })');
  for (const name of names) {
    const v = config.getVhost(name);
    if (!v || !v.enabled) continue;
    const where = `vhost ${name}`;
    if (v.cluster.mode !== 'remote') out.push(`${where} is not an edge (cluster { mode remote; }): a stream published to one worker would not reach the players of the others`);
    const on: string[] = [];
    if (v.hls.enabled) on.push('hls');
    if (v.dash.enabled) on.push('dash');
    if (v.hds.enabled) on.push('hds');
    if (v.dvr.enabled) on.push('dvr');
    if (v.forward.enabled) on.push('forward');
    if (v.exec.enabled) on.push('exec');
    if (v.ingest.some((i) => i.enabled)) on.push('ingest');
    if (v.transcode.some((t) => t.enabled)) on.push('transcode');
    if (on.length) out.push(`${where} has ${on.join(', ')} on: each worker would do it again for its own players (edges keep them off)`);
  }
  const g = config.global;
  if (g.rtc_server.enabled) out.push('rtc_server is on: WebRTC (UDP) is not shared between workers');
  if (g.srt_server.enabled) out.push('srt_server is on: SRT is not shared between workers');
  if (config.stream_casters.some((c) => c.enabled)) out.push('a stream_caster is on: a publish would reach one worker only');
  if (g.exporter.enabled) out.push('exporter is on: the primary does not serve /metrics (read each worker through the API instead)');
  if (config.http_api.enabled && config.http_server.enabled && config.http_api.listen.port === config.http_server.listen.port) {
    out.push(`http_api shares port ${config.http_api.listen.port} with http_server: give the API its own port (the primary answers it for all workers)`);
  }
  return out;
}
