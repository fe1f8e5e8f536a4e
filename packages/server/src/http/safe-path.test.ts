import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePathSegments, encodePathSegments, sameHostLocation } from './safe-path.js';

test('redirect locations never leave the host', () => {
  assert.equal(sameHostLocation('/console/?a=b'), '/console/?a=b');
  assert.equal(sameHostLocation('//evil.example/'), '/evil.example/');
  assert.equal(sameHostLocation('/\\evil.example/'), '/evil.example/');
  assert.equal(sameHostLocation('\\\\evil.example'), '/evil.example');
  assert.equal(sameHostLocation('https://evil.example/'), '/https://evil.example/');
  assert.equal(sameHostLocation('/\t/evil.example'), '/%09/evil.example');
  assert.equal(sameHostLocation('/\r\n/x'), '/%0D%0A/x');
  assert.equal(sameHostLocation(''), '/');
  // property: whatever comes in, the result starts with one '/' and is a valid header value
  const chars = ['/', '\\', '\t', '\n', ' ', 'a', '.', ':', '%', '?', '#', '\0', '\x7f'];
  let seed = 7;
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let n = 0; n < 8; n++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += chars[seed % chars.length];
    }
    const loc = sameHostLocation(s);
    assert.ok(loc.startsWith('/') && loc[1] !== '/' && loc[1] !== '\\', JSON.stringify([s, loc]));
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\x00-\x20\x7f]/.test(loc), JSON.stringify(loc));
  }
});

test('a path rebuilt from its checked segments has no empty or encoded-away parts', () => {
  assert.equal(encodePathSegments(decodePathSegments('//evil.example')!), '/evil.example');
  assert.equal(encodePathSegments(decodePathSegments('/live//a%20b/s.m3u8')!), '/live/a%20b/s.m3u8');
  assert.equal(encodePathSegments([]), '/');
});
