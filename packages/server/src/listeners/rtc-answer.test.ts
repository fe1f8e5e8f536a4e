import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetransmitBudget } from './rtc-answer.js';

test('RetransmitBudget: one second of the rate at once, then the rate; 0 is no bound', () => {
  let rate = 100;
  const b = new RetransmitBudget(() => rate, 0);
  assert.equal(b.take(128, 0), 100, 'a burst of one second');
  assert.equal(b.take(128, 0), 0, 'spent');
  assert.equal(b.take(128, 100), 10, '100 ms later: 10 packets');
  assert.equal(b.take(5, 150), 5);
  assert.equal(b.take(5, 150), 0);
  assert.equal(b.refused, 28 + 128 + 118 + 5);
  // idle for ten seconds: still no more than one second's worth
  assert.equal(b.take(1000, 10_150), 100);
  // a storm of 128 every 10 ms for a second gets about the rate, not 12 800
  let sent = 0;
  for (let t = 10_160; t <= 11_150; t += 10) sent += b.take(128, t);
  assert.ok(sent >= 95 && sent <= 100, `${sent}`);
  rate = 0;
  assert.equal(b.take(500, 11_150), 500, 'no bound');
});
