import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outputStream } from './ingest.js';

test('outputStream: the stream an ingest output publishes, split as FFmpeg splits it', () => {
  assert.deepEqual(outputStream('rtmp://127.0.0.1:1935/live?vhost=v.test/cam'), { vhost: 'v.test', app: 'live', stream: 'cam' });
  assert.deepEqual(outputStream('rtmp://127.0.0.1:1935/live/cam?vhost=v.test'), { vhost: 'v.test', app: 'live', stream: 'cam' });
  assert.deepEqual(outputStream('rtmp://127.0.0.1/a/b/cam'), { vhost: '127.0.0.1', app: 'a/b', stream: 'cam' });
  assert.deepEqual(outputStream('rtmp://h:1936/live/cam?token=1&domain=d'), { vhost: 'd', app: 'live', stream: 'cam' });
  for (const bad of ['rtmp://h/live', 'rtmp://h/', 'http://h/live/cam', 'rtmp:///live/cam', '/live/cam']) assert.equal(outputStream(bad), undefined, bad);
});
