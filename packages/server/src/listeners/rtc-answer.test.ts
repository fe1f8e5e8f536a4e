import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCRtpReceiver, type RTCRtpSender } from 'werift';
import { limitNacks, RetransmitBudget, shedPublisherFeedback } from './rtc-answer.js';
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
  assert.equal(budget.shed, 2);
  assert.equal(budget.refused, 0);
  // other RTCP passes whatever the level
  sender.handleRtcpPacket({ type: 201 } as never);
  assert.equal(handled.length, 2);
});

test("shedPublisherFeedback: a werift receiver records no loss at high (no NACK) and sends no TWCC at critical", () => {
  const receiver = new RTCRtpReceiver({} as never, 'video', 1234);
  const r = receiver as unknown as {
    nack: { _lost: Record<number, number>; addPacket(p: { header: { sequenceNumber: number; ssrc: number } }): void; close(): void };
    dtlsTransport: unknown;
    receiverTWCC?: { extensionInfo: Record<number, unknown>; handleTWCC(tsn: number): void };
    setupTWCC(ssrc: number): void;
  };
  const load = { high: false, critical: false };
  shedPublisherFeedback(receiver, load);
  shedPublisherFeedback(receiver, load); // once per receiver
  const packet = (sequenceNumber: number) => ({ header: { sequenceNumber, ssrc: 42 } });
  // normal: a gap is recorded as lost (werift then NACKs it)
  r.nack.addPacket(packet(100));
  r.nack.addPacket(packet(103));
  assert.deepEqual(Object.keys(r.nack._lost).map(Number), [101, 102]);
  r.nack.close();
  r.nack._lost = {};
  // high: a gap is not recorded, so nothing is NACKed
  load.high = true;
  r.nack.addPacket(packet(110));
  assert.deepEqual(Object.keys(r.nack._lost), []);
  // TWCC: the feedback made after setup is dropped (and forgotten) while critical
  const sent: unknown[] = [];
  Object.defineProperty(receiver, 'twccEnabled', { value: true }); // as when the codec offers transport-cc
  r.dtlsTransport = { sendRtcp: async (packets: unknown[]) => void sent.push(...packets) };
  r.setupTWCC(42);
  const twcc = r.receiverTWCC!;
  load.critical = true;
  for (let tsn = 1; tsn <= 12; tsn++) twcc.handleTWCC(tsn);
  assert.equal(sent.length, 0, 'no TWCC feedback while critical');
  assert.ok(Object.keys(twcc.extensionInfo).length <= 1, 'what it would have reported is forgotten');
  load.critical = false;
  for (let tsn = 13; tsn <= 25; tsn++) twcc.handleTWCC(tsn);
  assert.ok(sent.length > 0, 'TWCC feedback again below critical');
});
