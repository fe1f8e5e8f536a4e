import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import { destinationUrl, forwardQuery, isLoop } from './forward.js';

const stream = (vhost: string, param = '') => ({ vhost, app: 'live', stream: 'cam', param });

test("forward destinations as SRS builds them: host[:port] keeps app, stream and param, adds vhost= unless it is the default", () => {
  assert.equal(destinationUrl('127.0.0.1:1936', stream('__defaultVhost__')), 'rtmp://127.0.0.1:1936/live/cam');
  assert.equal(destinationUrl('host2', stream('__defaultVhost__', '?token=x')), 'rtmp://host2:1935/live/cam?token=x');
  assert.equal(destinationUrl('[::1]:19350', stream('v.example')), 'rtmp://[::1]:19350/live/cam?vhost=v.example');
  assert.equal(destinationUrl('h:1', stream('v', '?a=1&vhost=w')), 'rtmp://h:1/live/cam?a=1&vhost=w');
  assert.equal(destinationUrl('rtmp://h/[app]/[stream]_b?vhost=[vhost]', stream('v')), 'rtmp://h/live/cam_b?vhost=v');
  for (const bad of ['h:0', 'h:70000', 'h:1/x', 'a b', '', 'http://h/live/s']) assert.equal(destinationUrl(bad, stream('v')), undefined, bad);
  assert.equal(forwardQuery('__defaultVhost__', ''), '');
  assert.equal(forwardQuery('v', ''), '?vhost=v');
  assert.equal(forwardQuery('v', '?k=1'), '?k=1&vhost=v');
});

test('a forward loop is the same vhost, app and stream on a local address and one of our RTMP ports', () => {
  const { config } = parseConfigText('listen 1935;\nvhost v.example { }\n');
  const src = { vhost: '__defaultVhost__', app: 'live', stream: 'cam' };
  assert.equal(isLoop('rtmp://127.0.0.1:1935/live/cam', src, [1935], config), true);
  assert.equal(isLoop('rtmp://localhost:1935/live/cam?token=1', src, [1935], config), true);
  assert.equal(isLoop('rtmp://127.0.0.1:1936/live/cam', src, [1935], config), false, 'another port');
  assert.equal(isLoop('rtmp://127.0.0.1:1935/live/cam_hd', src, [1935], config), false, 'another stream');
  assert.equal(isLoop('rtmp://127.0.0.1:1935/live/cam?vhost=v.example', src, [1935], config), false, 'another vhost');
  assert.equal(isLoop('rtmp://192.0.2.1:1935/live/cam', src, [1935], config), false, 'another machine');
  const onV = { ...src, vhost: 'v.example' };
  assert.equal(isLoop('rtmp://127.0.0.1:1935/live/cam?vhost=v.example', onV, [1935], config), true);
});
