import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../log.js';
import { Episode, isResourceError, orOnResourceError } from './resource-errors.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
  return { lines, log: createLogger({ level: 'info', destination }) };
}

test('isResourceError: EMFILE/ENFILE/ENOSPC/ENOMEM/... by code or cause; bugs are not', () => {
  for (const code of ['EMFILE', 'ENFILE', 'ENOSPC', 'EDQUOT', 'ENOMEM', 'ENOBUFS']) assert.ok(isResourceError(errno(code)), code);
  assert.ok(isResourceError(new TypeError('fetch failed', { cause: errno('EMFILE') })));
  for (const e of [errno('ENOENT'), errno('ECONNRESET'), new TypeError('x is undefined'), undefined, null, 'EMFILE']) assert.ok(!isResourceError(e));
});

test('orOnResourceError: the fallback for a resource error, other errors go on', () => {
  assert.equal(orOnResourceError(() => { throw errno('EMFILE'); }, 0), 0);
  assert.equal(orOnResourceError(() => 7, 0), 7);
  assert.throws(() => orOnResourceError(() => { throw new TypeError('bug'); }, 0), TypeError);
});

test('Episode: one line when it starts, one when it is over, whatever the hits in between', { timeout: 10_000 }, async () => {
  const { lines, log } = capture();
  const e = new Episode(log, 'out of something', 150);
  assert.equal(e.hit({ n: 1 }), true);
  for (let i = 0; i < 1000; i++) assert.equal(e.hit(), false);
  await new Promise((r) => setTimeout(r, 100));
  e.hit(); // keeps it going past the first quiet period
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /out of something n=1/);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(lines.length, 2);
  assert.match(lines[1], /out of something: over count=1002/);
  assert.equal(e.active, false);
  assert.equal(e.hit(), true, 'a later hit starts a new episode');
  assert.equal(e.total, 1003);
  e.stop();
});
