import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import { nodeId, registryUrl } from './cluster-node.js';

const conf = (cluster: string) => parseConfigText(`listen 1935; http_api { enabled on; listen 1999; } vhost __defaultVhost__ { ${cluster} } vhost b { cluster { node_id later; } }`).config;

test('node_id and registry come from the first vhost that sets them', () => {
  const c = conf('cluster { node_id edge-1.eu:2; registry redis://127.0.0.1:6379; }');
  assert.equal(nodeId(c), 'edge-1.eu:2');
  assert.equal(registryUrl(c), 'redis://127.0.0.1:6379');
  assert.equal(nodeId(conf('')), 'later');
});

test('without node_id a node is hostname:api-port; no registry is undefined', () => {
  const c = parseConfigText('listen 1935; http_api { enabled on; listen 1999; } vhost __defaultVhost__ { }').config;
  assert.equal(nodeId(c), `${os.hostname().replace(/[^A-Za-z0-9._@-]/g, '-').slice(0, 59)}:1999`);
  assert.equal(registryUrl(c), undefined);
});

test('a node_id or registry that does not fit is an error', () => {
  assert.throws(() => nodeId(conf('cluster { node_id "a/b"; }')), /node_id/);
  assert.throws(() => nodeId(conf(`cluster { node_id ${'x'.repeat(65)}; }`)), /node_id/);
  assert.throws(() => registryUrl(conf('cluster { registry http://x; }')), /registry/);
});
