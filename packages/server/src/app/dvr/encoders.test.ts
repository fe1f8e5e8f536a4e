import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../../kernel/packet.js';
import { FRAGMENT_MAX_BYTES, Mp4Encoder } from './encoders.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../../kernel/test-avc.js';

test('DVR MP4: with timestamps that never advance, a fragment is cut at FRAGMENT_MAX_BYTES', { timeout: 30_000 }, () => {
  const enc = new Mp4Encoder(0);
  const out: Buffer[] = [];
  const emit = (b: Buffer) => out.push(b);
  enc.begin({ metadata: undefined, videoHeader: new Packet('video', 0, TEST_AVC_HEADER, false, true), audioHeader: undefined }, emit);
  assert.equal(out.length, 1, 'the init segment');
  const frame = testAvcFrame(256 * 1024, false);
  enc.write(new Packet('video', 0, testAvcFrame(256 * 1024, true), true), emit);
  for (let i = 0; i < 200; i++) enc.write(new Packet('video', 0, frame), emit); // 50 MB at dts 0
  const fragments = out.slice(1);
  assert.ok(fragments.length >= 10, `${fragments.length} fragments`);
  for (const f of fragments) assert.ok(f.length <= FRAGMENT_MAX_BYTES + 512 * 1024, `a fragment of ${f.length} bytes`);
});
