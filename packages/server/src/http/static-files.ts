import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { mimeType } from './mime.js';
import { parseRange } from './range.js';
import { decodePathSegments, encodePathSegments, joinInside, realPathInside, sameHostLocation } from './safe-path.js';

/** Playlists change every segment: players must not cache them. */
const NO_CACHE = new Set(['application/vnd.apple.mpegurl', 'application/dash+xml']);

export interface StaticFilesOptions {
  /** directories searched in order (http_server.dir first, then HLS paths) */
  roots: () => readonly string[];
  /** where this handler is mounted in the URL space (e.g. `/console`), for redirects */
  urlPrefix?: string;
}

/**
 * Files from the HTTP server's dir (and the HLS paths): GET and HEAD, MIME
 * types, single byte ranges (206/416), index.html for directories. A path
 * that tries to leave its root (also through a symlink) gets 403. The redirect of a
 * directory to its `/` form is built from the checked segments and stays on this host.
 * Returns false when no root has the file, so the next handler (404) answers.
 */
export function staticFilesHandler(opts: StaticFilesOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const segments = decodePathSegments(path);
    if (!segments) return forbidden(res);
    for (const root of opts.roots()) {
      const candidate = joinInside(root, segments);
      if (!candidate) return forbidden(res);
      let st: Stats;
      try {
        st = await stat(candidate);
      } catch {
        continue;
      }
      let file = candidate;
      if (st.isDirectory()) {
        if (!path.endsWith('/')) {
          const dir = `${opts.urlPrefix ?? ''}${encodePathSegments(segments)}/`.replace(/\/+$/, '/');
          res.writeHead(302, { Location: sameHostLocation(`${dir}${q >= 0 ? url.slice(q) : ''}`), 'Content-Length': 0 });
          res.end();
          return true;
        }
        file = join(candidate, 'index.html');
        try {
          st = await stat(file);
        } catch {
          continue;
        }
      }
      if (!st.isFile()) continue;
      const real = await realPathInside(root, file);
      if (!real) return forbidden(res);
      await sendFile(req, res, real, st);
      return true;
    }
    return false;
  };
}

function forbidden(res: ServerResponse): true {
  res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 9 });
  res.end('Forbidden');
  return true;
}

/**
 * Sends one file (already checked to be inside its root): MIME type, a single
 * byte range, HEAD. `onBytes` hears each chunk handed to the response.
 * The file is opened first and its size read from the open descriptor: a playlist or segment
 * replaced (written to a temp file, then renamed over) between the caller's stat and the read
 * is sent whole as one version, never cut at the other version's length. `_st` (the caller's
 * stat) is not trusted for that reason. Never rejects: errors end the response.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, _st: Stats, onBytes?: (n: number) => void): Promise<void> {
  let fh: FileHandle;
  let st: Stats;
  try {
    fh = await open(file, 'r');
  } catch {
    if (!res.headersSent) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 9 });
      res.end('Not Found');
    }
    return;
  }
  try {
    st = await fh.stat();
  } catch {
    await fh.close().catch(() => {});
    res.destroy();
    return;
  }
  const type = mimeType(file);
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Last-Modified': st.mtime.toUTCString(),
  };
  if (NO_CACHE.has(type)) headers['Cache-Control'] = 'no-cache';
  const range = parseRange(req.headers.range, st.size);
  if (range === 'unsatisfiable') {
    await fh.close().catch(() => {});
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? st.size - 1;
  const length = st.size === 0 ? 0 : end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
  if (req.method === 'HEAD' || length === 0) {
    await fh.close().catch(() => {});
    res.end();
    return;
  }
  const stream = fh.createReadStream({ start, end, autoClose: true });
  stream.on('error', () => res.destroy());
  if (onBytes) stream.on('data', (chunk) => onBytes(chunk.length));
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}
