import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort, parseHostPort, upstreamParam, upstreamUrl } from './addr.js';

test('parseHostPort: host[:port] and [v6][:port]; anything more is refused', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:19350'), { host: '127.0.0.1', port: 19350 });
  assert.deepEqual(parseHostPort('origin.example'), { host: 'origin.example', port: 1935 });
  assert.deepEqual(parseHostPort('[::1]:1936'), { host: '::1', port: 1936 });
  assert.equal(parseHostPort('127.0.0.1', null), undefined, 'a coworker needs its port');
  for (const bad of ['h:0', 'h:65536', 'h/x:1', 'http://h:1', 'h:1/path', 'h?x=1', 'a b:1', '[zz]:1', '', 'h:1:2']) {
    assert.equal(parseHostPort(bad), undefined, bad);
  }
  assert.equal(formatHostPort({ host: '::1', port: 1 }), '[::1]:1');
});

test('upstreamParam keeps the player query and sets the origin vhost', () => {
  assert.equal(upstreamParam('?token=x&vhost=edge.com', 'origin.com'), '?token=x&vhost=origin.com');
  assert.equal(upstreamParam('?token=x&domain=edge.com', '__defaultVhost__'), '?token=x');
  assert.equal(upstreamParam('', '__defaultVhost__'), '');
  const u = upstreamUrl({ host: '::1', port: 19350 }, 'live', 's', '?token=x');
  assert.deepEqual(u, { host: '::1', port: 19350, app: 'live', stream: 's', tcUrl: 'rtmp://[::1]:19350/live?token=x' });
});
