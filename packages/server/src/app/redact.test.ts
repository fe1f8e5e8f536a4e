import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets } from './redact.js';

test('redactSecrets: URL passwords (an @ in one included) and secret query values become ***; other text is kept', () => {
  assert.equal(redactSecrets('rtmp://pub:s3cret@10.0.0.1/live/cam'), 'rtmp://pub:***@10.0.0.1/live/cam');
  assert.equal(redactSecrets('redis://:p@ss@word@cache:6379/0'), 'redis://:***@cache:6379/0');
  assert.equal(redactSecrets('rtmp://onlytoken@host/app'), 'rtmp://***@host/app');
  assert.equal(redactSecrets('srt://h:9000?streamid=x&passphrase=abc123'), 'srt://h:9000?streamid=x&passphrase=***');
  assert.equal(redactSecrets('rtmp://h/live/cam?token=t0k&user=bob'), 'rtmp://h/live/cam?token=***&user=bob');
  assert.equal(redactSecrets('[ffmpeg] Input #0, flv, from rtmp://a:b@h:1935/live/s:'), '[ffmpeg] Input #0, flv, from rtmp://a:***@h:1935/live/s:');
  assert.equal(redactSecrets('-c:v libx264 -preset veryfast user@example.com'), '-c:v libx264 -preset veryfast user@example.com');
  assert.equal(redactSecrets('rtmp://h/live/a@b'), 'rtmp://h/live/a@b', 'an @ in the path is not userinfo');
});
