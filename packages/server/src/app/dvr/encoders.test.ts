import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../../kernel/packet.js';
import { FRAGMENT_MAX_BYTES, Mp4Encoder } from './encoders.js';

const AVC_HEADER = Buffer.from([
  0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x0d, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8, 0x80,
  0x00, 0x00, 0x01, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80,
]);

function avcFrame(size: number, key: boolean): Buffer {
  const b = Buffer.alloc(size, 0x11);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1;
  b.writeUInt32BE(size - 9, 5);
  b[9] = key ? 0x65 : 0x41;
  return b;
}

test('DVR MP4: with timestamps that never advance, a fragment is cut at FRAGMENT_MAX_BYTES', { timeout: 30_000 }, () => {
  const enc = new Mp4Encoder(0);
  const out: Buffer[] = [];
  const emit = (b: Buffer) => out.push(b);
  enc.begin({ metadata: undefined, videoHeader: new Packet('video', 0, AVC_HEADER, false, true), audioHeader: undefined }, emit);
  assert.equal(out.length, 1, 'the init segment');
  const frame = avcFrame(256 * 1024, false);
  enc.write(new Packet('video', 0, avcFrame(256 * 1024, true), true), emit);
  for (let i = 0; i < 200; i++) enc.write(new Packet('video', 0, frame), emit); // 50 MB at dts 0
  const fragments = out.slice(1);
  assert.ok(fragments.length >= 10, `${fragments.length} fragments`);
  for (const f of fragments) assert.ok(f.length <= FRAGMENT_MAX_BYTES + 512 * 1024, `a fragment of ${f.length} bytes`);
});
