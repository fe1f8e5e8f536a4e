import assert from 'node:assert/strict';
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
