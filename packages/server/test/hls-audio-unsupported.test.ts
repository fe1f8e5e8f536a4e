/**
 * A stream whose audio HLS and MP4 cannot carry (G.711 mu-law here) still gets video-only HLS
 * and DVR MP4, and the log says so for that stream instead of dropping the audio silently.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { basicConf, ffprobe, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) => basicConf(p, 'hls { enabled on; hls_fragment 1; hls_window 5; hls_path ./html; hls_ctx off; } ' +
    'dvr { enabled on; dvr_plan session; dvr_path ./dvr/[app]/[stream].mp4; }'));
});

after(async () => {
  await server.stop();
});

test('G.711 audio: video-only HLS and MP4, and one warning each naming the codec and the stream', async () => {
  const pub = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25',
    '-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1', '-f', 'flv', server.rtmpUrl('/live/ulaw')], { stdio: 'ignore' });
  try {
    const m3u8 = await waitFor('a segment', async () => {
      const r = await fetchBytes(server.httpUrl('/live/ulaw.m3u8'));
      return r.status === 200 && /\.ts/.test(r.body.toString()) ? r.body.toString() : undefined;
    }, 30_000, 250);
    const seg = m3u8.split('\n').find((l) => l.endsWith('.ts'))!;
    const probe = await ffprobe(`${server.dir}/html/live/${seg}`);
    assert.deepEqual(probe.streams.map((s) => s.codec_name), ['h264']);
    const warning = server.output().split('\n').filter((l) => /hls: audio codec \S+ cannot be carried in HLS/.test(l));
    assert.equal(warning.length, 1, server.output());
    assert.match(warning[0], /ulaw/);
    const dvrWarnings = () => server.output().split('\n').filter((l) => /dvr: audio codec \S+ cannot be carried in MP4/.test(l));
    const dvr = await waitFor('the DVR warning', () => (dvrWarnings().length ? dvrWarnings() : undefined), 10_000);
    assert.equal(dvr.length, 1, server.output());
    assert.match(dvr[0], /ulaw/);
  } finally {
    kill(pub);
  }
});
