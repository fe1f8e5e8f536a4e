import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-write.js';

test('a write that fails (disk full) leaves neither the file nor its temp behind', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-atomic-'));
  const file = join(dir, 'seg-1.ts');
  // The temp name leads to /dev/full: it opens, and every write fails with ENOSPC.
  symlinkSync('/dev/full', `${file}.tmp`);
  await assert.rejects(writeFileAtomic(file, [Buffer.alloc(188 * 100, 0x47)]), { code: 'ENOSPC' });
  assert.throws(() => lstatSync(`${file}.tmp`), { code: 'ENOENT' }, 'the temp is removed');
  assert.equal(existsSync(file), false);
  // and the next write works as usual
  await writeFileAtomic(file, 'ok');
  assert.ok(existsSync(file));
});
