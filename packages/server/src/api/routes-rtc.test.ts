import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rtcFeature, type RtcSignalling } from './routes-rtc.js';

function rtcListening(ports: number[]): RtcSignalling {
  return {
    publish: () => Promise.reject(new Error('unused')),
    play: () => Promise.reject(new Error('unused')),
    end: () => false,
    addresses: () => ports.map((port) => ({ host: '0.0.0.0', port })),
  };
}

test('features.tsrs.rtc: true only when rtc_server is enabled and its UDP port listens; else a reason', () => {
  assert.deepEqual(rtcFeature(true, rtcListening([8000])), { rtc: true, rtc_reason: '' });
  const off = rtcFeature(false, undefined);
  assert.equal(off.rtc, false);
  assert.match(off.rtc_reason, /rtc_server is not enabled/);
  const notYet = rtcFeature(true, undefined);
  assert.equal(notYet.rtc, false);
  assert.match(notYet.rtc_reason, /restart tsrs/);
  assert.equal(rtcFeature(true, rtcListening([])).rtc, false, 'not listening');
  assert.equal(rtcFeature(false, rtcListening([8000])).rtc, false, 'disabled by a reload');
});
