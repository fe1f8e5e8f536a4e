/**
 * DVR by config, with FFmpeg and ffprobe: the session plan makes one FLV per publish (both
 * streams, the publish's length), the segment plan cuts files at dvr_duration on keyframes
 * (each decoded, and checked frame by frame against the publisher's frame numbers at the cuts),
 * a .mp4 dvr_path makes fragmented MP4, and on_dvr reaches a hook server for each file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { basicConf, decodeErrors, exitOf, ffmpegPublish, ffprobe, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, startHookServer, type HookServer } from './api-helpers.js';

interface Hook {
  action: string;
  file: string;
  stream: string;
  cwd: string;
}

let hookServer: HookServer;
let hookUrl = '';
/** the on_dvr bodies received */
const hooks = (): Hook[] => hookServer.calls.map((c) => c.body as unknown as Hook);
const servers: RunningServer[] = [];

before(async () => {
  hookServer = await startHookServer();
  hookUrl = `${hookServer.url}/dvr`;
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  hookServer.close();
});

async function dvrServer(dvr: string): Promise<RunningServer> {
  const s = await startServer((p) => basicConf(p, `dvr { enabled on; ${dvr} } http_hooks { enabled on; on_dvr ${hookUrl}; }`));
  servers.push(s);
  return s;
}

/** Files under dir (recursively), sorted. */
function filesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesIn(p));
    else out.push(p);
  }
  return out.sort();
}

const execFileP = promisify(execFile);

const kinds = (streams: { codec_type: string }[]) => streams.map((s) => s.codec_type).sort();

/** 25 fps */
const FRAME_S = 0.04;
const FRAME_CODE_CYCLE = 50;
/**
 * Output options that paint each frame's number (mod 50) into a 32x32 block at the top left as
 * luma 16 + 4n, which H.264 keeps to within a step: the frames of a recording name their place
 * in the publisher's timeline, whatever timestamps the file gives them.
 */
const FRAME_CODE = ['-vf', `format=yuv420p,geq=lum='if(lt(X,32)*lt(Y,32),16+mod(N,${FRAME_CODE_CYCLE})*4,lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'`, '-qp', '12'];

/** Decodes every video frame of `file` (none dropped or duplicated) and reads its number back. */
async function frameNumbers(file: string): Promise<number[]> {
  const { stdout } = await execFileP('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', '0:v', '-fps_mode', 'passthrough',
    '-vf', 'crop=16:16:8:8,extractplanes=y,scale=1:1:flags=area', '-f', 'rawvideo', '-'], { encoding: 'buffer', timeout: 60_000 });
  return [...stdout].map((luma) => {
    const n = (luma - 16) / 4;
    assert.ok(Math.abs(n - Math.round(n)) < 0.3 && n > -0.3 && n < FRAME_CODE_CYCLE - 0.7, `${file}: luma ${luma} is no frame number`);
    return Math.round(n);
  });
}

