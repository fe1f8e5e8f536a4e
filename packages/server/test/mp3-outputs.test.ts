/**
 * H.264 + MP3 (FLV SoundFormat 2, no sequence header) published by FFmpeg: every container that
 * takes the stream carries the MP3 track: HLS MPEG-TS (stream_type 0x03/0x04), HLS fMP4 and DVR
 * MP4 ('mp4a' object type 0x6B), DVR FLV.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { basicConf, exitOf, ffprobe, startServer, tempDir, waitFor, type RunningServer } from './harness.js';

let server: RunningServer;

const vhosts = `
vhost fmp4.test {
  hls { enabled on; hls_fragment 2; hls_window 20; hls_path ./objs/fmp4; hls_use_fmp4 on; hls_ctx off; }
  dvr { enabled on; dvr_path ./objs/dvr/[stream].flv; }
}`;

before(async () => {
  server = await startServer((p) =>
    basicConf(p, 'hls { enabled on; hls_fragment 2; hls_window 20; hls_path ./objs/hls; hls_ctx off; } dvr { enabled on; dvr_path ./objs/dvr/[stream].mp4; }') + vhosts,
  );
  // both publishes at once: 6 s of H.264 + MP3 each
  const publish = (url: string) =>
    spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'libmp3lame', '-b:a', '96k', '-ar', '44100', '-f', 'flv', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  const a = publish(server.rtmpUrl('/live/mp3'));
  const b = publish(server.rtmpUrl('/live/mp3f?vhost=fmp4.test'));
  assert.equal(await exitOf(a, 60_000), 0);
  assert.equal(await exitOf(b, 60_000), 0);
});

after(async () => {
  await server.stop();
});

const codecs = (streams: { codec_type: string; codec_name: string }[]) =>
  Object.fromEntries(streams.map((s) => [s.codec_type, s.codec_name]));

test('HLS MPEG-TS segments carry the MP3 track', { timeout: 60_000 }, async () => {
  const dir = join(server.dir, 'objs/hls/live');
  const segs = await waitFor('segments', () => {
    const f = readdirSync(dir).filter((n) => n.endsWith('.ts')).sort();
    return f.length >= 2 && f;
  }, 15_000);
  for (const s of segs) assert.deepEqual(codecs((await ffprobe(join(dir, s))).streams), { video: 'h264', audio: 'mp3' }, s);
});

test('HLS fMP4: the init segment declares MP3 and the fragments play it', { timeout: 60_000 }, async () => {
  const dir = join(server.dir, 'objs/fmp4/live');
  const playlist = await waitFor('fMP4 playlist with two segments', () => {
    try {
      const text = readFileSync(join(dir, 'mp3f.m3u8'), 'utf8');
      return (text.match(/\.m4s/g) ?? []).length >= 2 && text;
    } catch {
      return false;
    }
  }, 15_000);
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1];
  const first = playlist.split('\n').find((l) => l.endsWith('.m4s'))!;
  const joined = join(tempDir(), 'joined.mp4');
  writeFileSync(joined, Buffer.concat([readFileSync(join(dir, init)), readFileSync(join(dir, first))]));
  const probe = await ffprobe(joined, ['-count_frames']);
  assert.deepEqual(codecs(probe.streams), { video: 'h264', audio: 'mp3' });
  const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
  assert.ok(Number(audio.nb_read_frames) > 20, `${audio.nb_read_frames} MP3 frames in the first fragment`);
});

test('DVR MP4 and FLV record the MP3 track', { timeout: 60_000 }, async () => {
  const dir = join(server.dir, 'objs/dvr');
  const files = await waitFor('recordings', () => {
    const f = readdirSync(dir);
    return f.includes('mp3.mp4') && f.includes('mp3f.flv') && f;
  }, 15_000);
  for (const f of ['mp3.mp4', 'mp3f.flv']) {
    const probe = await ffprobe(join(dir, f), ['-count_frames']);
    assert.deepEqual(codecs(probe.streams), { video: 'h264', audio: 'mp3' }, f);
    const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
    // 6 s at 44.1 kHz, 1152 samples a frame: ~230 frames
    assert.ok(Number(audio.nb_read_frames) > 150, `${f}: ${audio.nb_read_frames} MP3 frames`);
  }
  void files;
});
