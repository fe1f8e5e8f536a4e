/**
 * Child processes and reload as SRS users meet them: a reload that adds HLS and a transcode to a
 * running stream starts both without interrupting an RTMP player; `kill -9` of tsrs takes every
 * FFmpeg child with it; SRS's own ingest.conf, ffmpeg.transcode.conf and exec.conf run unchanged
 * (from a work directory that has the paths they name: objs/ffmpeg/bin/ffmpeg, doc/*.flv).
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { alive, processes } from './processes.js';
import { CLI, basicConf, exitOf, ffmpegPublish, ffprobe, freePort, kill, sleep, startServer, tempDir, waitFor } from './harness.js';
import { srsConfDir } from './paths.js';

const TRANSCODE = `transcode live {
    enabled on;
    ffmpeg /usr/bin/ffmpeg;
    engine ld {
      enabled on;
      vcodec libx264; vbitrate 200; vfps 25; vwidth 320; vheight 180; vpreset ultrafast; vthreads 1;
      acodec aac; abitrate 32;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
  }`;

/** An RTMP player that keeps (wall ms, timestamp) of every video message. */
async function rtmpPlayer(url: string): Promise<{ client: RtmpClient; video: { at: number; ts: number }[]; closed: () => boolean }> {
  const client = await RtmpClient.connect(url, { mode: 'play', timeoutMs: 15_000 });
  const video: { at: number; ts: number }[] = [];
  let closed = false;
  client.on('message', (m: RtmpMessage) => {
    if (m.typeId === MSG.VIDEO && video.length < 100_000) video.push({ at: Date.now(), ts: m.timestamp });
  });
  client.on('error', () => undefined);
  client.on('close', () => (closed = true));
  return { client, video, closed: () => closed };
}

