import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepH264Mode1 } from './sdp-h264.js';

/** The shape of a Chromium video offer: VP8, H.264 in mode 1 and mode 0, each with RTX. */
const OFFER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 39',
  'a=mid:1',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=rtcp-fb:104 nack pli',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=104',
  'a=rtpmap:39 H264/90000',
  '',
].join('\r\n');

test('H.264 formats other than packetization-mode 1 (and their RTX) leave the offer; the rest stays', () => {
  const out = keepH264Mode1(OFFER);
  assert.match(out, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 96 97 102 103\r$/m);
  for (const pt of ['104', '107', '39']) assert.doesNotMatch(out, new RegExp(`^a=(rtpmap|fmtp|rtcp-fb):${pt} `, 'm'), pt);
  assert.match(out, /^a=fmtp:102 .*packetization-mode=1/m);
  assert.match(out, /^a=fmtp:103 apt=102\r$/m);
  assert.match(out, /^a=rtpmap:111 opus\/48000\/2\r$/m, 'audio untouched');
  assert.ok(out.endsWith('\r\n'));
});

test('an offer with only mode-0 H.264, or none, is left as it is', () => {
  const only0 = OFFER.replace('packetization-mode=1', 'packetization-mode=0');
  assert.equal(keepH264Mode1(only0), only0);
  const vp8 = 'v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 VP8/90000\n';
  assert.equal(keepH264Mode1(vp8), vp8);
});
