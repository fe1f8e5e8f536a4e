import { resolve } from 'node:path';
import type { Config } from '../config/index.js';

/**
 * Directories the HTTP server serves files from: http_server.dir, then every
 * distinct hls_path of a vhost with HLS on, so `/[app]/[stream].m3u8` works
 * even when hls_path is not the server's dir (both default to ./objs/nginx/html).
 */
export function staticRoots(config: Config): string[] {
  let roots = ROOTS.get(config);
  if (!roots) ROOTS.set(config, (roots = computeRoots(config)));
  return roots;
}

const ROOTS = new WeakMap<Config, string[]>();

function computeRoots(config: Config): string[] {
  const roots = [resolve(config.http_server.dir)];
  for (const name of config.vhostNames()) {
    const hls = config.getVhost(name)?.hls;
    if (!hls?.enabled) continue;
    const dir = resolve(hls.hls_path);
    if (!roots.includes(dir)) roots.push(dir);
  }
  return roots;
}
