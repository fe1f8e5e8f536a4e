import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertInsideRoot, openInsideRoot } from '../safe-name.js';

/**
 * Writes a file under a temp name and renames it into place, so a reader
 * (a player fetching the m3u8 or a segment) never sees half a file.
 *
 * With `root`, the path is checked to resolve under it before anything is created, and the
 * temp file once opened (see `openInsideRoot`): PathEscapeError, nothing left outside.
 */
export async function writeFileAtomic(path: string, data: readonly Buffer[] | string, root?: string): Promise<void> {
  if (root !== undefined) await assertInsideRoot(root, path);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await openFresh(tmp, root);
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

/** A new file only, never through a symlink in the last name. */
const FRESH = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Opens a new temp file. Whatever is already at the name (a temp left by a crash, or a
 * symlink planted there) is removed first, never followed: the write lands at the name itself.
 */
async function openFresh(tmp: string, root: string | undefined): Promise<FileHandle> {
  const openTmp = () => (root === undefined ? open(tmp, FRESH, 0o666) : openInsideRoot(root, tmp, 'fresh'));
  try {
    return await openTmp();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(tmp);
    return openTmp();
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
