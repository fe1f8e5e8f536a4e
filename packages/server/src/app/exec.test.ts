import assert from 'node:assert/strict';
import { test } from 'node:test';
import { substituteVars } from './exec.js';

test('substituteVars: SRS stream variables, and the date variables of the given time (local or UTC)', () => {
  const t = new Date(Date.UTC(2015, 0, 3, 10, 57, 30, 776));
  const vars = { vhost: 'v', port: 1935, app: 'live', stream: 's', param: '?a=1', tcUrl: 'rtmp://h/live', time: t, utc: true };
  assert.equal(substituteVars('[vhost]/[app]/[stream][param] [port] [tcUrl]', vars), 'v/live/s?a=1 1935 rtmp://h/live');
  assert.equal(substituteVars('./[stream]-[2006]-[01]-[02]_[15].[04].[05]_[999].flv', vars), './s-2015-01-03_10.57.30_776.flv');
  assert.equal(substituteVars('[timestamp]', vars), String(t.getTime()));
  const local = substituteVars('[2006][01][02][15][04][05][999]', { ...vars, utc: false });
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  assert.equal(local, `${t.getFullYear()}${p(t.getMonth() + 1)}${p(t.getDate())}${p(t.getHours())}${p(t.getMinutes())}${p(t.getSeconds())}${p(t.getMilliseconds(), 3)}`);
  // without a time (ingest, transcode outputs) and unknown names: left as written
  assert.equal(substituteVars('[2006] [nope] [engine]', { vhost: 'v', port: 1, app: 'a', stream: 's' }), '[2006] [nope] [engine]');
});
