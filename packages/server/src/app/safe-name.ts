/**
 * Names from the network (vhost, app, stream) and the file paths built from them.
 *
 * Two rules, in one place:
 * - `nameProblem`: a name a publisher or player sends is refused (with a reason the client
 *   is told) when it could leave a directory or confuse one stream with another: control
 *   characters or NUL, a backslash, `.`/`..`, `/` in a stream or vhost name, a leading `/`
 *   or an empty level in an app. Percent-encoded forms of those are refused too, so a name
 *   means the same whether or not a later step decodes it. SRS's multi-level apps
 *   (`live/sub`) stay allowed.
 * - `renderSafePath` + `checkInsideRoot`: a file path rendered from a template with those
 *   names (HLS, DVR) must stay under the directory its template fixes (the part before the
 *   first variable, e.g. `hls_path`), lexically and once symlinks are followed. An output
 *   whose path fails writes and deletes nothing and logs why.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { renderPath, type PathVars } from './hls/path-template.js';

export type NameKind = 'vhost' | 'app' | 'stream';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Longest stream or vhost name, or app level, in UTF-8 bytes. A file name is at most 255 bytes
 * (Linux); 200 leaves room for what HLS/DVR templates add (`-[seq].ts`, `.[timestamp].flv`).
 */
export const MAX_NAME_BYTES = 200;

function plainProblem(kind: NameKind, name: string): string | undefined {
  if (name === '') return `empty ${kind} name`;
  const tooLong = (part: string) => Buffer.byteLength(part) > MAX_NAME_BYTES;
  if (kind === 'app' ? name.split('/').some(tooLong) : tooLong(name)) {
    return `${kind} name too long (over ${MAX_NAME_BYTES} bytes${kind === 'app' ? ' in one level' : ''})`;
  }
  if (name.includes('\0')) return `${kind} name contains NUL`;
  if (CONTROL.test(name)) return `${kind} name contains control characters`;
  if (name.includes('\\')) return `${kind} name contains a backslash`;
  if (kind !== 'app') {
    if (name === '.' || name === '..') return `${kind} name '${name}' is not allowed`;
    if (name.split('/').some((part) => part === '..')) return `${kind} name contains a '..' part`;
    if (name.includes('/')) {
      return kind === 'stream'
        ? "stream name contains '/' (levels belong to the app: rtmp://host/live/sub with stream cam)"
        : "vhost name contains '/'";
    }
    return undefined;
  }
  if (name.startsWith('/')) return "app name starts with '/'";
  for (const level of name.split('/')) {
    if (level === '') return "app name has an empty level ('//' or a trailing '/')";
    if (level === '.' || level === '..') return `app name has a '${level}' level`;
  }
  return undefined;
}

/**
 * Why a vhost, app or stream name from a client cannot be used, or undefined when it can.
 * The name is checked as given and, when it has percent escapes, decoded once.
 */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const p = plainProblem(kind, name);
  if (p || !name.includes('%')) return p;
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    return undefined; // not an escape ("50%off"): the name is taken as it is
  }
  if (decoded === name) return undefined;
  const q = plainProblem(kind, decoded);
  return q ? `${q} (percent-encoded)` : undefined;
}

/** The first problem of a stream's names (vhost optional: HTTP paths often have none). */
export function streamNamesProblem(n: { vhost?: string; app: string; stream: string }): string | undefined {
  return (n.vhost !== undefined ? nameProblem('vhost', n.vhost) : undefined) ?? nameProblem('app', n.app) ?? nameProblem('stream', n.stream);
}

/**
 * The directory a path template can write under: the part before its first variable
 * (`./objs/x/[app]/[stream].flv` -> `./objs/x`; `./objs/rec-[stream].flv` -> `./objs`), absolute.
 */
export function templateRoot(template: string): string {
  const i = template.indexOf('[');
  const fixed = i < 0 ? template : template.slice(0, i);
  return resolve(fixed.endsWith('/') ? fixed : dirname(fixed));
}

/** SRS joins hls_path and a file template with '/': a leading '/' in the template stays under hls_path. */
export function joinTemplate(dir: string, template: string): string {
  return `${dir.replace(/\/+$/, '')}/${template.replace(/^\/+/, '')}`;
}

export type SafePath = { ok: true; path: string; root: string } | { ok: false; reason: string };

/**
 * Renders a full path template (absolute or relative to the working directory) with SRS's
 * variables. Refused when a name is unsafe or the rendered path is not strictly under
 * the template's root. The result is absolute and normalized. Symlinks are checked by
 * `checkInsideRoot` at the time of writing.
 */
export function renderSafePath(template: string, vars: PathVars): SafePath {
  const bad = nameProblem('vhost', vars.vhost) ?? nameProblem('app', vars.app) ?? nameProblem('stream', vars.stream);
  if (bad) return { ok: false, reason: bad };
  const root = templateRoot(template);
  const path = resolve(renderPath(template, vars));
  if (!isStrictlyInside(root, path)) return { ok: false, reason: `${path} is outside ${root}` };
  return { ok: true, path, root };
}

function isStrictlyInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep) && path.length > root.length + 1;
}

/**
 * The path with symlinks followed as far as it exists: realpath of the deepest existing
 * ancestor, plus the names below it. Undefined when a name on the way is a symlink that
 * leads nowhere (writing through it would create its target).
 */
