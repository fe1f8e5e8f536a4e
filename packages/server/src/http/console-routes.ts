import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameHostLocation } from './safe-path.js';
import { staticFilesHandler } from './static-files.js';

/** The console's static export inside this repository (apps/console/out). */
export const BUNDLED_CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'apps', 'console', 'out');

/**
 * The tsrs console's build: `TSRS_CONSOLE_DIR` when set (another build of apps/console),
 * else the export inside this repository.
 */
export function bundledConsoleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSRS_CONSOLE_DIR ? resolve(env.TSRS_CONSOLE_DIR) : BUNDLED_CONSOLE_DIR;
}

/** SRS's player pages, now the console's players (query kept). */
const PLAYER_PAGES: Record<string, string> = {
  '/players/srs_player.html': '/console/player/',
  '/players/rtc_player.html': '/console/player/',
  '/players/whep.html': '/console/player/',
  '/players/rtc_publisher.html': '/console/publisher/',
  '/players/whip.html': '/console/publisher/',
};

/**
 * The script the console's pages load first (`<script src="/console/tsrs-server.js">`): which
 * listener served the page and the bound API, HTTP and RTMP ports, so a page served from either
 * port finds the other and names the right RTMP port in its URLs
 * (`window.__TSRS_SERVER__ = {served_by, api_port, http_port, rtmp_port}`; a port is null when
 * that listener is off).
 */
export const SERVER_SCRIPT_PATH = '/console/tsrs-server.js';

/** The listener that served a page: the HTTP server, the API, or one port that is both. */
export type ServedBy = 'http' | 'api' | 'both';

export interface ServerPorts {
  api: number | null;
  http: number | null;
  rtmp: number | null;
}

/** A redirect to a path on this host (never `//host`: see sameHostLocation). */
function redirect(res: ServerResponse, location: string): true {
  res.writeHead(302, { Location: sameHostLocation(location), 'Content-Length': 0 });
  res.end();
  return true;
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return { path: q >= 0 ? url.slice(0, q) : url, query: q >= 0 ? url.slice(q) : '' };
}

/** A files handler for the URL space under `prefix` (e.g. `/console`), the prefix taken off. */
function mountedFiles(prefix: string, roots: () => readonly string[]) {
  const files = staticFilesHandler({ roots, urlPrefix: prefix });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const original = req.url ?? '/';
    req.url = original.slice(prefix.length);
    try {
      return await files(req, res);
    } finally {
      req.url = original;
    }
  };
}

export interface ConsoleOptions {
  /** http_server.dir, read at each request (a reload may change it) */
  dir: () => string;
  /**
   * Which console /console/ tries first. `tsrs` (the HTTP server port): tsrs's own console,
   * then `<dir>/console`. `srs` (the API port, where SRS 5 serves its console): `<dir>/console`,
   * then tsrs's console. Either way a path only one of them has is served from it.
   */
  first: 'tsrs' | 'srs';
  /** the listener this handler is mounted on, told to the pages */
  servedBy: ServedBy;
  ports: () => ServerPorts;
  /** tsrs's console build (default: bundledConsoleDir()) */
  bundledDir?: string;
}

/**
 * The web console's files at /console/ (see ConsoleOptions.first for which console wins) and
 * /console/tsrs-server.js. Paths go through decodePathSegments/joinInside/realPathInside (the
 * static files' checks): a path leaving its root gets 403. GET and HEAD only; false for
 * anything else, so later handlers (and the 404) answer.
 */
export function consoleFilesHandler(opts: ConsoleOptions) {
  const bundled = opts.bundledDir ?? bundledConsoleDir();
  const roots = () => {
    const srs = join(opts.dir(), 'console');
    return opts.first === 'tsrs' ? [bundled, srs] : [srs, bundled];
  };
  const files = mountedFiles('/console', roots);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const { path } = splitUrl(req.url ?? '/');
    if (path === SERVER_SCRIPT_PATH) return serverScript(req, res, opts.servedBy, opts.ports());
    if (!path.startsWith('/console/')) return false;
    return files(req, res);
  };
}

function serverScript(req: IncomingMessage, res: ServerResponse, servedBy: ServedBy, ports: ServerPorts): true {
  const body = `window.__TSRS_SERVER__=${JSON.stringify({ served_by: servedBy, api_port: ports.api, http_port: ports.http, rtmp_port: ports.rtmp })};\n`;
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/**
 * SRS's player URLs and the bare console paths, after the files: `/players/<page>.html?q` ->
 * `/console/player/?q` (or `/console/publisher/?q`) when no file answered it, `/console` ->
 * `/console/`, and `/` -> `/console/` unless `rootToConsole` is off (the API port's `/` is
 * the API's). With `playerFilesDir`, `/players/...` is first served from `<dir>/players` (the
 * API port, which has no static files handler of its own).
 */
export function consoleRedirectsHandler(opts: { rootToConsole: boolean; playerFilesDir?: () => string }) {
  const players = opts.playerFilesDir ? mountedFiles('/players', () => [join(opts.playerFilesDir!(), 'players')]) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const { path, query } = splitUrl(req.url ?? '/');
    if (players && path.startsWith('/players/') && (await players(req, res))) return true;
    const player = PLAYER_PAGES[path];
    if (player) return redirect(res, player + query);
    if (path === '/console' || (opts.rootToConsole && path === '/')) return redirect(res, `/console/${query}`);
    return false;
  };
}

