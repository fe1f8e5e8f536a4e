/**
 * A node's place in a cluster (tsrs directives of `vhost { cluster { ... } }`, read from the
 * first vhost that sets them, at start):
 * - `node_id NAME;` names this node in the live view of every node and in its history rows;
 *   1-64 characters of [A-Za-z0-9._:@-]. Unset: `hostname:api-port`.
 * - `registry redis://HOST:PORT;` the Redis the nodes share.
 */
import os from 'node:os';
import type { Config } from '../config/index.js';

/** The characters and length a node id may have (it is shown in consoles and stored in history). */
export const NODE_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

function firstSet<K extends 'node_id' | 'registry'>(config: Config, key: K): string | undefined {
  for (const name of config.vhostNames()) {
    const v = (config.getVhost(name)?.cluster[key] as string | undefined)?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * This node's id. Errors: a configured `node_id` outside NODE_ID_RE throws. A hostname that
 * does not fit is cut to fit (`hostname:port` of at most 64 characters).
 */
export function nodeId(config: Config): string {
  const set = firstSet(config, 'node_id');
  if (set !== undefined) {
    if (!NODE_ID_RE.test(set)) throw new Error(`cluster.node_id ${JSON.stringify(set.slice(0, 80))}: 1-64 characters of A-Z a-z 0-9 . _ : @ -`);
    return set;
  }
  const port = `:${config.http_api.listen.port}`;
  const host = os.hostname().replace(/[^A-Za-z0-9._@-]/g, '-').slice(0, 64 - port.length) || 'localhost';
  return host + port;
}

/** The cluster's Redis URL (`redis://` or `rediss://`), or undefined. Errors: another scheme throws. */
export function registryUrl(config: Config): string | undefined {
  const url = firstSet(config, 'registry');
  if (url === undefined) return undefined;
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new Error(`cluster.registry: a redis://HOST:PORT URL, not ${JSON.stringify(url.slice(0, 80))}`);
  return url;
}