export async function resolveExisting(path: string): Promise<string | undefined> {
  let cur = resolve(path);
  const rest: string[] = [];
  let retries = 3;
  for (;;) {
    try {
      const real = await realpath(cur);
      return rest.length > 0 ? join(real, ...rest.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
      const st = await lstat(cur).catch(() => undefined);
      if (st) {
        // There after all: created between the two calls (another stream's mkdir), so
        // resolve it again; a symlink that still leads nowhere is dangling.
        if (!st.isSymbolicLink()) {
          if (retries-- > 0) continue;
          return undefined;
        }
        const again = await realpath(cur).catch(() => undefined);
        if (!again) return undefined;
        return rest.length > 0 ? join(again, ...rest.reverse()) : again;
      }
      const up = dirname(cur);
      if (up === cur) return undefined;
      rest.push(basename(cur));
      cur = up;
    }
  }
}

/**
 * Why `path` must not be written or deleted: it does not resolve (symlinks followed)
 * strictly under `root` resolved the same way. Undefined when it is fine.
 */
export async function checkInsideRoot(root: string, path: string): Promise<string | undefined> {
  const [realRoot, realPath] = await Promise.all([resolveExisting(root), resolveExisting(path)]);
  if (!realRoot) return `root ${root} does not resolve`;
  if (!realPath) return `${path} goes through a dangling symlink`;
  if (!isStrictlyInside(realRoot, realPath)) return `${path} resolves to ${realPath}, outside ${realRoot}`;
  return undefined;
}

/** A path that failed `checkInsideRoot` (thrown inside file jobs so nothing is written). */
export class PathEscapeError extends Error {}

/** Throws PathEscapeError unless `path` resolves under `root`. */
export async function assertInsideRoot(root: string, path: string): Promise<void> {
  const why = await checkInsideRoot(root, path);
  if (why) throw new PathEscapeError(why);
}

/** Create only; write only; never through a symlink in the last name; a FIFO never blocks the open. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_EXISTING = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** the missing /proc/self/fd was warned about */
let noProcWarned = false;

/**
 * Runs `job` on the directory `dir` opened and checked to resolve under `root` (or to be `root`):
 * `at(name)` is a path to `name` inside that opened directory (`/proc/self/fd/N/name`, Linux), so
 * what `job` creates, renames or deletes there stays in it even when a directory on the way is
 * swapped for a symlink meanwhile. PathEscapeError when the directory is elsewhere; the errors of
 * opening it (ENOENT, ENOTDIR, EACCES) as they are. Without a readable /proc/self/fd (not Linux, a
 * chroot without /proc) `at` joins names to `dir`, and the check before the open is the only one
 * (warned once on Linux).
 */
export async function withDirInsideRoot<T>(root: string, dir: string, job: (at: (name: string) => string) => Promise<T>): Promise<T> {
  const [realRoot, realDir] = await Promise.all([resolveExisting(root), resolveExisting(dir)]);
  if (!realRoot) throw new PathEscapeError(`root ${root} does not resolve`);
  if (!realDir || (realDir !== realRoot && !isStrictlyInside(realRoot, realDir))) throw new PathEscapeError(`${dir} resolves to ${realDir ?? 'nowhere'}, outside ${realRoot}`);
  const dh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const opened = await readlink(`/proc/self/fd/${dh.fd}`).catch(() => undefined);
    if (opened === undefined) {
      if (!noProcWarned && process.platform === 'linux') {
        noProcWarned = true;
        process.emitWarning('/proc/self/fd is not readable: HLS and DVR paths are checked before each open only (a directory swapped for a symlink meanwhile is not caught)', { code: 'TSRS_NO_PROC_FD' });
      }
      return await job((name) => join(dir, name));
    }
    if (opened !== realRoot && !isStrictlyInside(realRoot, opened)) throw new PathEscapeError(`${dir} was opened as ${opened}, outside ${realRoot}`);
    return await job((name) => `/proc/self/fd/${dh.fd}/${name}`);
  } finally {
    await dh.close().catch(() => undefined);
  }
}

/**
 * Opens `path` for writing only when the file opened really lies under `root`: its directory is
 * opened and checked first (withDirInsideRoot), and the file opened inside that directory, so a
 * directory on the way swapped for a symlink between the check and the open changes nothing.
 *
 * - `fresh`: the name must not exist (EEXIST is thrown); used for temp files.
 * - `truncate`: an existing file is truncated, only when it is a regular file with one link (a
 *   FIFO, a device or a hard link to a file elsewhere: PathEscapeError, nothing changed).
 */
export async function openInsideRoot(root: string, path: string, mode: 'fresh' | 'truncate'): Promise<FileHandle> {
  return withDirInsideRoot(root, dirname(path), async (at) => {
    const name = at(basename(path));
    let fh: FileHandle;
    try {
      return await open(name, CREATE_NEW, 0o666);
    } catch (err) {
      if (mode === 'fresh' || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      fh = await open(name, OPEN_EXISTING);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new PathEscapeError(`${path} is not a regular file`);
      if (st.nlink !== 1) throw new PathEscapeError(`${path} has ${st.nlink} links (a hard link to a file elsewhere?)`);
      await fh.truncate(0);
      return fh;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  });
}
