import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameHostLocation } from './safe-path.js';
import { staticFilesHandler } from './static-files.js';

/** The console's static export inside this repository (apps/console/out). */
export const BUNDLED_CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'apps', 'console', 'out');

/** SRS's player pages, now the console's players (query kept). */
const PLAYER_PAGES: Record<string, string> = {
  '/players/srs_player.html': '/console/player/',
  '/players/rtc_player.html': '/console/player/',
  '/players/whep.html': '/console/player/',
  '/players/rtc_publisher.html': '/console/publisher/',
  '/players/whip.html': '/console/publisher/',
};

/** A redirect to a path on this host (never `//host`: see sameHostLocation). */
function redirect(res: ServerResponse, location: string): true {
  res.writeHead(302, { Location: sameHostLocation(location), 'Content-Length': 0 });
  res.end();
  return true;
}

/**
 * The web console at /console/: from `<http_server.dir>/console` when present
 * (where SRS keeps its console), else the console this repository builds.
 * Also redirects SRS's old player URLs and a bare `/` to the console.
 */
export function consoleHandler(opts: { dir: () => string }) {
  const consoleDir = () => {
    const own = join(opts.dir(), 'console');
    return existsSync(own) ? own : BUNDLED_CONSOLE_DIR;
  };
  const files = staticFilesHandler({ roots: () => [consoleDir()], urlPrefix: '/console' });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const query = q >= 0 ? url.slice(q) : '';
    const player = PLAYER_PAGES[path];
    if (player) return redirect(res, player + query);
    if (path === '/' || path === '/console') return redirect(res, `/console/${query}`);
    if (!path.startsWith('/console/')) return false;
    // Serve the export with the /console prefix taken off.
    const original = req.url;
    req.url = url.slice('/console'.length);
    try {
      return await files(req, res);
    } finally {
      req.url = original;
    }
  };
}
