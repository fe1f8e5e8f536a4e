import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RTCRtpSender } from 'werift';
import { limitNacks, RetransmitBudget } from './rtc-answer.js';
import { RTP_HISTORY_SIZE } from '../protocol/rtc/rtp-out.js';

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

test('limitNacks: NACKed packets in the history are resent within the budget; none at the high water level', () => {
  const handled: number[][] = [];
  // the last RTP_HISTORY_SIZE packets sent: 1000 ... 1000 + RTP_HISTORY_SIZE - 1
  const rtpCache: { header: { sequenceNumber: number } }[] = [];
  for (let seq = 1000; seq < 1000 + RTP_HISTORY_SIZE; seq++) rtpCache[seq % RTP_HISTORY_SIZE] = { header: { sequenceNumber: seq } };
  const sender = {
    rtpCache,
    handleRtcpPacket: (rtcp: { feedback?: { lost: number[] } }) => handled.push([...(rtcp.feedback?.lost ?? [])]),
  };
  const budget = new RetransmitBudget(() => 0);
  const load = { high: false };
  limitNacks(sender as unknown as RTCRtpSender, budget, load);
  const nack = (lost: number[]) => ({ type: 205, feedback: { count: 1, lost } });
  sender.handleRtcpPacket(nack([1000, 1001, 1002, 1001, 5]) as never);
  assert.deepEqual(handled, [[1000, 1001, 1002]], 'held packets, each once; one no longer held is not asked for');
  load.high = true;
  sender.handleRtcpPacket(nack([1000, 1001]) as never);
  assert.equal(handled.length, 1, 'at the high water level werift never sees the NACK');
  assert.equal(budget.refused, 2);
  // other RTCP passes whatever the level
  sender.handleRtcpPacket({ type: 201 } as never);
  assert.equal(handled.length, 2);
});
