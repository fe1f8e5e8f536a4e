import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mimeType } from './mime.js';
import { parseRange } from './range.js';
import { decodePathSegments, joinInside, realPathInside } from './safe-path.js';
import { compileMount } from './stream-mount.js';

test('mime types players need', () => {
  assert.equal(mimeType('/a/s.m3u8'), 'application/vnd.apple.mpegurl');
  assert.equal(mimeType('s-1.ts'), 'video/mp2t');
  assert.equal(mimeType('s.FLV'), 'video/x-flv');
  assert.equal(mimeType('init.mp4'), 'video/mp4');
  assert.match(mimeType('index.html'), /^text\/html/);
  assert.equal(mimeType('x.unknown'), 'application/octet-stream');
});

test('ranges: single, open, suffix, unsatisfiable, ignored', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=95-200', 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange(undefined, 100), undefined);
});

test('path segments: traversal and hidden separators are refused', () => {
  assert.deepEqual(decodePathSegments('/live/s.m3u8'), ['live', 's.m3u8']);
  assert.deepEqual(decodePathSegments('/a%20b/c'), ['a b', 'c']);
  for (const bad of ['/../etc/passwd', '/a/%2e%2e/b', '/a/%2E%2E/b', '/a%2fb', '/a%5cb', '/a\\..\\b', '/a%00b', '/%zz', 'x', '/./a']) {
    assert.equal(decodePathSegments(bad), undefined, bad);
  }
  assert.equal(joinInside('/srv/html', ['a', 'b']), '/srv/html/a/b');
});

test('symlinks out of the root are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-safe-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  writeFileSync(join(dir, 'secret'), 'x');
  writeFileSync(join(root, 'ok'), 'y');
  symlinkSync(join(dir, 'secret'), join(root, 'link'));
  assert.equal(await realPathInside(root, join(root, 'link')), undefined);
  assert.ok(await realPathInside(root, join(root, 'ok')));
  assert.equal(await realPathInside(root, join(root, 'missing')), undefined);
});

test('mounts: optional vhost, multi-segment app, format from the suffix', () => {
  const m = compileMount('[vhost]/[app]/[stream].flv')!;
  const vhosts = new Set(['v.net']);
  const isVhost = (n: string) => vhosts.has(n);
  assert.deepEqual(m.match('/live/s.flv', isVhost), { vhost: undefined, app: 'live', stream: 's', format: 'flv' });
  assert.deepEqual(m.match('/v.net/live/s.flv', isVhost), { vhost: 'v.net', app: 'live', stream: 's', format: 'flv' });
  assert.deepEqual(m.match('/a/b/s.flv', isVhost), { vhost: undefined, app: 'a/b', stream: 's', format: 'flv' });
  assert.equal(m.match('/live/s.ts', isVhost), undefined);
  assert.equal(m.match('/s.flv', isVhost), undefined);
  const ts = compileMount('/[app]/[stream].ts')!;
  assert.equal(ts.format, 'ts');
  assert.deepEqual(ts.match('/live/s.ts', isVhost), { vhost: undefined, app: 'live', stream: 's', format: 'ts' });
  assert.equal(compileMount('[app]/[stream].mkv'), undefined);
  assert.equal(compileMount('[vhost]/[app]/[stream].mp3')!.format, 'mp3');
});
