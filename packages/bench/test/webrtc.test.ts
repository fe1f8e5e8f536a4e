/**
 * The bench's WebRTC clients against a real tsrs (rtc_server on loopback):
 * - `play --proto webrtc`: werift WHEP players of an RTMP stream (the bench's RTMP publisher,
 *   a known 25 fps file) all connect, count about 25 access units a second each, receive Opus,
 *   and read the publisher's SEI delay probe out of the RTP payloads;
 * - `publish --proto whip`: the werift WHIP publisher's H.264 reaches RTMP players at the file's
 *   frame rate, decodes without an error in FFmpeg, and its SEI probe reaches WebRTC players.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { basicConf, decodeErrors, ffprobe, freePort, kill, startServer, tempDir, waitFor, type RunningServer } from '@tsrs/server/dist/test/harness.js';
import { parseFlags } from '../src/args.js';
import { gen } from '../src/gen.js';
import type { PlayResult } from '../src/play.js';
import { CLI, runPlayJson } from './play-helpers.js';
import { RtpCount } from '../src/webrtc-player.js';
import { rtpReceiver } from '../src/rtp-recv.js';

const FPS = 25;
const execFileP = promisify(execFile);

let server: RunningServer;
let dir: string;
let file: string;
const procs: ChildProcess[] = [];

before(async () => {
  dir = tempDir('tsrs-bench-rtc-');
  file = join(dir, 'in.flv');
  await gen(parseFlags(['-o', file, '-b', '300k', '-d', '4', '--size', '320x180', '--fps', String(FPS)]).flags);
  const udp = await freePort();
  server = await startServer((p) =>
    basicConf(p, 'rtc { enabled on; rtmp_to_rtc on; rtc_to_rtmp on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`),
  );
});

after(async () => {
  for (const p of procs) kill(p);
  await server?.stop();
});

const endpoint = (kind: 'whep' | 'whip', stream: string) => `http://127.0.0.1:${server.ports.api}/rtc/v1/${kind}/?app=live&stream=${stream}`;

function benchPublish(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [CLI, 'publish', '-i', file, '--quiet', ...args], { stdio: 'inherit' });
  procs.push(p);
  return p;
}

/**
 * A WebRTC join (ICE, DTLS, the GOP cache's burst) takes seconds on a loaded 2-core machine:
 * measure after it, over a window long enough that a late second of frames does not skew the rate.
 */
function runPlay(args: string[], warmup = 2, seconds = 4, env?: Record<string, string>): Promise<PlayResult> {
  return runPlayJson(['--warmup', String(warmup), '-d', String(seconds), '--interval', '2', ...args], (p) => procs.push(p), env);
}

async function streamLive(name: string): Promise<void> {
  await waitFor(`stream ${name}`, async () => {
    const r = await fetch(server.apiUrl('/api/v1/streams/'));
    const j = (await r.json()) as { streams: { name: string; video: unknown }[] };
    return j.streams.some((s) => s.name === name && s.video);
  }, 20_000, 200);
}

/**
 * every player held, about the file's frame rate each: a loaded machine delivers late seconds in
 * bursts, so +-25 %; counting RTP packets instead of access units would be well above
 */
function checkFrameRate(r: PlayResult, players: number): void {
  const s = JSON.stringify(r);
  assert.equal(r.connected, players, s);
  assert.equal(r.failed, 0, s);
  assert.ok(r.fps >= FPS * 0.75 && r.fps <= FPS * 1.25, `fps ${r.fps}: ${s}`);
  assert.ok(r.kbps > 50, `kbps ${r.kbps}`);
}

