import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOffer } from './rtc.js';

test('checkOffer: ICE credentials of ice-chars, RTP payload types within 7 bits, one m-line per mid (400 / 5012)', () => {
  const good = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ice-ufrag:Fz3a', 'a=ice-pwd:r1Xv0lF2cPq8Yw3nU7tKd9Bz', 'a=fingerprint:sha-256 AA:BB', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:* transport-cc',
    'm=video 9 UDP/TLS/RTP/SAVPF 102 103', 'a=mid:1', 'a=rtpmap:102 H264/90000', 'a=fmtp:103 apt=102',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:2', '',
  ].join('\r\n');
  checkOffer(good);
  const refused = (sdp: string, why: RegExp) =>
    assert.throws(() => checkOffer(sdp), (e: Error & { code?: number }) => why.test(e.message) && e.code === 5012);
  refused(good.replace('a=ice-ufrag:Fz3a', 'a=ice-ufrag:ab:cd'), /ICE ufrag/);
  refused(good.replace('a=ice-ufrag:Fz3a', 'a=ice-ufrag:ab'), /ICE ufrag/);
  refused(good.replace('a=ice-pwd:r1Xv0lF2cPq8Yw3nU7tKd9Bz', 'a=ice-pwd:short'), /ICE pwd/);
  refused(good.replace('a=rtpmap:102 H264', 'a=rtpmap:300 H264'), /payload type/);
  refused(good.replace('SAVPF 102 103', 'SAVPF 102 128'), /payload type/);
  refused(good.replace('a=mid:1', 'a=mid:0'), /a=mid/);
});
