import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_EDGE_HOPS, edgeLoop, formatEdgeVia, parseEdgeVia } from './edge-via.js';

test('parseEdgeVia: well-formed ids of a string, bounded; anything else is no chain', () => {
  assert.deepEqual(parseEdgeVia('a-1 b-2'), ['a-1', 'b-2']);
  assert.deepEqual(parseEdgeVia(undefined), []);
  assert.deepEqual(parseEdgeVia(42), []);
  assert.deepEqual(parseEdgeVia('ok ../x bad;id  z'), ['ok', '../x', 'z']);
  assert.deepEqual(parseEdgeVia('x'.repeat(65)), []);
  assert.equal(parseEdgeVia(Array.from({ length: 50 }, (_, i) => `n${i}`).join(' ')).length, MAX_EDGE_HOPS + 1);
  assert.deepEqual(parseEdgeVia('a '.repeat(600)), []);
});

test('edgeLoop: this edge in the chain, or a chain already MAX_EDGE_HOPS long', () => {
  assert.equal(edgeLoop([], 'me'), undefined);
  assert.equal(edgeLoop(['other'], 'me'), undefined);
  assert.match(edgeLoop(['other', 'me'], 'me') ?? '', /edge loop/);
  assert.match(edgeLoop(Array.from({ length: MAX_EDGE_HOPS }, (_, i) => `n${i}`), 'me') ?? '', /too long/);
  assert.equal(formatEdgeVia(['a'], 'me'), 'a me');
});