/** Processes whose command line has `arg` as one argument (from /proc). */
function pidsWithArg(arg: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(arg)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The largest step between consecutive entries of `xs`. */
const largestStep = (xs: number[]): number => xs.slice(1).reduce((max, x, i) => Math.max(max, x - xs[i]), 0);

test('a reload adds HLS and a transcode to a running stream: both start, the RTMP player has no gap over 1 s', { timeout: 180_000 }, async (t) => {
  const server = await startServer((p) => basicConf(p));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '640x360', gop: 25 });
  t.after(() => kill(pub));
  await waitFor('published', () => server.output().includes('rtmp publish'), 20_000);
  const player = await rtmpPlayer(server.rtmpUrl('/live/cam'));
  t.after(() => player.client.destroy());
  await waitFor('the player plays', () => player.video.length > 50, 20_000);
  const m3u8 = join(server.dir, 'html', 'live', 'cam.m3u8');
  assert.equal(existsSync(m3u8), false);
  assert.equal((await processes(server)).length, 0);

  const reloadedAt = player.video.length;
  writeFileSync(join(server.dir, 'test.conf'), basicConf(server.ports, `hls { enabled on; hls_fragment 1; hls_window 10; hls_path ./html; }\n${TRANSCODE}`));
  server.proc.kill('SIGHUP');
  // HLS: the running stream's playlist, with segments
  await waitFor('HLS segments of the running stream', () => existsSync(m3u8) && (readFileSync(m3u8, 'utf8').match(/#EXTINF/g) ?? []).length >= 2, 30_000, 250);
  // the transcode: its FFmpeg and its output at the engine's size
  const probe = await waitFor('cam_ld plays', () => ffprobe(server.httpUrl('/live/cam_ld.flv')).catch(() => undefined), 60_000, 1000);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(`${video?.width}x${video?.height}`, '320x180');
  assert.equal((await processes(server)).filter((p) => p.name === 'transcode /live/cam ld').length, 1);
  await sleep(2000);

  // the player went on through all of it
  assert.equal(player.closed(), false, 'the RTMP player is still connected');
  assert.equal(pub.exitCode, null, 'the publisher goes on');
  const frames = player.video.filter((v) => v.ts > 0 || v.at > 0);
  assert.ok(frames.length - reloadedAt > 25 * 5, `frames after the reload: ${frames.length - reloadedAt}`);
  const tsGap = largestStep(frames.map((v) => v.ts));
  assert.ok(tsGap <= 1000, `largest gap in the player's video timestamps: ${tsGap} ms`);
  // and in arrival time (loose: a loaded machine may hold a batch back a while)
  const wallGap = largestStep(frames.slice(reloadedAt).map((v) => v.at));
  assert.ok(wallGap <= 2500, `largest wait for the next video message after the reload: ${wallGap} ms`);
});

test('kill -9 of tsrs while FFmpeg children run (ingest, transcode, exec): none survives', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('tsrs-kill9-');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-t', '10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', join(dir, 'in.flv')]);
  const conf = `${TRANSCODE}
  ingest file {
    enabled on;
    input { type file; url ./in.flv; }
    ffmpeg /usr/bin/ffmpeg;
    engine { enabled off; output rtmp://127.0.0.1:[port]/other/file?vhost=[vhost]; }
  }
  exec {
    enabled on;
    publish /usr/bin/ffmpeg -v error -f flv -i [url] -c copy -y ./[app]_[stream].flv;
    publish /usr/bin/ffmpeg -v error -re -f lavfi -i testsrc=size=64x64:rate=5 -f null -;
  }`;
  const server = await startServer((p) => basicConf(p, conf), { dir });
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'));
  t.after(() => kill(pub));
  // The FFmpegs that read from or write to tsrs would end with its sockets anyway; the one that
  // reads lavfi and writes nowhere only ends if something kills it.
  const running = await waitFor('ingest, transcode and exec FFmpegs (the ingest also starts an exec)', async () => {
    const ps = (await processes(server)).filter((p) => p.pid > 0 && p.state === 'running');
    const names = ps.map((p) => p.name);
    const count = (n: string) => names.filter((x) => x === n).length;
    return count('ingest file') === 1 && count('transcode /live/cam ld') === 1 && count('exec /live/cam') === 2 && count('exec /other/file') === 2 && ps;
  }, 40_000);
  for (const p of running) assert.ok(alive(p.pid), `${p.name} runs`);
  t.after(() => {
    for (const p of running) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  });
  await server.stop('SIGKILL');
  await waitFor('every child gone after kill -9', () => running.every((p) => !alive(p.pid)), 10_000);
});

/** Runs one of SRS's configs unchanged from `cwd`, on free ports (SRS_* variables). */
async function runSrsConf(t: { after: (fn: () => void) => void }, file: string, cwd: string): Promise<{ rtmp: number; proc: ChildProcess; out: () => string }> {
  const rtmp = await freePort();
  const env = { ...process.env, SRS_LISTEN: String(rtmp), SRS_SRS_LOG_TANK: 'console', SRS_DAEMON: 'off' };
  const proc = spawn(process.execPath, [CLI, '-c', file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  t.after(() => proc.kill('SIGKILL'));
  await waitFor(`${file} started`, () => / tsrs \S+ started/.test(out) || proc.exitCode !== null, 30_000);
  assert.equal(proc.exitCode, null, out);
  return { rtmp, proc, out: () => out };
}

/** A work dir with SRS's objs/ffmpeg/bin/ffmpeg (a link to the system's FFmpeg). */
function srsWorkDir(): string {
  const cwd = tempDir('tsrs-srswork-');
  mkdirSync(join(cwd, 'objs', 'ffmpeg', 'bin'), { recursive: true });
  symlinkSync('/usr/bin/ffmpeg', join(cwd, 'objs', 'ffmpeg', 'bin', 'ffmpeg'));
  return cwd;
}

/** The config's path, or undefined (skipped visibly) when ../shared/srs-conf is not there. */
function srsConf(t: { skip: (m: string) => void }, name: string): string | undefined {
  const file = join(srsConfDir(), name);
  if (existsSync(file)) return file;
  t.skip(`SKIPPED: ${file} not found`);
  return undefined;
}

test("SRS's ingest.conf: doc/source.200kbps.768x320.flv becomes live/livestream and is restarted when it ends", { timeout: 120_000 }, async (t) => {
  const file = srsConf(t, 'ingest.conf');
  if (!file) return;
  const cwd = srsWorkDir();
  mkdirSync(join(cwd, 'doc'));
  // a short file: the ingest's FFmpeg ends with it and is started again (SRS loops a file this way)
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=768x320:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-b:v', '200k', '-c:a', 'aac', '-f', 'flv', join(cwd, 'doc', 'source.200kbps.768x320.flv')]);
  const srs = await runSrsConf(t, file, cwd);
  const url = `rtmp://127.0.0.1:${srs.rtmp}/live/livestream`;
  const probe = await waitFor('live/livestream plays', () => ffprobe(url).catch(() => undefined), 30_000, 500);
  assert.equal(probe.streams.filter((s) => s.codec_type === 'video').map((s) => `${s.width}x${s.height}`).join(), '768x320');
  assert.ok(probe.streams.some((s) => s.codec_type === 'audio'));
  await waitFor('the ingest restarted after the file ended', () => (srs.out().match(/rtmp publish[^\n]*livestream/g) ?? []).length >= 2, 30_000, 500);
  await waitFor('plays again', () => ffprobe(url).catch(() => undefined), 30_000, 500);
});

test("SRS's ffmpeg.transcode.conf: live/livestream gets live/livestream_ff (engine ff: libx264 main, libfdk_aac as aac)", { timeout: 180_000 }, async (t) => {
  const file = srsConf(t, 'ffmpeg.transcode.conf');
  if (!file) return;
  const srs = await runSrsConf(t, file, srsWorkDir());
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${srs.rtmp}/live/livestream`, { size: '320x180', rate: 15 });
  t.after(() => kill(pub));
  const probe = await waitFor('livestream_ff plays', () => ffprobe(`rtmp://127.0.0.1:${srs.rtmp}/live/livestream_ff`).catch(() => undefined), 90_000, 1000);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(`${video?.codec_name} ${video?.profile} ${video?.width}x${video?.height}`, 'h264 Main 320x180');
  assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
  // livestream_ff is not transcoded again
  await sleep(3000);
  assert.doesNotMatch(srs.out(), /livestream_ff_ff/);
});

test("SRS's exec.conf: the publish runs objs/ffmpeg/bin/ffmpeg, which records [stream].flv; unpublish stops it", { timeout: 120_000 }, async (t) => {
  const file = srsConf(t, 'exec.conf');
  if (!file) return;
  const cwd = srsWorkDir();
  const srs = await runSrsConf(t, file, cwd);
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${srs.rtmp}/live/livestream`);
  t.after(() => kill(pub));
  const flv = join(cwd, 'livestream.flv');
  await waitFor('livestream.flv grows', () => existsSync(flv) && statSync(flv).size > 100_000, 30_000, 500);
  const probe = await ffprobe(flv);
  assert.deepEqual(probe.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
  // the command as SRS substitutes it: [url] and [stream] inside the argument array
  const [recorder] = pidsWithArg('./livestream.flv');
  assert.ok(recorder, 'the exec FFmpeg runs');
  assert.deepEqual(readFileSync(`/proc/${recorder}/cmdline`, 'utf8').split('\0').slice(1, -1),
    ['-f', 'flv', '-i', `rtmp://127.0.0.1:${srs.rtmp}/live/livestream`, '-c', 'copy', '-y', './livestream.flv']);
  kill(pub);
  await exitOf(pub, 10_000).catch(() => undefined);
  await waitFor('the recorder stopped with the unpublish', () => !alive(recorder), 10_000);
  const size = statSync(flv).size;
  await sleep(2000);
  assert.equal(statSync(flv).size, size, 'nothing records after the unpublish');
});