/** the players' figures: frame rate, probes, Opus, no corrupt packets */
function checkWhepPlay(r: PlayResult, players: number, seconds: number): void {
  checkFrameRate(r, players);
  assert.equal(r.proto, 'webrtc');
  // one probe a second per player, give or take a second
  assert.ok(r.lag_samples >= (players * seconds) / 2, `probes read: ${r.lag_samples}`);
  assert.ok(r.lag_ms_p50! >= 0 && r.lag_ms_p95! < 5000, JSON.stringify(r));
  assert.ok(r.frames >= players * seconds * FPS * 0.75, `frames ${r.frames}`);
  // Opus made from the AAC (20 ms packets) flows too
  assert.ok(r.audio >= players * seconds * 50 * 0.5, `audio packets ${r.audio}`);
  // every probed packet passed SRTP authentication; loopback loses (next to) nothing
  assert.equal(r.corrupt, 0);
  assert.ok(r.lost < 50, `lost ${r.lost}`);
}

test('play --proto webrtc: WHEP players of an RTMP stream count its frames and read the SEI delay probe', { timeout: 120_000 }, async () => {
  benchPublish(['-u', server.rtmpUrl('/live/rtmpsrc')]);
  await streamLive('rtmpsrc');
  const r = await runPlay(['--proto', 'webrtc', '-u', endpoint('whep', 'rtmpsrc'), '-n', '4', '--ramp', '10'], 4, 8);
  checkWhepPlay(r, 4, 8);
  // the native reads where the module is built (CI builds it), else dgram's
  assert.equal(r.rtp_reader, rtpReceiver().r ? 'native' : 'js');
  // the same figures with every datagram read through dgram and counted in JavaScript
  const js = await runPlay(['--proto', 'webrtc', '-u', endpoint('whep', 'rtmpsrc'), '-n', '2', '--ramp', '10'], 4, 6, { TSRS_BENCH_RTP_RECV: 'off' });
  checkWhepPlay(js, 2, 6);
  assert.equal(js.rtp_reader, 'js');
});

test('RtpCount: sequence gaps are losses, older packets are late, the numbering wraps', () => {
  const c = new RtpCount();
  for (const seq of [65533, 65534, 65535, 0, 1, 4, 3, 5]) c.push(7, seq);
  assert.equal(c.lost, 2, 'after 1 came 4: 2 and 3 missing');
  assert.equal(c.late, 1, '3 came after 4');
  assert.equal(c.received, 8);
  const rr = c.report()!;
  assert.equal(rr.ssrc, 7);
  assert.equal(rr.highestSequence, 0x10005, 'one wrap, then 5');
  assert.equal(rr.packetsLost, 1, 'cumulative: 2 is still missing (3 came late)');
});

test('publish --proto whip: the werift H.264 reaches RTMP players at the frame rate, decodes, and carries the SEI probe to WebRTC players', { timeout: 120_000 }, async () => {
  benchPublish(['--proto', 'whip', '-u', endpoint('whip', 'whipsrc')]);
  await streamLive('whipsrc');
  const rtmp = await runPlay(['-u', server.rtmpUrl('/live/whipsrc'), '-n', '2']);
  checkFrameRate(rtmp, 2);
  const rtc = await runPlay(['--proto', 'webrtc', '-u', endpoint('whep', 'whipsrc'), '-n', '2', '--ramp', '10'], 4, 8);
  checkFrameRate(rtc, 2);
  assert.ok(rtc.lag_samples >= 8, `probes read: ${rtc.lag_samples}`);

  // what FFmpeg makes of it over RTMP: H.264 at the file's size, every frame decodes
  const out = join(dir, 'whip.flv');
  await execFileP('ffmpeg', ['-nostdin', '-v', 'error', '-i', server.rtmpUrl('/live/whipsrc'), '-t', '3', '-c', 'copy', '-y', out], { timeout: 30_000 });
  const probe = await ffprobe(out, ['-count_frames']);
  const v = probe.streams.find((s) => s.codec_type === 'video')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 320);
  assert.ok(Number(v.nb_read_frames) >= 2 * FPS, `frames ${v.nb_read_frames}`);
  assert.equal(await decodeErrors(out), '');
});
