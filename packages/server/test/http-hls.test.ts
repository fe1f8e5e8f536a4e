/**
 * HLS with real clients: FFmpeg publishes over RTMP; the playlist and every
 * segment are fetched over HTTP and decoded by FFmpeg.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parsePlaylist, type ParsedPlaylist } from '../src/app/hls/playlist.js';
import { basicConf, decodeErrors, exitOf, ffmpegPublish, ffprobe, kill, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

const FRAGMENT = 2;
const WINDOW = 6;
const AOF_RATIO = 2.1;
const AUDIO_WINDOW = 13;
/** SRS cuts at the first keyframe after hls_fragment: one GOP (1 s here) of slack */
const GOP_SECONDS = 1;

let server: RunningServer;

// hls_ctx off: these tests read the playlists as written (viewer sessions: http-hls-ctx.test.ts)
const hls = (extra = '', window = WINDOW) =>
  `hls { enabled on; hls_fragment ${FRAGMENT}; hls_window ${window}; hls_aof_ratio ${AOF_RATIO}; hls_path ./html; hls_dispose 3; hls_ctx off; ${extra} }`;

before(async () => {
  server = await startServer((p) => basicConf(p, hls()) +
      `vhost fmp4.test { ${hls('hls_use_fmp4 on;')} }\n` +
      // audio segments are fragment x aof_ratio long: a window with room for several
      `vhost audio.test { ${hls('', AUDIO_WINDOW)} }\n`);
});

after(async () => {
  await server.stop();
});

async function playlist(path: string, window = WINDOW): Promise<ParsedPlaylist | undefined> {
  const r = await fetchBytes(server.httpUrl(path));
  if (r.status !== 200) return undefined;
  assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const p = parsePlaylist(r.body.toString());
  const total = p.segments.reduce((a, s) => a + s.duration, 0);
  assert.ok(total <= window + 1e-3, `window ${total} s > hls_window ${window}`);
  for (const s of p.segments) assert.ok(s.duration <= p.targetDuration, `segment ${s.uri} ${s.duration} s > target ${p.targetDuration}`);
  return p;
}

async function waitSegments(path: string, n: number, window = WINDOW): Promise<ParsedPlaylist> {
  return waitFor(`${n} segments in ${path}`, async () => {
    const p = await playlist(path, window);
    return p && p.segments.length >= n ? p : undefined;
  }, 30_000, 250);
}

/**
 * Fetch every segment of the playlist over HTTP at once (the window slides while FFmpeg decodes,
 * and expired segments are deleted), then decode each with FFmpeg; returns the probe of the last one.
 */
