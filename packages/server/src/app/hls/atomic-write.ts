import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { assertInsideRoot, withDirInsideRoot } from '../safe-name.js';

/**
 * Writes a file under a temp name and renames it into place, so a reader
 * (a player fetching the m3u8 or a segment) never sees half a file.
 *
 * With `root`, the path is checked to resolve under it before anything is created, and the
 * temp file is written, renamed and (on an error) removed inside its directory as opened and
 * checked (see `withDirInsideRoot`): PathEscapeError, nothing written or removed outside.
 */
export async function writeFileAtomic(path: string, data: readonly Buffer[] | string, root?: string): Promise<void> {
  if (root !== undefined) await assertInsideRoot(root, path);
  await mkdir(dirname(path), { recursive: true });
  if (root === undefined) return writeIn(path, `${path}.tmp`, data);
  // every step (temp file, rename, clean-up) inside the directory as opened and checked
  await withDirInsideRoot(root, dirname(path), (at) => writeIn(at(basename(path)), at(`${basename(path)}.tmp`), data));
}

/** The temp file written whole at `tmp`, then renamed to `path`; no temp file left on an error. */
async function writeIn(path: string, tmp: string, data: readonly Buffer[] | string): Promise<void> {
  const fh = await openFresh(tmp);
  try {
    if (typeof data === 'string') await fh.writeFile(data);
    else await writeAll(fh, data);
  } catch (err) {
    // A full disk must not fill up further with half-written temp files.
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** A new file only, never through a symlink in the last name; a FIFO there never blocks the open. */
const FRESH = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a new temp file. Whatever is already at the name (a temp left by a crash, or a
 * symlink planted there) is removed first, never followed: the write lands at the name itself.
 */
async function openFresh(tmp: string): Promise<FileHandle> {
  try {
    return await open(tmp, FRESH, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(tmp);
    return open(tmp, FRESH, 0o666);
  }
}

/** writev in batches (below IOV_MAX), finishing any short write. */
async function writeAll(fh: FileHandle, buffers: readonly Buffer[]): Promise<void> {
  for (let i = 0; i < buffers.length; i += WRITEV_BATCH) {
    const batch = buffers.slice(i, i + WRITEV_BATCH);
    const want = batch.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(batch);
    if (bytesWritten < want) await fh.writeFile(Buffer.concat(batch).subarray(bytesWritten));
  }
}

const WRITEV_BATCH = 512;

/** Removes a file if it is there. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
