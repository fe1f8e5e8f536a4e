import { DEFAULT_VHOST, type Config } from '../config/index.js';

/**
 * The vhost a publisher or player lands on (SRS): its own `vhost` block when there is one,
 * else the default vhost; undefined when neither exists.
 */
export function resolveVhost(config: Config, host: string): string | undefined {
  const v = config.getVhost(host);
  if (!v) return undefined;
  return config.root.find('vhost', host) ? host : DEFAULT_VHOST;
}
