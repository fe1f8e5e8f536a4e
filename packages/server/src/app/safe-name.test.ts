import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { after, test } from 'node:test';
import { checkInsideRoot, joinTemplate, nameProblem, openInsideRoot, PathEscapeError, renderSafePath, streamNamesProblem, templateRoot } from './safe-name.js';
import { sourceKey } from './source.js';

const vars = { vhost: '__defaultVhost__', app: 'live', stream: 's', time: new Date(0), utc: true };

test('names SRS users publish are fine', () => {
  for (const app of ['live', 'live/sub', 'a.b', 'evil.example', '..a', 'x..', 'live%20x', '50%off']) assert.equal(nameProblem('app', app), undefined, app);
  for (const stream of ['livestream', 'cam.1', '...', '.hidden', 'a b', '名前', '%252e%252e', '100%']) assert.equal(nameProblem('stream', stream), undefined, stream);
  for (const vhost of ['__defaultVhost__', 'ossrs.net', '::1', '127.0.0.1']) assert.equal(nameProblem('vhost', vhost), undefined, vhost);
});

test('names that leave a directory, alias a stream or hide characters are refused with a reason', () => {
  const cases: [Parameters<typeof nameProblem>[0], string, RegExp][] = [
    ['stream', '', /empty stream/],
    ['stream', '..', /'\.\.' is not allowed/],
    ['stream', '.', /'\.' is not allowed/],
    ['stream', '../../../../../tmp/elsewhere/victim', /'\.\.' part/],
    ['stream', 'sub/cam', /levels belong to the app/],
    ['stream', 'a\0b', /NUL/],
    ['stream', 'a\nb', /control/],
    ['stream', 'a\x7fb', /control/],
    ['stream', 'a\\b', /backslash/],
    ['stream', '%2e%2e', /percent-encoded/],
    ['stream', '..%2fx', /'\.\.' part \(percent-encoded\)/],
    ['stream', 'a%2fb', /contains '\/' .*percent-encoded/],
    ['stream', 'a%00b', /NUL \(percent-encoded\)/],
    ['stream', 'a%5cb', /backslash \(percent-encoded\)/],
    ['app', '', /empty app/],
    ['app', '/live', /starts with/],
    ['app', 'live/', /empty level/],
    ['app', 'live//sub', /empty level/],
    ['app', 'live/..', /'\.\.' level/],
    ['app', '../live', /'\.\.' level/],
    ['app', 'live/./x', /'\.' level/],
    ['app', 'live%2f..', /percent-encoded/],
    ['app', 'live\\..', /backslash/],
    ['app', 'li\tve', /control/],
    ['vhost', 'a/b', /vhost name contains '\/'/],
    ['vhost', '..', /not allowed/],
  ];
  for (const [kind, name, reason] of cases) assert.match(nameProblem(kind, name) ?? 'accepted', reason, `${kind} ${JSON.stringify(name)}`);
  assert.match(streamNamesProblem({ app: 'live', stream: 'sub/cam' })!, /stream name/);
  assert.match(streamNamesProblem({ vhost: 'v', app: 'live/..', stream: 's' })!, /app name/);
  assert.equal(streamNamesProblem({ app: 'live/sub', stream: 'cam' }), undefined);
});

test('the source key keeps app and stream apart', () => {
  assert.notEqual(sourceKey('v', 'live/sub', 'cam'), sourceKey('v', 'live', 'sub/cam'));
  assert.notEqual(sourceKey('v/live', 'sub', 'cam'), sourceKey('v', 'live/sub', 'cam'));
  assert.equal(sourceKey('v', 'live', 'cam'), sourceKey('v', 'live', 'cam'));
});

test('templates: root is the fixed part; hls_path + template join as SRS does', () => {
  assert.equal(templateRoot('./objs/rec/[app]/[stream].flv'), resolve('objs/rec'));
  assert.equal(templateRoot('./objs/rec-[stream].flv'), resolve('objs'));
  assert.equal(templateRoot('/data/x.flv'), '/data');
  assert.equal(joinTemplate('./objs/nginx/html/', '/[app]/[stream].m3u8'), './objs/nginx/html/[app]/[stream].m3u8');
  const r = renderSafePath(joinTemplate('/hls', '[app]/[stream]-[seq].ts'), { ...vars, app: 'live/sub', stream: 'cam', seq: 3 });
  assert.deepEqual(r, { ok: true, path: '/hls/live/sub/cam-3.ts', root: '/hls' });
});