async function decodeAll(m3u8Path: string, p: ParsedPlaylist) {
  const base = server.httpUrl(m3u8Path.slice(0, m3u8Path.lastIndexOf('/') + 1));
  const dir = tempDir('tsrs-hls-');
  const init = p.map ? (await fetchBytes(base + p.map)).body : undefined;
  const fetched = await Promise.all(p.segments.map(async (s) => ({ s, r: await fetchBytes(base + s.uri) })));
  let probe: Awaited<ReturnType<typeof ffprobe>> | undefined;
  for (const { s, r } of fetched) {
    assert.equal(r.status, 200, `${s.uri} exists`);
    assert.ok(r.body.length > 0);
    const file = join(dir, init ? `${s.uri.replace(/\W/g, '_')}.mp4` : s.uri.replace(/\//g, '_'));
    writeFileSync(file, init ? Buffer.concat([init, r.body]) : r.body);
    assert.equal(await decodeErrors(file), '', `${s.uri} decodes without errors`);
    probe = await ffprobe(file);
  }
  return probe!;
}

describe('HLS', { concurrency: true }, () => {
  test('H.264 + AAC: segments near hls_fragment, all decodable, sliding window, cleanup', async () => {
    const pub = ffmpegPublish(server.rtmpUrl('/live/av'), { gop: 25 });
    try {
      const p = await waitSegments('/live/av.m3u8', 3);
      assert.equal(p.version, 3);
      assert.ok(p.targetDuration >= FRAGMENT);
      for (const s of p.segments) {
        assert.ok(s.duration > FRAGMENT * 0.5 && s.duration <= FRAGMENT + GOP_SECONDS, `duration ${s.duration}`);
      }
      const probe = await decodeAll('/live/av.m3u8', p);
      assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
      assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
      // the window slides: the media sequence advances and the oldest files are removed
      const later = await waitFor('media sequence advances', async () => {
        const q = await playlist('/live/av.m3u8');
        return q && q.mediaSequence > p.mediaSequence + 1 ? q : undefined;
      }, 30_000, 250);
      await sleep(300);
      assert.equal(existsSync(join(server.dir, 'html/live', p.segments[0].uri)), false, 'expired segment deleted');
      assert.ok(existsSync(join(server.dir, 'html/live', later.segments.at(-1)!.uri)));
    } finally {
      kill(pub);
    }
  });

  test('audio only: segments timed from AAC samples, reaped at fragment x aof_ratio', async () => {
    const pub = ffmpegPublish(server.rtmpUrl('/live/ao?vhost=audio.test'), { video: false });
    try {
      const p = await waitSegments('/live/ao.m3u8', 2, AUDIO_WINDOW);
      for (const s of p.segments) {
        assert.ok(Math.abs(s.duration - FRAGMENT * AOF_RATIO) < 0.1, `duration ${s.duration}`);
      }
      const probe = await decodeAll('/live/ao.m3u8', p);
      assert.deepEqual(probe.streams.map((s) => s.codec_name), ['aac']);
    } finally {
      kill(pub);
    }
  });

  test('video only', async () => {
    const pub = ffmpegPublish(server.rtmpUrl('/live/vo'), { audio: false, gop: 25 });
    try {
      const p = await waitSegments('/live/vo.m3u8', 3);
      const probe = await decodeAll('/live/vo.m3u8', p);
      assert.deepEqual(probe.streams.map((s) => s.codec_name), ['h264']);
      assert.equal(probe.streams[0].width, 320);
    } finally {
      kill(pub);
    }
  });

  test('fMP4 (hls_use_fmp4): EXT-X-MAP init + .m4s, version 7, decodable', async () => {
    const pub = ffmpegPublish(server.rtmpUrl('/live/f?vhost=fmp4.test'), { gop: 25 });
    try {
      const p = await waitSegments('/live/f.m3u8', 3);
      assert.equal(p.version, 7);
      assert.ok(p.map, 'EXT-X-MAP');
      assert.ok(p.segments.every((s) => s.uri.endsWith('.m4s')));
      const probe = await decodeAll('/live/f.m3u8', p);
      assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
      assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
    } finally {
      kill(pub);
    }
  });

  test('republish adds EXT-X-DISCONTINUITY; hls_dispose removes everything after the publisher left', async () => {
    const first = ffmpegPublish(server.rtmpUrl('/live/re'), { gop: 25, duration: 5 });
    await exitOf(first);
    const p1 = await waitSegments('/live/re.m3u8', 2);
    const second = ffmpegPublish(server.rtmpUrl('/live/re'), { gop: 25, duration: 5 });
    const p2 = await waitFor('a segment of the second publish', async () => {
      const q = await playlist('/live/re.m3u8');
      return q && q.segments.some((s) => s.discontinuity) ? q : undefined;
    }, 20_000, 250);
    assert.ok(p2.mediaSequence >= p1.mediaSequence);
    await exitOf(second);
    await sleep(500);
    const files = p2.segments.map((s) => join(server.dir, 'html/live', s.uri));
    assert.ok(files.some((f) => existsSync(f)));
    // hls_dispose 3: gone a few seconds after the unpublish
    await waitFor('disposed', () => !existsSync(join(server.dir, 'html/live/re.m3u8')), 10_000);
    assert.ok(files.every((f) => !existsSync(f)));
  });
});
