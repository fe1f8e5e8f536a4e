import assert from 'node:assert/strict';
import { test } from 'node:test';
import { masterPlaylist, paramWithoutCtx, tagPlaylist } from './hls-routes.js';

test('masterPlaylist: SRS text, hls_ctx first, the other parameters kept', () => {
  assert.equal(
    masterPlaylist('/live/s.m3u8', 'abcd1234', ''),
    '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n/live/s.m3u8?hls_ctx=abcd1234',
  );
  assert.equal(
    masterPlaylist('/live/s.m3u8', 'abcd1234', '?token=x&y=1'),
    '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n/live/s.m3u8?hls_ctx=abcd1234&token=x&y=1',
  );
});

test('tagPlaylist: segment URIs and EXT-X-MAP get the ctx, tags untouched', () => {
  const text = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI="s/init.mp4"\n#EXTINF:2.000, no desc\ns-1.m4s\n#EXTINF:2.000, no desc\nhttp://cdn/x/s-2.ts?k=v\n';
  assert.equal(
    tagPlaylist(text, 'c1'),
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI="s/init.mp4?hls_ctx=c1"\n#EXTINF:2.000, no desc\ns-1.m4s?hls_ctx=c1\n#EXTINF:2.000, no desc\nhttp://cdn/x/s-2.ts?k=v&hls_ctx=c1\n',
  );
});

test('paramWithoutCtx: the raw query minus hls_ctx', () => {
  assert.equal(paramWithoutCtx(''), '');
  assert.equal(paramWithoutCtx('?hls_ctx=a'), '');
  assert.equal(paramWithoutCtx('?hls_ctx=a&token=x%20y'), '?token=x%20y');
  assert.equal(paramWithoutCtx('?a=1&hls_ctx&b=2'), '?a=1&b=2');
});
