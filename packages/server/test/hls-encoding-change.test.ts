/**
 * A publisher that changes its encoding mid-publish (new SPS with another resolution, new AAC
 * config with another rate and channel count, one RTMP session): the HLS playlist marks the
 * change with EXT-X-DISCONTINUITY (RFC 8216 4.3.2.3), segments after it carry the new encoding,
 * and fMP4 gets a new init segment (a second EXT-X-MAP).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FlvDemuxer } from '../src/kernel/flv.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG } from '../src/protocol/rtmp/messages.js';
import { basicConf, ffprobe, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';

const execFileP = promisify(execFile);
let server: RunningServer;
const work = tempDir('tsrs-enc-');

async function makeFlv(file: string, size: string, rate: number, channels: number): Promise<void> {
  await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`, '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-g', '25', '-c:a', 'aac', '-ac', String(channels), '-ar', String(rate), '-f', 'flv', file], { timeout: 60_000 });
}

/** Publishes the tags of several FLV files in real time, one after the other, in one session. */
async function publishFiles(url: string, files: string[]): Promise<void> {
  const client = await RtmpClient.connect(url, { mode: 'publish' });
  const start = Date.now();
  let base = 0;
  for (const f of files) {
    let last = 0;
    for (const t of new FlvDemuxer().push(readFileSync(f))) {
      if (t.type !== 8 && t.type !== 9) continue;
      const ts = base + t.timestamp;
      last = Math.max(last, t.timestamp);
      const wait = ts - (Date.now() - start);
      if (wait > 5) await sleep(wait);
      client.sendMedia(t.type === 9 ? MSG.VIDEO : MSG.AUDIO, ts, t.body);
    }
    base += last + 40;
  }
  await client.drained();
  await client.close();
}

before(async () => {
  await makeFlv(join(work, 'a.flv'), '320x240', 44100, 1);
  await makeFlv(join(work, 'b.flv'), '640x360', 48000, 2);
  server = await startServer((p) =>
    basicConf(p, 'hls { enabled on; hls_fragment 1; hls_window 60; hls_path ./objs/hls; hls_ctx off; hls_cleanup off; }') +
      `vhost fmp4.test { hls { enabled on; hls_fragment 1; hls_window 60; hls_path ./objs/fmp4; hls_use_fmp4 on; hls_ctx off; hls_cleanup off; } }`,
  );
  await Promise.all([
    publishFiles(server.rtmpUrl('/live/enc'), [join(work, 'a.flv'), join(work, 'b.flv')]),
    publishFiles(server.rtmpUrl('/live/enc?vhost=fmp4.test'), [join(work, 'a.flv'), join(work, 'b.flv')]),
  ]);
});

after(async () => {
  await server.stop();
});

/** The playlist's segments with the discontinuity and map before each. */
function segments(text: string): { uri: string; discontinuity: boolean; map: string | undefined }[] {
  const out: { uri: string; discontinuity: boolean; map: string | undefined }[] = [];
  let disc = false;
  let map: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') disc = true;
    else if (line.startsWith('#EXT-X-MAP:URI=')) map = /"([^"]+)"/.exec(line)![1];
    else if (line && !line.startsWith('#')) {
      out.push({ uri: line, discontinuity: disc, map });
      disc = false;
    }
  }
  return out;
}

/** The stream's playlist in `dir` once it lists at least 6 segments. */
const playlistOf = (dir: string) =>
  waitFor('playlist', () => {
    try {
      const s = segments(readFileSync(join(dir, 'enc.m3u8'), 'utf8'));
      return s.length >= 6 && s;
    } catch {
      return false;
    }
  }, 20_000);

const video = async (file: string) => (await ffprobe(file)).streams.find((s) => s.codec_type === 'video')!;
const audio = async (file: string) => (await ffprobe(file)).streams.find((s) => s.codec_type === 'audio')!;

test('MPEG-TS HLS: one EXT-X-DISCONTINUITY where the encoding changes, new resolution and audio after it', { timeout: 60_000 }, async () => {
  const dir = join(server.dir, 'objs/hls/live');
  const segs = await playlistOf(dir);
  const changes = segs.flatMap((s, i) => (s.discontinuity ? [i] : []));
  assert.equal(changes.length, 1, JSON.stringify(segs));
  const at = changes[0];
  assert.equal((await video(join(dir, segs[at - 1].uri))).width, 320);
  const after = await video(join(dir, segs[at].uri));
  assert.deepEqual([after.width, after.height], [640, 360]);
  const a = await audio(join(dir, segs[at].uri));
  assert.deepEqual([Number(a.sample_rate), a.channels], [48000, 2]);
  assert.deepEqual([Number((await audio(join(dir, segs[0].uri))).sample_rate), (await audio(join(dir, segs[0].uri))).channels], [44100, 1]);
});

test('fMP4 HLS: a discontinuity and a new EXT-X-MAP (init segment) for the new encoding', { timeout: 60_000 }, async () => {
  const dir = join(server.dir, 'objs/fmp4/live');
  const segs = await playlistOf(dir);
  const at = segs.findIndex((s) => s.discontinuity);
  assert.ok(at > 0, JSON.stringify(segs));
  assert.notEqual(segs[at].map, segs[at - 1].map, 'a new init segment after the change');
  const joined = join(work, 'after.mp4');
  writeFileSync(joined, Buffer.concat([readFileSync(join(dir, segs[at].map!)), readFileSync(join(dir, segs[at].uri))]));
  const v = await video(joined);
  assert.deepEqual([v.width, v.height], [640, 360]);
  const before = join(work, 'before.mp4');
  writeFileSync(before, Buffer.concat([readFileSync(join(dir, segs[0].map!)), readFileSync(join(dir, segs[0].uri))]));
  assert.equal((await video(before)).width, 320);
});
