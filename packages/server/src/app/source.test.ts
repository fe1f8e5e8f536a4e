import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAmf0 } from '../kernel/amf0.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from './source.js';

test('a joining player gets onMetaData, not the latest other data message', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const meta = encodeAmf0('onMetaData', { width: 320 });
  s.onMessage('script', 0, meta);
  s.onMessage('script', 40, encodeAmf0('onCuePoint', { name: 'x' }));
  const start = s.startPackets();
  assert.equal(start.length, 1);
  assert.ok(start[0].body.equals(meta));
  s.close();
});

test('sequence headers and the GOP are replayed in order; a new keyframe restarts the GOP', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const avcHeader = Buffer.from([0x17, 0, 0, 0, 0]);
  const aacHeader = Buffer.from([0xaf, 0, 0x12, 0x10]);
  const key = Buffer.from([0x17, 1, 0, 0, 0, 1]);
  const inter = Buffer.from([0x27, 1, 0, 0, 0, 2]);
  s.onMessage('video', 0, avcHeader);
  s.onMessage('audio', 0, aacHeader);
  s.onMessage('video', 0, key);
  s.onMessage('video', 40, inter);
  assert.deepEqual(s.startPackets().map((p) => p.body), [avcHeader, aacHeader, key, inter]);
  s.onMessage('video', 80, key);
  assert.deepEqual(s.startPackets().map((p) => p.body), [avcHeader, aacHeader, key]);
  assert.equal(s.frames, 3);
  s.close();
});
