import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ecmaArray, encodeAmf0 } from './amf0.js';
import { declaredAudio } from './flv-metadata.js';

test('declaredAudio reads the codec, rate and channels an onMetaData declares', () => {
  const body = encodeAmf0('onMetaData', ecmaArray({ audiocodecid: 2, audiosamplerate: 44100, stereo: true, videocodecid: 7 }));
  assert.deepEqual(declaredAudio(body), { codecId: 2, sampleRate: 44100, channels: 2 });
  assert.deepEqual(declaredAudio(encodeAmf0('onMetaData', ecmaArray({ audiocodecid: '.mp3', stereo: false }))), { codecId: 2, sampleRate: undefined, channels: 1 });
  assert.equal(declaredAudio(encodeAmf0('onMetaData', ecmaArray({ videocodecid: 7 }))), undefined);
  assert.equal(declaredAudio(encodeAmf0('onMetaData', ecmaArray({ audiocodecid: 99 }))), undefined);
  assert.equal(declaredAudio(Buffer.from([0x02, 0x00, 0x0a, 0x6f])), undefined, 'truncated: undefined, no throw');
  assert.equal(declaredAudio(undefined), undefined);
});
