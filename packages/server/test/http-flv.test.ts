/**
 * HTTP-FLV (and HTTP-TS/AAC) with real clients: FFmpeg publishes over RTMP,
 * FFmpeg/ffprobe and a demuxing Node player read over HTTP.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { basicConf, decodeErrors, ffmpegPublish, ffprobe, kill, sleep, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { playFlv } from './http-players.js';
import { assertResumesAtKeyframes } from './stream-checks.js';

const execFileP = promisify(execFile);
let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  // A short queue so a stalled player is cut down quickly.
  server = await startServer((p) => basicConf(p, 'play { queue_length 3; }'));
  publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { size: '640x360', rate: 25, gop: 25, bitrate: '1500k' });
  await waitFor('stream live', () => server.output().includes('rtmp publish'), 10_000);
  await sleep(1500);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

test('FFmpeg records 5 s of HTTP-FLV: H.264 + AAC, the publisher\'s size', async () => {
  const out = join(tempDir(), 'http.flv');
  await execFileP('ffmpeg', ['-v', 'error', '-i', server.httpUrl('/live/s.flv'), '-t', '5', '-c', 'copy', '-y', out], { timeout: 30_000 });
  const probe = await ffprobe(out);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(v?.codec_name, 'h264');
  assert.equal(v?.width, 640);
  assert.equal(v?.height, 360);
  assert.equal(a?.codec_name, 'aac');
  assert.ok(Number(probe.format.duration) >= 4.5, `duration ${probe.format.duration}`);
});

test('a player starts with header, metadata, sequence headers, then a keyframe', async () => {
  const p = await playFlv(server.httpUrl('/live/s.flv'));
  assert.equal(p.status, 200);
  assert.equal(p.contentType, 'video/x-flv');
  await waitFor('frames', () => p.videoTags > 5, 10_000);
  p.close();
  assert.equal(p.error, undefined);
  assert.equal(p.firstTags[0].type, 18);
  const video = p.firstTags.filter((t) => t.type === 9);
  assert.ok(video[0].sequenceHeader, 'AVC sequence header first');
  assert.ok(video[1].keyframe, 'then a keyframe');
  assert.ok(p.firstTags.some((t) => t.type === 8 && t.sequenceHeader), 'AAC sequence header');
});

test('the [vhost] part, ?vhost= and unknown streams', async () => {
  const p = await playFlv(server.httpUrl('/live/s.flv?vhost=__defaultVhost__&token=x'));
  await waitFor('frames', () => p.videoTags > 2, 10_000);
  p.close();
  // not an http_remux path: plain 404 from the file server
  const r = await fetch(server.httpUrl('/live/s.mkv'));
  assert.equal(r.status, 404);
});

test('50 concurrent HTTP-FLV players all get data', async () => {
  const players = await Promise.all(Array.from({ length: 50 }, () => playFlv(server.httpUrl('/live/s.flv'))));
  await waitFor('every player gets frames', () => players.every((p) => p.videoTags > 10), 15_000);
  assert.ok(players.every((p) => p.status === 200 && !p.error && p.audioTags > 0));
  for (const p of players) p.close();
});

test('an HTTP-FLV reader that stops reading delays nobody, is dropped to keyframes and recovers', async () => {
  // 24 Mbit/s so a stalled reader overflows the kernel's buffers quickly.
  const pub = ffmpegPublish(server.rtmpUrl('/live/fat'), { size: '640x360', gop: 25, audio: false, cbr: '24M' });
  try {
    await waitFor('fat stream live', () => server.output().includes('url=/live/fat'), 10_000);
    const players = await Promise.all(Array.from({ length: 5 }, () => playFlv(server.httpUrl('/live/fat.flv'))));
    const stalled = await playFlv(server.httpUrl('/live/fat.flv'));
    await waitFor('every player gets frames', () => [...players, stalled].every((p) => p.videoTags > 10) && stalled.bytes > 100_000, 15_000);
    stalled.pause();
    const t0 = players.map((p) => p.lastVideoTs);
    const stalledBytes0 = stalled.bytes;
    const normalBytes0 = players[0].bytes;
    // loopback TCP buffers absorb ~10 MB before the server sees backpressure
    await sleep(10_000);
    // ~10 s of media in 10 s for everyone who reads
    players.forEach((p, i) => {
      const advanced = p.lastVideoTs - t0[i];
      assert.ok(advanced > 8500 && advanced < 11_500, `player ${i} advanced ${advanced} ms in 10 s`);
    });
    stalled.resume();
    await sleep(3000);
    // it lost media (its queue dropped to a keyframe) instead of receiving all of it late
    const stalledGot = stalled.bytes - stalledBytes0;
    const normalGot = players[0].bytes - normalBytes0;
    assert.ok(stalledGot < normalGot * 0.9, `stalled got ${stalledGot} bytes vs normal ${normalGot}`);
    // ...and it recovers: back to live within 2 s of the others, still connected, and every
    // byte it got is one valid FLV stream (header, tags, PreviousTagSizes) that resumes at a
    // keyframe after each gap (at 25 fps a jump of more than 100 ms is lost media)
    await waitFor('the stalled player back to live', () => players[0].lastVideoTs - stalled.lastVideoTs < 2000, 10_000);
    assert.equal(stalled.error, undefined, 'the stalled player got a valid FLV stream');
    assert.equal(stalled.closed, false, 'the server kept the slow player');
    const gaps = assertResumesAtKeyframes(stalled.video, 'stalled player', 100);
    assert.ok(gaps > 0, 'the stalled player lost media (a gap) while stalled');
    for (const [i, p] of players.entries()) {
      assert.equal(p.error, undefined, `player ${i} got a valid FLV stream`);
      assert.equal(p.closed, false, `player ${i} still connected`);
      assert.equal(assertResumesAtKeyframes(p.video, `player ${i}`, 100), 0, `player ${i} lost no media`);
    }
    for (const p of [...players, stalled]) p.close();
  } finally {
    kill(pub);
  }
});

test('a player of a stream not published yet waits, then plays', async () => {
  const p = await playFlv(server.httpUrl('/live/later.flv'));
  assert.equal(p.status, 200);
  await sleep(500);
  assert.equal(p.videoTags, 0);
  const pub = ffmpegPublish(server.rtmpUrl('/live/later'), { duration: 4 });
  try {
    await waitFor('frames after publish', () => p.videoTags > 10, 15_000);
    assert.equal(p.error, undefined);
  } finally {
    p.close();
    kill(pub);
  }
});

test('HTTP-TS, AAC and MP3 mounts', async () => {
  const s = await startServer((p) =>
    basicConf(p).replace('[vhost]/[app]/[stream].flv;', '[vhost]/[app]/[stream].ts;') +
    `vhost aac.test { http_remux { enabled on; mount [vhost]/[app]/[stream].aac; } }\n` +
    `vhost mp3.test { http_remux { enabled on; mount [vhost]/[app]/[stream].mp3; } }\n`,
  );
  const pubMp3 = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'flv', s.rtmpUrl('/live/m?vhost=mp3.test')], { stdio: 'ignore' });
  const pub = ffmpegPublish(s.rtmpUrl('/live/t'), { size: '320x240' });
  const pubAac = ffmpegPublish(s.rtmpUrl('/live/a?vhost=aac.test'), { video: false });
  try {
    await waitFor('all live', () => s.output().split('rtmp publish').length > 3, 10_000);
    await sleep(1000);
    const dir = tempDir();
    await execFileP('ffmpeg', ['-v', 'error', '-i', s.httpUrl('/live/t.ts'), '-t', '3', '-c', 'copy', '-y', join(dir, 't.ts')], { timeout: 30_000 });
    const ts = await ffprobe(join(dir, 't.ts'));
    assert.equal(ts.streams.find((x) => x.codec_type === 'video')?.codec_name, 'h264');
    assert.equal(ts.streams.find((x) => x.codec_type === 'video')?.width, 320);
    assert.equal(ts.streams.find((x) => x.codec_type === 'audio')?.codec_name, 'aac');
    const r = await fetch(s.httpUrl('/live/t.ts'));
    assert.equal(r.headers.get('content-type'), 'video/mp2t');
    await r.body?.cancel();
    // the vhost in the path
    await execFileP('ffmpeg', ['-v', 'error', '-i', s.httpUrl('/aac.test/live/a.aac'), '-t', '2', '-c', 'copy', '-y', join(dir, 'a.aac')], { timeout: 30_000 });
    const aac = await ffprobe(join(dir, 'a.aac'));
    assert.equal(aac.streams[0]?.codec_name, 'aac');
    assert.equal(aac.streams[0]?.sample_rate, '44100');
    // ?vhost= picks the vhost (and its mount)
    await execFileP('ffmpeg', ['-v', 'error', '-i', s.httpUrl('/live/m.mp3?vhost=mp3.test'), '-t', '2', '-c', 'copy', '-y', join(dir, 'm.mp3')], { timeout: 30_000 });
    const mp3 = await ffprobe(join(dir, 'm.mp3'));
    assert.equal(mp3.streams[0]?.codec_name, 'mp3');
    assert.equal(await decodeErrors(join(dir, 'm.mp3')), '');
  } finally {
    kill(pubMp3);
    kill(pub);
    kill(pubAac);
    await s.stop();
  }
});

test('the server is still alive', async () => {
  assert.equal(server.proc.exitCode, null);
  const p = await playFlv(server.httpUrl('/live/s.flv'));
  await waitFor('frames', () => p.videoTags > 2, 10_000);
  p.close();
});