describe('dvr plans', { concurrency: true }, () => {
  test('session plan: one FLV of the publish, both streams, on_dvr with the file', async () => {
    const server = await dvrServer('dvr_plan session; dvr_path ./objs/rec/[app]/[stream].[timestamp].flv;');
    const pub = ffmpegPublish(server.rtmpUrl('/live/session'), { duration: 10 });
    assert.equal(await exitOf(pub, 30_000), 0);
    const hook = await waitFor('on_dvr', () => hooks().find((h) => h.stream === 'session'), 10_000);
    assert.equal(hook.action, 'on_dvr');
    const files = filesIn(join(server.dir, 'objs/rec/live'));
    assert.equal(files.length, 1, files.join());
    assert.match(files[0], /\/session\.\d{13}\.flv$/);
    // as SRS sends it: the path in the form dvr_path was written, relative to cwd
    assert.match(hook.file, /^\.\/objs\/rec\/live\/session\.\d{13}\.flv$/);
    assert.equal(resolve(hook.cwd, hook.file), files[0]);
    const info = await ffprobe(files[0]);
    assert.deepEqual(kinds(info.streams), ['audio', 'video']);
    const duration = Number(info.format.duration);
    assert.ok(Math.abs(duration - 10) <= 1.5, `duration ${duration}`);
    assert.equal(await decodeErrors(files[0]), '');
    // the recording is booked, closed and complete
    const rec = await waitFor('row', async () => {
      const r = (await api<{ recordings: { path: string; complete: boolean; end: number | null; duration_ms: number; size: number }[] }>(server, '/api/v1/recordings?stream=session')).json.recordings;
      return r.length === 1 && r[0].end !== null && r[0];
    });
    assert.equal(rec.path, files[0]);
    assert.equal(rec.complete, true);
    assert.equal(rec.size, statSync(files[0]).size);
    assert.ok(Math.abs(rec.duration_ms - 10_000) < 1500, `row duration ${rec.duration_ms}`);
  });

  test('segment plan: dvr_duration 3 cuts files on keyframes, each from 0 and decodable, none overlapping or losing a frame', async () => {
    const server = await dvrServer('dvr_plan segment; dvr_duration 3; dvr_wait_keyframe on; dvr_path ./objs/seg;');
    // GOP of 1.2 s: a keyframe 3.6 s into each file, none at 3 s, so a cut that did not wait for
    // one would start a file mid-GOP; each frame carries its number (see FRAME_CODE)
    const pub = ffmpegPublish(server.rtmpUrl('/live/seg'), { duration: 10, gop: 30, videoArgs: FRAME_CODE });
    assert.equal(await exitOf(pub, 30_000), 0);
    // SRS's rule: a dvr_path without .flv/.mp4 is a directory (+ /[stream].[timestamp].flv)
    const files = await waitFor('files', () => {
      const f = filesIn(join(server.dir, 'objs/seg'));
      return hooks().filter((h) => h.stream === 'seg').length === f.length && f.length >= 3 && f;
    }, 10_000);
    let total = 0;
    let frames = 0;
    let previousLast: number | undefined;
    for (const [i, f] of files.entries()) {
      assert.match(f, /\/seg\.\d{13}\.flv$/);
      const info = await ffprobe(f, ['-count_frames']);
      assert.deepEqual(kinds(info.streams), ['audio', 'video'], f);
      const d = Number(info.format.duration);
      total += d;
      frames += Number(info.streams.find((s) => s.codec_type === 'video')!.nb_read_frames);
      // each file starts at 0 and its metadata says its own length (not the publisher's)
      assert.ok(d <= 4.2 && (d >= 2.5 || i === files.length - 1), `${f}: ${d} s`);
      // every video packet: the first at 0 and a keyframe, then one frame interval apart
      const packets = (await ffprobe(f, ['-show_entries', 'packet=pts_time,flags', '-select_streams', 'v'])) as unknown as { packets: { pts_time: string; flags: string }[] };
      const pts = packets.packets.map((p) => Number(p.pts_time));
      assert.equal(pts[0], 0, f);
      assert.match(packets.packets[0].flags, /K/, `${f} starts on a keyframe`);
      pts.forEach((t, k) => k > 0 && assert.ok(Math.abs(t - pts[k - 1] - FRAME_S) < 0.002, `${f}: pts ${pts[k - 1]} -> ${t}`));
      // and decodes fully on its own
      assert.equal(await decodeErrors(f), '', f);
      // in the publisher's timeline (the frame numbers), the file goes on one frame after the
      // last one of the file before: the last pts of file k + one frame interval is the first of
      // file k + 1, and no frame inside a file is lost or doubled
      const numbers = await frameNumbers(f);
      assert.equal(numbers.length, pts.length, `${f}: ${numbers.length} frames decoded, ${pts.length} packets`);
      for (let k = 0; k < numbers.length; k++) {
        const before = k > 0 ? numbers[k - 1] : previousLast;
        if (before === undefined) continue;
        const step = (numbers[k] - before + FRAME_CODE_CYCLE) % FRAME_CODE_CYCLE;
        const where = k > 0 ? `${f}: frame ${k}` : `the cut before ${f}`;
        assert.equal(step, 1, `${where}: ${step} frame intervals (not 1) from frame number ${before} to ${numbers[k]}`);
      }
      previousLast = numbers.at(-1);
    }
    // no frame lost or doubled at the cuts: 10 s at 25 fps, within one frame
    assert.ok(Math.abs(frames - 250) <= 1, `${frames} video frames in ${files.length} files, published 250`);
    assert.ok(Math.abs(total - 10) < 2, `total ${total}`);
  });

  test('an .mp4 dvr_path records fragmented MP4 with video and audio', async () => {
    const server = await dvrServer('dvr_path ./objs/mp4/[app]/[stream]-[2006][01][02].mp4;');
    const pub = ffmpegPublish(server.rtmpUrl('/live/m'), { duration: 6 });
    assert.equal(await exitOf(pub, 30_000), 0);
    const hook = await waitFor('on_dvr', () => hooks().find((h) => h.stream === 'm'), 10_000);
    assert.match(hook.file, /^\.\/objs\/mp4\/live\/m-\d{8}\.mp4$/);
    const file = resolve(hook.cwd, hook.file);
    const info = await ffprobe(file);
    assert.deepEqual(kinds(info.streams), ['audio', 'video']);
    const v = info.streams.find((s) => s.codec_type === 'video')!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    const duration = Number(info.format.duration);
    assert.ok(Math.abs(duration - 6) <= 1.5, `duration ${duration}`);
    assert.equal(await decodeErrors(file), '');
  });
});