test('rendered paths: refused when a name is unsafe, never outside the root', () => {
  for (const bad of [{ stream: '../x' }, { app: '' }, { app: '..' }, { stream: 'a\0' }, { vhost: '../../' }]) {
    const r = renderSafePath('/hls/[vhost]/[app]/[stream].m3u8', { ...vars, ...bad });
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.ok(!r.ok && r.reason.length > 0);
  }
  // a template whose own fixed part climbs is the operator's choice; the names still cannot
  assert.equal(renderSafePath('/hls/../other/[stream].ts', vars).ok, true);
  // no file at the root itself
  assert.equal(renderSafePath('/hls/[stream]', { ...vars, stream: 'x' }).ok, true);
});

test('property: whatever names are accepted, the rendered path stays strictly under the root', () => {
  const pieces = ['a', 'b', '.', '..', '/', '\\', '\0', '\n', '%', '%2e', '%2f', '%5c', '%00', '~', ' ', 'é', '[app]', '[stream]'];
  const templates = [
    '/r/[app]/[stream].m3u8',
    '/r/[app]/[stream]-[seq].ts',
    '/r/[vhost]/[app]/[stream].[timestamp].flv',
    '/r/x-[stream]/[app].mp4',
    '/r/[stream]/[app]/[stream]/init.mp4',
  ];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const word = () => Array.from({ length: 1 + rand(6) }, () => pieces[rand(pieces.length)]).join('');
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const v = { ...vars, vhost: rand(4) === 0 ? word() : 'v', app: word(), stream: word(), seq: i };
    const streamOk = nameProblem('stream', v.stream) === undefined;
    if (streamOk) {
      assert.ok(!v.stream.includes('/') && !v.stream.includes('\\') && !v.stream.includes('\0'), JSON.stringify(v.stream));
      assert.ok(v.stream !== '.' && v.stream !== '..');
    }
    for (const t of templates) {
      const r = renderSafePath(t, v);
      if (!r.ok) continue;
      accepted++;
      assert.ok(r.path.startsWith('/r' + sep) && r.path.length > 3, `${t} ${JSON.stringify(v)} -> ${r.path}`);
      assert.equal(resolve(r.path), r.path);
      assert.ok(!r.path.includes('\0'));
    }
  }
  assert.ok(accepted > 100, `only ${accepted} accepted: the property was not exercised`);
});

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tsrs-safe-name-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('symlinks count: a link inside the root that points outside is outside', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'root');
  const outside = join(tmp, 'outside');
  mkdirSync(join(root, 'live'), { recursive: true });
  mkdirSync(outside);
  symlinkSync(outside, join(root, 'out'));
  symlinkSync(join(root, 'live'), join(root, 'alias'));
  symlinkSync(join(tmp, 'nowhere'), join(root, 'live', 'dangling.m3u8'));
  assert.equal(await checkInsideRoot(root, join(root, 'live', 's.m3u8')), undefined);
  assert.equal(await checkInsideRoot(root, join(root, 'new', 'deeper', 's.m3u8')), undefined);
  assert.equal(await checkInsideRoot(root, join(root, 'alias', 's.m3u8')), undefined);
  assert.match((await checkInsideRoot(root, join(root, 'out', 's.m3u8')))!, /outside/);
  assert.match((await checkInsideRoot(root, join(root, 'out', 'a', 'b', 's.m3u8')))!, /outside/);
  assert.match((await checkInsideRoot(root, join(root, 'live', 'dangling.m3u8')))!, /dangling/);
  assert.match((await checkInsideRoot(root, root))!, /outside/);
  // a root that is itself a link (hls_path on another disk) is followed
  const linkedRoot = join(tmp, 'linked-root');
  symlinkSync(root, linkedRoot);
  assert.equal(await checkInsideRoot(linkedRoot, join(linkedRoot, 'live', 's.m3u8')), undefined);
  assert.match((await checkInsideRoot(linkedRoot, join(linkedRoot, 'out', 's.m3u8')))!, /outside/);
  // a root that does not exist yet: checked against its deepest existing parent
  assert.equal(await checkInsideRoot(join(tmp, 'later'), join(tmp, 'later', 'live', 's.m3u8')), undefined);
});

