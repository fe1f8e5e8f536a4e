import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from '../hls/atomic-write.js';
import { FileSink } from './file-sink.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tsrs-file-sink-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function sink(path: string, root?: string): Promise<{ opened: boolean; errors: string[] }> {
  const errors: string[] = [];
  const s = new FileSink(path, (err) => errors.push(err.message), 0, root);
  s.append(Buffer.from('FLV data'));
  await s.end();
  return { opened: await s.opened, errors };
}

test('a recording under its root is written', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'ok');
  const r = await sink(join(root, 'live', 's.flv'), root);
  assert.deepEqual(r, { opened: true, errors: [] });
  assert.equal(readFileSync(join(root, 'live', 's.flv'), 'utf8'), 'FLV data');
});

test('a recording whose directory is a symlink out of the root is not created, nor its directories', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'dvr');
  const outside = join(tmp, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  symlinkSync(outside, join(root, 'live'));
  const r = await sink(join(root, 'live', 'deeper', 's.flv'), root);
  assert.equal(r.opened, false);
  assert.match(r.errors.join(), /outside/);
  assert.deepEqual(readdirSync(outside), []);
});

test('a symlink at the file name itself is never followed (DVR file, HLS temp file)', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'at-name');
  mkdirSync(root);
  const victim = join(tmp, 'victim.txt');
  symlinkSync(victim, join(root, 's.flv'));
  const r = await sink(join(root, 's.flv'));
  assert.equal(r.opened, false);
  assert.equal(existsSync(victim), false);
  // dangling link under a root: refused by the root check too
  const checked = await sink(join(root, 's.flv'), root);
  assert.match(checked.errors.join(), /dangling/);
  // the HLS temp name: the link is replaced, its target never created
  symlinkSync(victim, join(root, 's.m3u8.tmp'));
  await writeFileAtomic(join(root, 's.m3u8'), 'playlist');
  assert.equal(existsSync(victim), false);
  assert.equal(readFileSync(join(root, 's.m3u8'), 'utf8'), 'playlist');
});

test('recordings of many streams opening at once in a directory none has created yet are all written', { timeout: 20_000 }, async () => {
  // Each sink walks up the missing path while the others create it: a directory that appears
  // between two checks is not a dangling symlink.
  for (let round = 0; round < 100; round++) {
    const root = join(tmp, `race-${round}`);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => new Promise((r) => setTimeout(r, i % 4)).then(() => sink(join(root, 'live', 'day', `s${i}.flv`), root))),
    );
    for (const [i, r] of results.entries()) assert.deepEqual(r, { opened: true, errors: [] }, `round ${round}, stream ${i}`);
  }
});
