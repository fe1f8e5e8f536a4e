import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_VHOST, parseConfigText } from './config/index.js';
import { playUrls } from './start-urls.js';

const urls = (vhostBody: string, http: string | null = 'http://h:8080') =>
  playUrls(parseConfigText(`listen 1935; vhost __defaultVhost__ { ${vhostBody} }`, 'u.conf', { env: {} }).config.getVhost(DEFAULT_VHOST), 'rtmp://h:1935', http ?? undefined);

test('no http_remux and no hls: only the RTMP URL (an .flv URL would answer 404)', () => {
  assert.deepEqual(urls(''), ['rtmp://h:1935/live/livestream (RTMP)']);
});

test('the http_remux mount and the hls_m3u8_file give the HTTP URLs', () => {
  assert.deepEqual(urls('http_remux { enabled on; mount [vhost]/[app]/[stream].flv; } hls { enabled on; }'), [
    'rtmp://h:1935/live/livestream (RTMP)',
    'http://h:8080/live/livestream.flv (HTTP-FLV)',
    'http://h:8080/live/livestream.m3u8 (HLS)',
  ]);
  assert.deepEqual(urls('http_remux { enabled on; mount /tv/[app]/[stream].ts; } hls { enabled on; hls_use_fmp4 on; hls_m3u8_file [app]/[stream]/index.m3u8; }'), [
    'rtmp://h:1935/live/livestream (RTMP)',
    'http://h:8080/tv/live/livestream.ts (HTTP-TS)',
    'http://h:8080/live/livestream/index.m3u8 (HLS fMP4)',
  ]);
});

test('without http_server no HTTP URL', () => {
  assert.deepEqual(urls('http_remux { enabled on; mount [vhost]/[app]/[stream].flv; } hls { enabled on; }', null), ['rtmp://h:1935/live/livestream (RTMP)']);
});
