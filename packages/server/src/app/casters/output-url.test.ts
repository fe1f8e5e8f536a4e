import assert from 'node:assert/strict';
import { test } from 'node:test';
import { casterStream } from './output-url.js';

test('a caster output names the stream: [app]/[stream] filled, query kept, multi-level apps', () => {
  assert.deepEqual(casterStream('rtmp://127.0.0.1/[app]/[stream]', { app: 'live', stream: 'cam' }), {
    vhost: '127.0.0.1', app: 'live', stream: 'cam', param: '', tcUrl: 'rtmp://127.0.0.1/live',
  });
  assert.deepEqual(casterStream('rtmp://127.0.0.1:1935/live/livestream?vhost=v1', {}), {
    vhost: 'v1', app: 'live', stream: 'livestream', param: '?vhost=v1', tcUrl: 'rtmp://127.0.0.1:1935/live',
  });
  assert.equal(casterStream('rtmp://127.0.0.1/[app]/[stream]', { app: 'live/sub', stream: 's' })?.app, 'live/sub');
  assert.equal(casterStream('rtmp://127.0.0.1/[stream]', { stream: 's' }), undefined, 'no app');
  assert.equal(casterStream('rtmp://127.0.0.1/[app]/[stream]', { app: 'live', stream: '' }), undefined, 'no stream');
  assert.equal(casterStream('', {}), undefined);
});
