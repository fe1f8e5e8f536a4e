import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-write.js';

test('a write that fails leaves neither the file nor its temp behind', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-atomic-'));
  const file = join(dir, 'seg-1.ts');
  // A write that fails once the temp is open (as a full disk would, with ENOSPC).
  const bad = [Buffer.alloc(188, 0x47), 'not a buffer' as unknown as Buffer];
  await assert.rejects(writeFileAtomic(file, bad));
  assert.throws(() => lstatSync(`${file}.tmp`), { code: 'ENOENT' }, 'the temp is removed');
  assert.equal(existsSync(file), false);
  // and the next write works as usual
  await writeFileAtomic(file, 'ok');
  assert.ok(existsSync(file));
});

test('a symlink or a stale file at the temp name is replaced, never written through', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-atomic-'));
  const file = join(dir, 'seg-2.ts');
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'untouched');
  symlinkSync(victim, `${file}.tmp`);
  await writeFileAtomic(file, 'segment');
  assert.equal(readFileSync(victim, 'utf8'), 'untouched');
  assert.equal(readFileSync(file, 'utf8'), 'segment');
  assert.equal(lstatSync(file).isSymbolicLink(), false);
  // /dev/full behind the temp name: not followed either (it would fail every write)
  symlinkSync('/dev/full', `${file}.tmp`);
  await writeFileAtomic(file, 'again');
  assert.equal(readFileSync(file, 'utf8'), 'again');
  writeFileSync(`${file}.tmp`, 'left by a crash');
  await writeFileAtomic(file, 'third');
  assert.equal(readFileSync(file, 'utf8'), 'third');
});
