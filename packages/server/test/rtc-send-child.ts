/**
 * Child of rtc-send.test.ts: 50 SRTP packets sent in one tick (as a fan-out sends them) through
 * RtpOut and a real RtcUdpMux to a UDP socket, decrypted there by werift. Prints one JSON line:
 * { results: { sent?: n, queued?: n, batched?: n }, ok: n, bad: n }. Run with `--test-udp-no-try-send` it
 * makes Node queue every send, which is what a full kernel buffer does. With the argument
 * `batch` the packets go through the mux's native send batch instead (send-batch.ts), their
 * sequence numbers across a wrap (the rollover counter).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { RtpOut } from '../src/protocol/rtc/rtp-out.js';
import { RtcUdpMux, type DatagramResult } from '../src/protocol/rtc/udp-mux.js';
import { asSender, senderStub, srtpSessions } from './rtc-sender-stub.js';

const { sender: srtp, receiver } = srtpSessions();

const rx = createSocket('udp4');
await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
const mux = await RtcUdpMux.listen(0, '127.0.0.1');
const session = mux.openSession('127.0.0.1');
session.peer = ['127.0.0.1', rx.address().port];
const results: Partial<Record<DatagramResult | 'batched', number>> = {};
const batched = process.argv.includes('batch');
const batch = mux.sendBatch;
if (batched && !batch) throw new Error(`no native send batch: ${mux.nativeOffReason}`);
const out = RtpOut.of(
  asSender(senderStub(srtp, 0x1234, 102)),
  (d) => {
    const r = mux.sendTo(session, d);
    results[r] = (results[r] ?? 0) + 1;
    return r;
  },
  batched ? { batch: batch!, session } : undefined,
)!;
const firstSeq = batched ? 65_510 : 1000;
const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(200 + i));
let ok = 0;
let bad = 0;
rx.on('message', (m) => {
  try {
    const p = receiver.decrypt(m);
    if (payloads[(p.readUInt16BE(2) - firstSeq + 65_536) % 65_536]?.equals(p.subarray(12))) ok++;
    else bad++;
  } catch {
    bad++;
  }
});
payloads.forEach((p, i) => out.send(p, (firstSeq + i) % 65_536, i * 90, false));
if (batched) await new Promise((r) => setTimeout(r, 0));
if (batched) results.batched = mux.stats.batched;
const until = Date.now() + 5000;
while (ok + bad < payloads.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify({ results, ok, bad }));
rx.close();
await mux.close();
