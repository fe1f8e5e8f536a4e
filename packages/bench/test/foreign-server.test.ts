/**
 * The bench's own RTMP clients against a server that is not tsrs: FFmpeg's RTMP server
 * (`-listen 1`). The published comparisons count on them, so what they send and what they
 * count must hold against an independent implementation:
 * - the publisher (MediaPublisher over RtmpClient) replays a file, looped: FFmpeg receives
 *   every frame, byte for byte (per-packet MD5), with the timestamps the publisher sent,
 *   continuous across loops, and the file FFmpeg writes decodes cleanly;
 * - the light player (RtmpPlayer) plays what FFmpeg serves from a file: it counts every
 *   video and audio message FFmpeg sent and ends on the last video timestamp.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { FlvDemuxer } from '@tsrs/server/dist/src/kernel/flv.js';
import { decodeErrors, exitOf, freePort, kill, sleep, tempDir, waitFor } from '@tsrs/server/dist/test/harness.js';
import { parseFlags } from '../src/args.js';
import { gen } from '../src/gen.js';
import { loadFlv, type Media } from '../src/media.js';
import { MediaPublisher } from '../src/publish.js';
import { RtmpPlayer } from '../src/rtmp-player.js';

const execFileP = promisify(execFile);
const FPS = 25;

let dir: string;
let file: string;
let media: Media;
const procs: ChildProcess[] = [];

before(async () => {
  dir = tempDir('tsrs-bench-foreign-');
  file = join(dir, 'in.flv');
  await gen(parseFlags(['-o', file, '-b', '300k', '-d', '2', '--size', '320x180', '--fps', String(FPS), '--gop', '1']).flags);
  media = loadFlv(file);
});

after(() => procs.forEach(kill));

/** One packet as `ffmpeg -f framemd5` lists it (dts in the stream's time base: ms for FLV). */
interface Md5Packet {
  dts: number;
  size: number;
  md5: string;
}

/** The packets of one stream kind of `input`, copied (not decoded), with their MD5s. */
async function packets(input: string, kind: 'v' | 'a'): Promise<Md5Packet[]> {
  const { stdout } = await execFileP('ffmpeg', ['-nostdin', '-v', 'error', '-i', input, '-map', `0:${kind}`, '-c', 'copy', '-f', 'framemd5', '-'], {
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const f = l.split(',').map((x) => x.trim());
      return { dts: Number(f[1]), size: Number(f[4]), md5: f[5] };
    });
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** FFmpeg listens only once it runs: retry `attempt` until the port answers (a probe connection would be its one client). */
async function untilListening<T>(attempt: () => Promise<T>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!/ECONNREFUSED/.test(String((err as Error).message)) || Date.now() > end) throw err;
      await sleep(100);
    }
  }
}

