import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtmpUrl } from './url.js';

test('plain tcUrl and stream', () => {
  assert.deepEqual(parseRtmpUrl('rtmp://ossrs.net/live', 'livestream'), {
    schema: 'rtmp',
    host: 'ossrs.net',
    port: 1935,
    vhost: 'ossrs.net',
    app: 'live',
    stream: 'livestream',
    param: '',
  });
});

test('port, nested app, _definst_, trailing slash, IPv6', () => {
  const u = parseRtmpUrl('rtmp://127.0.0.1:19350/live/sub/', 's');
  assert.equal(u.port, 19350);
  assert.equal(u.app, 'live/sub');
  assert.equal(parseRtmpUrl('rtmp://h/live/_definst_', 's').app, 'live');
  const v6 = parseRtmpUrl('rtmp://[::1]:1936/live', 's');
  assert.deepEqual([v6.host, v6.port, v6.vhost], ['::1', 1936, '::1']);
  assert.equal(parseRtmpUrl('RTMPS://user:pw@h.com/live', 's').schema, 'rtmps');
  assert.equal(parseRtmpUrl('rtmps://user:pw@h.com/live', 's').host, 'h.com');
});

test('vhost and params from the stream name', () => {
  const u = parseRtmpUrl('rtmp://1.2.3.4/live', 'stream?token=x&vhost=v.com');
  assert.deepEqual([u.vhost, u.stream, u.param], ['v.com', 'stream', '?token=x&vhost=v.com']);
});

test('vhost and params on the app', () => {
  const u = parseRtmpUrl('rtmp://1.2.3.4/live?vhost=v.com&k=1', 's');
  assert.deepEqual([u.app, u.vhost, u.param], ['live', 'v.com', '?vhost=v.com&k=1']);
  const both = parseRtmpUrl('rtmp://1.2.3.4/live?vhost=v.com', 's?token=t');
  assert.deepEqual([both.vhost, both.param], ['v.com', '?vhost=v.com&token=t']);
});

test('domain= and the legacy ...vhost... form', () => {
  assert.equal(parseRtmpUrl('rtmp://1.2.3.4/live', 's?domain=d.com').vhost, 'd.com');
  assert.equal(parseRtmpUrl('rtmp://1.2.3.4/live?domain=d.com', 's?vhost=v.com').vhost, 'v.com');
  const legacy = parseRtmpUrl('rtmp://1.2.3.4/live...vhost...v.com', 's');
  assert.deepEqual([legacy.app, legacy.vhost, legacy.param], ['live', 'v.com', '?vhost=v.com']);
});

test('missing or odd tcUrl does not throw', () => {
  assert.equal(parseRtmpUrl('', 's').app, '');
  assert.equal(parseRtmpUrl('live', 's').app, 'live');
  assert.equal(parseRtmpUrl('rtmp://h', '').host, 'h');
  assert.equal(parseRtmpUrl('rtmp://h:notaport/live', 's').host, 'h:notaport');
});
