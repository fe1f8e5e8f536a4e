/**
 * RTMP origin with real clients: FFmpeg publishes, FFmpeg/rtmpdump/tsrs's client play.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { classifyVideo } from '../src/kernel/flv-tag.js';
import { basicConf, exitOf, ffmpegPublish, ffprobe, frameRate, kill, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';

const execFileP = promisify(execFile);
let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { size: '320x240', rate: 25, gop: 50 });
  // Wait until the stream is live (a player gets a video keyframe).
  await waitFor('stream live', () => server.output().includes('rtmp publish'), 10_000);
  await sleep(1500);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

test('FFmpeg plays what FFmpeg publishes: same codecs, size and frame rate', async () => {
  const out = join(tempDir(), 'played.flv');
  await execFileP('ffmpeg', ['-v', 'error', '-i', server.rtmpUrl('/live/s'), '-t', '3', '-c', 'copy', '-y', out], { timeout: 20_000 });
  const probe = await ffprobe(out, ['-count_frames']);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(v?.codec_name, 'h264');
  assert.equal(v?.width, 320);
  assert.equal(v?.height, 240);
  assert.ok(Math.abs(frameRate(v!) - 25) <= 1, `frame rate ${frameRate(v!)}`);
  assert.equal(a?.codec_name, 'aac');
});

test('rtmpdump plays the stream', async () => {
  const out = join(tempDir(), 'dump.flv');
  // -B: stop after 2 s of media. rtmpdump exits 0 when done, 2 ("incomplete") for a live stream
  // it cut itself; 1 (failure), a signal (timeout) or a missing rtmpdump fail the test.
  const code = await execFileP('rtmpdump', ['-q', '-v', '-r', server.rtmpUrl('/live/s'), '-B', '2', '-o', out], { timeout: 20_000 }).then(
    () => 0,
    (e: NodeJS.ErrnoException & { code?: number | string; signal?: string | null }) => {
      if (e.code === 'ENOENT') throw new Error('rtmpdump is not installed (apt-get install -y rtmpdump)');
      return e.signal ? `signal ${e.signal}` : e.code;
    },
  );
  assert.ok(code === 0 || code === 2, `rtmpdump exit ${String(code)}`);
  const probe = await ffprobe(out, ['-count_frames']);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264');
  assert.ok(Number(video?.nb_read_frames) >= 25, `rtmpdump got ${video?.nb_read_frames} video frames in 2 s of a 25 fps stream`);
  assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
});

test('a late player gets metadata, sequence headers, then a keyframe first', async () => {
  const client = await RtmpClient.connect(server.rtmpUrl('/live/s'), { mode: 'play' });
  const msgs: RtmpMessage[] = [];
  client.on('message', (m: RtmpMessage) => msgs.push(m));
  await waitFor('video frames', () => msgs.filter((m) => m.typeId === MSG.VIDEO).length > 5, 10_000);
  await client.close();
  const video = msgs.filter((m) => m.typeId === MSG.VIDEO);
  const first = classifyVideo(video[0].payload);
  assert.ok(first.sequenceStart, 'first video message is the AVC sequence header');
  const firstFrame = video.find((m) => !classifyVideo(m.payload).sequenceStart)!;
  assert.ok(classifyVideo(firstFrame.payload).keyframe, 'first video frame is a keyframe');
  assert.ok(msgs.findIndex((m) => m.typeId === MSG.AMF0_DATA) < msgs.indexOf(firstFrame), 'metadata comes before frames');
});

test('a second publisher to the same stream is refused', async () => {
  const second = ffmpegPublish(server.rtmpUrl('/live/s'), { duration: 5 });
  const code = await exitOf(second, 15_000);
  assert.notEqual(code, 0, 'second FFmpeg publisher must fail');
  assert.match(server.output(), /busy/);
});

test('a waiting player stays through unpublish and resumes on republish', async () => {
  const client = await RtmpClient.connect(server.rtmpUrl('/live/waiting'), { mode: 'play' });
  let frames = 0;
  client.on('message', (m: RtmpMessage) => {
    if (m.typeId === MSG.VIDEO) frames++;
  });
  await sleep(500);
  assert.equal(frames, 0, 'nothing before the publisher arrives');
  const first = ffmpegPublish(server.rtmpUrl('/live/waiting'), { duration: 2 });
  await waitFor('frames from the first publish', () => frames > 10, 10_000);
  await exitOf(first, 15_000);
  const before = frames;
  await sleep(500);
  const second = ffmpegPublish(server.rtmpUrl('/live/waiting'), { duration: 2 });
  await waitFor('frames after republish', () => frames > before + 10, 10_000);
  await exitOf(second, 15_000);
  await client.close();
});
