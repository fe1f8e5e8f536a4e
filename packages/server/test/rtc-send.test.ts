/**
 * The WebRTC send path's one datagram area (protocol/rtc/rtp-out.ts): a packet the kernel took
 * within `RtcUdpMux.sendTo` ('sent') leaves the area for the next one; a send that Node had to
 * queue ('queued') keeps it. Real sockets and werift's SRTP receiver on both paths; the queued
 * one is forced with Node's `--test-udp-no-try-send` (every send goes through libuv's queue, as
 * when the kernel's buffer is full), which a child process needs (it is not a NODE_OPTIONS flag).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeRtcSend } from '../src/protocol/rtc/native-send.js';

const child = fileURLToPath(new URL('./rtc-send-child.js', import.meta.url));

function run(flags: string[], args: string[] = []): { results: Record<string, number>; ok: number; bad: number } {
  return JSON.parse(execFileSync(process.execPath, [...flags, child, ...args], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n').pop()!);
}

test('50 packets in one tick, each sent within the call: one area serves them all, and every packet decrypts', () => {
  const r = run([]);
  assert.equal(r.results.sent, 50, JSON.stringify(r.results));
  assert.deepEqual({ ok: r.ok, bad: r.bad }, { ok: 50, bad: 0 });
});

test('50 packets in one tick, every send queued by Node: no queued datagram is overwritten', () => {
  const r = run(['--test-udp-no-try-send']);
  assert.equal(r.results.queued, 50, JSON.stringify(r.results));
  assert.deepEqual({ ok: r.ok, bad: r.bad }, { ok: 50, bad: 0 });
});

const native = nativeRtcSend();
test('50 packets through the native send batch, across a sequence number wrap: every one sent in a batch and decrypted by werift', { skip: !native.native && process.env.CI !== 'true' ? `native module: ${native.reason}` : false }, () => {
  const r = run([], ['batch']);
  assert.deepEqual(r.results, { batched: 50 });
  assert.deepEqual({ ok: r.ok, bad: r.bad }, { ok: 50, bad: 0 });
});
