import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertInsideRoot, openInsideRoot } from '../safe-name.js';

/** Create or truncate, never through a symlink in the last name. */
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** Buffered bytes past this are written at once rather than at the next tick. */
const HIGH_WATER = 256 * 1024;
/** A recording is never more than this behind the packets (kill -9 loses at most this much). */
export const FLUSH_INTERVAL_MS = 500;
/** writev takes at most IOV_MAX (1024) buffers per call. */
const WRITEV_MAX = 1000;

/**
 * An append-only file written off the packet path: `append` only keeps a
 * reference to the (shared, immutable) buffer; one async chain opens the file,
 * writes batches with writev and closes it. Bytes reach the kernel within
 * FLUSH_INTERVAL_MS, so a crashed process leaves everything but the last
 * half second on disk. Bounded: past `maxPendingBytes` accepted but not yet
 * written (the disk is slower than the publisher), the sink fails with an
 * error instead of holding more.
 *
 * With `root`, the file is only created when its path resolves (symlinks followed) under
 * that directory; otherwise the sink fails at once and writes nothing.
 */
export class FileSink {
  /** bytes accepted so far (the file's size once everything is written) */
  bytes = 0;
  /** the first write error; the file is closed and later data is dropped */
  error: Error | undefined;
  /** bytes on disk so far */
  written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chain: Promise<void>;
  private fh: FileHandle | undefined;
  private readonly timer: NodeJS.Timeout;
  private ended = false;
  /** resolves true once the file is open, false when it could not be created */
  readonly opened: Promise<boolean>;

  constructor(
    readonly path: string,
    private readonly onError: (err: Error) => void,
    /** dvr_max_pending_bytes: 0 = no bound */
    private readonly maxPendingBytes = 0,
    /** the directory the file must resolve under (see safe-name.ts) */
    root?: string,
  ) {
    this.chain = this.run(async () => {
      if (root !== undefined) await assertInsideRoot(root, path);
      await mkdir(dirname(path), { recursive: true });
      this.fh = root !== undefined ? await openInsideRoot(root, path, 'truncate') : await open(path, OPEN_FLAGS, 0o666);
    });
    this.opened = this.chain.then(() => this.fh !== undefined);
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  append(buf: Buffer): void {
    if (this.ended || this.error || buf.length === 0) return;
    if (this.maxPendingBytes > 0 && this.bytes - this.written + buf.length > this.maxPendingBytes) {
      this.fail(new Error(`the disk is behind: ${this.bytes - this.written} bytes not written yet (dvr_max_pending_bytes ${this.maxPendingBytes})`));
      return;
    }
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.bytes += buf.length;
    if (this.pendingBytes >= HIGH_WATER || this.pending.length >= WRITEV_MAX) this.flush();
  }

  /** Queue what is buffered for writing now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.chain = this.run(() => this.writeAll(batch));
  }

  /**
   * Write the rest, then the in-place patches (header fields known only at the end), and close;
   * resolves when the file is complete on disk (or failed).
   */
  end(patches: readonly { offset: number; data: Buffer }[] = []): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      clearInterval(this.timer);
      this.flush();
      this.chain = this.run(async () => {
        for (const p of patches) await this.fh?.write(p.data, 0, p.data.length, p.offset);
      }).then(async () => {
        const fh = this.fh;
        this.fh = undefined;
        await fh?.close().catch(() => undefined);
      });
    }
    return this.chain;
  }

  private run(job: () => Promise<void>): Promise<void> {
    return (this.chain ?? Promise.resolve()).then(async () => {
      if (this.error) return;
      try {
        await job();
      } catch (err) {
        this.fail(err as Error);
      }
    });
  }

  /**
   * Disk full, out of descriptors, the disk too far behind: the recording stops here (the
   * publisher goes on), reported once; what is queued is dropped and the descriptor given back.
   */
  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    clearInterval(this.timer);
    this.pending = [];
    this.pendingBytes = 0;
    const fh = this.fh;
    this.fh = undefined;
    void fh?.close().catch(() => undefined);
    this.onError(err);
  }

  private async writeAll(batch: Buffer[]): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    let bufs = batch;
    while (bufs.length > 0) {
      const { bytesWritten } = await fh.writev(bufs);
      this.written += bytesWritten;
      // a short write: drop what went out and carry on with the rest
      let n = bytesWritten;
      let i = 0;
      while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
      bufs = bufs.slice(i);
      if (n > 0) bufs[0] = bufs[0].subarray(n);
      if (bytesWritten === 0 && bufs.length > 0) throw new Error(`no progress writing ${this.path}`);
    }
  }
}
