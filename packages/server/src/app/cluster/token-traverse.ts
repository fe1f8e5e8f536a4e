/**
 * token_traverse (SRS's edge token authentication): an edge accepts a player's connect only
 * after an origin accepted the same connect (its tcUrl with the query, pageUrl, swfUrl), so
 * the origin's on_connect hook decides for every edge. Origins are tried in order: one that
 * cannot be reached (3 s) passes to the next; the first answer decides.
 */
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import { RtmpClient, RtmpRefusedError } from '../../protocol/rtmp/client-session.js';
import type { Client } from '../client.js';
import { AdmissionError, type Admission } from '../hub.js';
import { parseOrigins } from './addr.js';

const CONNECT_TIMEOUT_MS = 3000;

export class TokenTraverse implements Admission {
  constructor(
    private readonly config: () => Config,
    private readonly log: Logger,
  ) {}

  /** Throws AdmissionError when an origin refuses the connect, or none answers. */
  async connect(client: Client): Promise<void> {
    const cluster = this.config().getVhost(client.vhost)?.cluster;
    if (!cluster || cluster.mode !== 'remote' || !cluster.token_traverse) return;
    const origins = parseOrigins(cluster.origin);
    for (const origin of origins) {
      const url = { host: origin.host, port: origin.port, app: client.app, stream: '', tcUrl: client.tcUrl };
      try {
        const rtmp = await RtmpClient.connect(url, { mode: 'connect', timeoutMs: CONNECT_TIMEOUT_MS, pageUrl: client.pageUrl, swfUrl: client.swfUrl });
        rtmp.destroy();
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof RtmpRefusedError) throw new AdmissionError(`token_traverse: origin ${origin.host}:${origin.port} refused the connect (${message})`);
        this.log.warn({ origin: `${origin.host}:${origin.port}`, err: message }, 'token_traverse: origin unreachable, trying the next');
      }
    }
    throw new AdmissionError(`token_traverse: no origin answered the connect (${cluster.origin.join(' ') || 'no origin configured'})`);
  }
}
