import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { dvrTemplate, renderDvrPath } from './dvr-path.js';

const time = new Date(Date.UTC(2015, 0, 10, 10, 57, 30, 776));
const vars = { vhost: 'ossrs.net', app: 'live', stream: 's', time, utc: true };

test('SRS path variables', () => {
  const { template, format } = dvrTemplate('/data/[vhost]/[app]/[2006]/[01]/[15].[04].[05].[999].flv');
  assert.equal(format, 'flv');
  assert.equal(renderDvrPath(template, vars), '/data/ossrs.net/live/2015/01/10.57.30.776.flv');
  assert.equal(renderDvrPath('/r/[stream].[timestamp].flv', vars), `/r/s.${time.getTime()}.flv`);
});

test('a path without .flv/.mp4 is a directory; .mp4 selects MP4; the API may switch the format', () => {
  assert.deepEqual(dvrTemplate('./objs/dvr'), { template: './objs/dvr/[stream].[timestamp].flv', format: 'flv' });
  assert.deepEqual(dvrTemplate('./objs/dvr/'), { template: './objs/dvr/[stream].[timestamp].flv', format: 'flv' });
  assert.deepEqual(dvrTemplate('./x/[stream].MP4'), { template: './x/[stream].MP4', format: 'mp4' });
  assert.deepEqual(dvrTemplate('./x/[stream].flv', 'mp4'), { template: './x/[stream].mp4', format: 'mp4' });
});

test('names from clients cannot leave the recording directory', () => {
  const t = './objs/rec/[app]/[stream].flv';
  assert.equal(renderDvrPath(t, { ...vars, stream: '../../../etc/passwd' }), resolve('objs/rec/live/.._.._.._etc_passwd.flv'));
  assert.equal(renderDvrPath(t, { ...vars, app: '../..', stream: 'x' }), resolve('objs/rec/_/_/x.flv'));
  assert.equal(renderDvrPath(t, { ...vars, app: 'a/b' }), resolve('objs/rec/a/b/s.flv'));
});
