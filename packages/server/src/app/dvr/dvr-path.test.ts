import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { dvrTemplate, renderDvrPath } from './dvr-path.js';

const time = new Date(Date.UTC(2015, 0, 10, 10, 57, 30, 776));
const vars = { vhost: 'ossrs.net', app: 'live', stream: 's', time, utc: true };

test('SRS path variables', () => {
  const { template, format } = dvrTemplate('/data/[vhost]/[app]/[2006]/[01]/[15].[04].[05].[999].flv');
  assert.equal(format, 'flv');
  assert.deepEqual(renderDvrPath(template, vars), { ok: true, path: '/data/ossrs.net/live/2015/01/10.57.30.776.flv', root: '/data' });
  assert.equal(pathOf(renderDvrPath('/r/[stream].[timestamp].flv', vars)), `/r/s.${time.getTime()}.flv`);
});

test('a path without .flv/.mp4 is a directory; .mp4 selects MP4; the API may switch the format', () => {
  assert.deepEqual(dvrTemplate('./objs/dvr'), { template: './objs/dvr/[stream].[timestamp].flv', format: 'flv' });
  assert.deepEqual(dvrTemplate('./objs/dvr/'), { template: './objs/dvr/[stream].[timestamp].flv', format: 'flv' });
  assert.deepEqual(dvrTemplate('./x/[stream].MP4'), { template: './x/[stream].MP4', format: 'mp4' });
  assert.deepEqual(dvrTemplate('./x/[stream].flv', 'mp4'), { template: './x/[stream].mp4', format: 'mp4' });
});

test('names from clients that could leave the recording directory are refused, multi-level apps kept', () => {
  const t = './objs/rec/[app]/[stream].flv';
  for (const bad of [
    { stream: '../../../etc/passwd' },
    { stream: '..' },
    { stream: 'a/b' },
    { stream: 'a\\b' },
    { stream: 'a\0b' },
    { stream: 'a\nb' },
    { stream: '%2e%2e%2fx' },
    { app: '../..' },
    { app: 'live/../..' },
    { app: '/etc' },
    { app: '' },
    { app: 'live//x' },
    { app: 'live%2f..' },
    { vhost: '../x' },
  ]) {
    const r = renderDvrPath(t, { ...vars, ...bad });
    assert.equal(r.ok, false, JSON.stringify(bad));
  }
  assert.equal(pathOf(renderDvrPath(t, { ...vars, app: 'a/b' })), resolve('objs/rec/a/b/s.flv'));
  // [param] is no path variable (as in SRS): it stays as written
  assert.equal(pathOf(renderDvrPath('./objs/rec/[param]/[stream].flv', vars)), resolve('objs/rec/[param]/s.flv'));
});

function pathOf(r: ReturnType<typeof renderDvrPath>): string | undefined {
  return r.ok ? r.path : undefined;
}
