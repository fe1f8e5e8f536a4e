import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldBytesBudget, type BytesHolder } from './held-bytes.js';

function holder(name: string, log: string[]): BytesHolder {
  return { evict: (held, total, limit) => log.push(`${name} ${held} ${total} ${limit}`) };
}

test('within the limit nothing is evicted; updates replace a holder\'s bytes', () => {
  let limit = 100;
  const log: string[] = [];
  const b = new HeldBytesBudget(() => limit);
  const [x, y] = [holder('x', log), holder('y', log)];
  b.update(x, 60);
  b.update(y, 40);
  b.update(x, 50);
  assert.equal(b.total, 90);
  b.remove(y);
  assert.equal(b.total, 50);
  limit = 0; // no bound
  b.update(y, 1e9);
  assert.deepEqual(log, []);
  assert.equal(b.evicted, 0);
});

test('past the limit the largest holders go until the sum fits, whoever updated', () => {
  const log: string[] = [];
  const b = new HeldBytesBudget(() => 100);
  const [small, big, bigger] = [holder('small', log), holder('big', log), holder('bigger', log)];
  b.update(small, 10);
  b.update(big, 50);
  b.update(bigger, 70); // 130 > 100: bigger goes
  assert.deepEqual(log, ['bigger 70 130 100']);
  assert.equal(b.total, 60);
  b.update(small, 80); // 130 again: small is the largest now
  assert.deepEqual(log, ['bigger 70 130 100', 'small 80 130 100']);
  assert.equal(b.total, 50);
  assert.equal(b.evicted, 2);
  // an evicted holder that reports again (its last data event) starts from 0
  b.remove(bigger);
  assert.equal(b.total, 50);
});