test('bench publisher -> FFmpeg RTMP server: every frame arrives byte for byte, timestamps as sent and continuous across loops', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const out = join(dir, 'received.flv');
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/s`, '-c', 'copy', '-f', 'flv', '-y', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(ff);
  let ffErr = '';
  ff.stderr!.on('data', (d) => (ffErr += d));

  const pub = await untilListening(() => MediaPublisher.start(`rtmp://127.0.0.1:${port}/live/s`, media, 1000));
  // what the publisher hands its RTMP client, tag by tag
  const sent: { type: number; ts: number; body: Buffer }[] = [];
  const send = pub.client.sendMedia.bind(pub.client);
  pub.client.sendMedia = (type, ts, body) => {
    sent.push({ type, ts, body: Buffer.from(body) });
    return send(type, ts, body);
  };
  // a bit over two loops of the 2 s file
  await waitFor('5 s of media sent', () => pub.lastTs >= 5000, 20_000);
  await pub.stop();
  assert.equal(await exitOf(ff, 20_000), 0, `FFmpeg failed: ${ffErr}`);

  const isAvcHeader = (t: { type: number; body: Buffer }) => t.type === 9 && t.body[1] === 0;
  const isAacHeader = (t: { type: number; body: Buffer }) => t.type === 8 && t.body[1] === 0;
  // FFmpeg's FLV packets: the tag body less its header (5 bytes for AVC, 2 for AAC)
  const sentVideo = sent.filter((t) => t.type === 9 && !isAvcHeader(t)).map((t) => ({ dts: t.ts, md5: md5(t.body.subarray(5)) }));
  const sentAudio = sent.filter((t) => t.type === 8 && !isAacHeader(t)).map((t) => ({ dts: t.ts, md5: md5(t.body.subarray(2)) }));
  assert.ok(sentVideo.length >= 5 * FPS - 5, `${sentVideo.length} video frames sent`);

  const gotVideo = await packets(out, 'v');
  const gotAudio = await packets(out, 'a');
  assert.equal(gotVideo.length, sentVideo.length, 'every video frame arrived');
  assert.equal(gotAudio.length, sentAudio.length, 'every audio frame arrived');
  assert.deepEqual(gotVideo.map((p) => ({ dts: p.dts, md5: p.md5 })), sentVideo, 'video: same bytes, same timestamps');
  assert.deepEqual(gotAudio.map((p) => ({ dts: p.dts, md5: p.md5 })), sentAudio, 'audio: same bytes, same timestamps');

  // independent of the spy: the frames are the file's frames, looped, one frame interval apart throughout
  const source = await packets(file, 'v');
  gotVideo.forEach((p, i) => assert.equal(p.md5, source[i % source.length].md5, `frame ${i} is the file's frame ${i % source.length}`));
  for (let i = 1; i < gotVideo.length; i++) {
    const step = gotVideo[i].dts - gotVideo[i - 1].dts;
    assert.ok(Math.abs(step - 1000 / FPS) <= 1, `video dts step ${step} ms at frame ${i} (loop seams included)`);
  }
  assert.ok(gotVideo.length > source.length * 2, 'the file looped at least twice');
  const sourceAudio = await packets(file, 'a');
  const audioFrame = (sourceAudio.at(-1)!.dts - sourceAudio[0].dts) / (sourceAudio.length - 1);
  for (let i = 1; i < gotAudio.length; i++) {
    const step = gotAudio[i].dts - gotAudio[i - 1].dts;
    assert.ok(step > 0 && step <= 2 * audioFrame + 1, `audio dts step ${step} ms at frame ${i} (loop seams included)`);
  }
  assert.equal(await decodeErrors(out), '', 'what FFmpeg wrote decodes cleanly');
});

test('FFmpeg RTMP server -> bench player: it counts every video and audio message FFmpeg sent', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/s`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(ff);
  let ffErr = '';
  ff.stderr!.on('data', (d) => (ffErr += d));

  const player = await untilListening(
    () =>
      new Promise<RtmpPlayer>((resolve, reject) => {
        let playing = false;
        const p: RtmpPlayer = new RtmpPlayer(`rtmp://127.0.0.1:${port}/live/s`, {
          recordLag() {},
          onPlaying: () => {
            playing = true;
          },
          // FFmpeg closes at the end of the file: the player is done
          onFailed: (_p, err) => (playing ? resolve(p) : reject(err)),
        });
        p.start();
      }),
  );
  assert.equal(await exitOf(ff, 20_000), 0, `FFmpeg failed: ${ffErr}`);
  // FFmpeg's RTMP output sends its FLV muxer's tags one message each: the same muxer, to a file,
  // gives the messages the player must have counted (sequence headers and the AVC end of
  // sequence included)
  const ref = join(dir, 'served.flv');
  await execFileP('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-c', 'copy', '-f', 'flv', '-y', ref], { timeout: 60_000 });
  const tags = new FlvDemuxer().push(readFileSync(ref));
  const video = tags.filter((t) => t.type === 9);
  const audio = tags.filter((t) => t.type === 8);
  const frames = await packets(file, 'v');
  assert.ok(video.length >= frames.length && frames.length >= 2 * FPS - 1, `${video.length} video tags, ${frames.length} frames`);
  assert.equal(player.frames, video.length, 'every video message');
  assert.equal(player.audio, audio.length, 'every audio message');
  assert.equal(player.lastVideoTs, video.at(-1)!.timestamp, 'the last video timestamp');
  assert.equal(player.lastVideoTs, frames.at(-1)!.dts, "the file's last frame");
  const payload = tags.reduce((n, t) => n + t.body.length, 0);
  assert.ok(player.bytes > payload && player.bytes < payload * 1.2 + 10_000, `bytes counted: ${player.bytes} for ${payload} of tag bodies`);
});