test('names longer than a file name allows are refused with a clear reason', () => {
  assert.equal(nameProblem('stream', 'a'.repeat(200)), undefined);
  assert.equal(nameProblem('stream', 'a'.repeat(201)), 'stream name too long (over 200 bytes)');
  assert.equal(nameProblem('stream', 'é'.repeat(101)), 'stream name too long (over 200 bytes)');
  assert.equal(nameProblem('app', `live/${'b'.repeat(201)}`), 'app name too long (over 200 bytes in one level)');
  assert.equal(nameProblem('app', `${'b'.repeat(150)}/${'c'.repeat(150)}`), undefined);
  assert.equal(nameProblem('vhost', 'v'.repeat(300)), 'vhost name too long (over 200 bytes)');
});

test('openInsideRoot: a directory swapped for a symlink while files are opened never leaves a file outside, and an existing file outside is never emptied', { timeout: 30_000 }, async () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'tsrs-open-race-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'd'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim.flv'), 'decoy');
  // another process swaps root/d for a link to outside and back, as fast as it can
  const swapper = spawn('bash', ['-c', 'cd "$1"; while :; do mv d d.real && ln -s "$2" d && rm d && mv d.real d; done', 'swap', root, outside], { stdio: 'ignore' });
  let opened = 0;
  let refusedAfterOpen = 0;
  try {
    // at least 4 s, and on until an open was caught after the check before it (at most 20 s)
    const start = Date.now();
    for (let i = 0; Date.now() - start < 4000 || (refusedAfterOpen === 0 && Date.now() - start < 20_000); i++) {
      for (const [name, mode] of [[`f${i}.tmp`, 'fresh'], ['victim.flv', 'truncate']] as const) {
        try {
          const fh = await openInsideRoot(root, join(root, 'd', name), mode);
          await fh.close();
          opened++;
        } catch (err) {
          if (!(err instanceof PathEscapeError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          if ((err as Error).message.includes('was opened as')) refusedAfterOpen++;
        }
      }
    }
  } finally {
    swapper.kill('SIGKILL');
    await new Promise((r) => swapper.once('exit', r));
  }
  assert.deepEqual(readdirSync(outside), ['victim.flv'], 'a file was left outside the root');
  assert.equal(readFileSync(join(outside, 'victim.flv'), 'utf8'), 'decoy', 'a file outside the root was emptied');
  assert.ok(opened > 0, 'nothing was ever opened under the root');
  // the race was really run: some opens landed outside after the check before the open passed
  assert.ok(refusedAfterOpen > 0, 'no open was caught by the check after it');
  rmSync(base, { recursive: true, force: true });
});

test('openInsideRoot truncates only a regular file with one link: a FIFO fails at once (no blocked thread), a hard link to a file elsewhere is left alone', { timeout: 10_000 }, async () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'tsrs-open-kinds-')));
  const root = join(base, 'root');
  mkdirSync(root);
  writeFileSync(join(base, 'victim'), 'keep me');
  linkSync(join(base, 'victim'), join(root, 'linked.flv'));
  execFileSync('mkfifo', [join(root, 'pipe.flv')]);
  await assert.rejects(openInsideRoot(root, join(root, 'linked.flv'), 'truncate'), PathEscapeError);
  assert.equal(readFileSync(join(base, 'victim'), 'utf8'), 'keep me');
  await assert.rejects(openInsideRoot(root, join(root, 'pipe.flv'), 'truncate'), (err: NodeJS.ErrnoException) => err instanceof PathEscapeError || err.code === 'ENXIO');
  writeFileSync(join(root, 'old.flv'), 'an older recording');
  const fh = await openInsideRoot(root, join(root, 'old.flv'), 'truncate');
  await fh.write('new');
  await fh.close();
  assert.equal(readFileSync(join(root, 'old.flv'), 'utf8'), 'new');
  await assert.rejects(openInsideRoot(root, join(root, 'old.flv'), 'fresh'), /EEXIST/);
  rmSync(base, { recursive: true, force: true });
});
