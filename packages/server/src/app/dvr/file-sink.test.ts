import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSink, FLUSH_INTERVAL_MS } from './file-sink.js';

test('a full disk (ENOSPC) stops the recording once: reported once, the file closed, later data dropped', { timeout: 10_000 }, async () => {
  const errors: Error[] = [];
  // /dev/full opens fine and fails every write with ENOSPC.
  const sink = new FileSink('/dev/full', (err) => errors.push(err));
  sink.append(Buffer.alloc(1000, 1));
  await new Promise((r) => setTimeout(r, FLUSH_INTERVAL_MS * 2));
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
  sink.append(Buffer.alloc(1000, 2));
  sink.flush();
  await sink.end();
  assert.equal(errors.length, 1, 'reported once');
  assert.equal(sink.error, errors[0]);
});

test('FileSink: past dvr_max_pending_bytes not yet on disk it fails instead of holding more', { timeout: 10_000 }, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tsrs-sink-')), 'a.flv');
  const errors: Error[] = [];
  const sink = new FileSink(path, (e) => errors.push(e), 4 * 1024 * 1024);
  const mb = Buffer.alloc(1024 * 1024, 1);
  // synchronously nothing reaches the disk: the fifth megabyte is over the bound
  for (let i = 0; i < 100; i++) sink.append(mb);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /disk is behind.*dvr_max_pending_bytes 4194304/);
  assert.equal(sink.bytes, 4 * 1024 * 1024, 'nothing was accepted past the bound');
  await sink.end();
  // what was queued is dropped with the error: the file (if it was opened at all) stays small
  assert.ok(!existsSync(path) || statSync(path).size <= 4 * 1024 * 1024);
});

test('FileSink: a disk that keeps up is never behind', { timeout: 10_000 }, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tsrs-sink-')), 'b.flv');
  const errors: Error[] = [];
  const sink = new FileSink(path, (e) => errors.push(e), 4 * 1024 * 1024);
  const chunk = Buffer.alloc(512 * 1024, 2);
  for (let i = 0; i < 40; i++) {
    sink.append(chunk);
    await new Promise((r) => setTimeout(r, 20));
  }
  await sink.end();
  assert.equal(errors.length, 0);
  assert.equal(statSync(path).size, 40 * 512 * 1024);
});
