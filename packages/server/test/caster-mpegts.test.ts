/**
 * The mpegts_over_udp stream caster (SRS's `stream_caster { caster mpegts_over_udp; }`): FFmpeg
 * sends H.264 + AAC (or H.265 + AAC) in MPEG-TS over UDP; tsrs publishes it into the stream the
 * output URL names. FFmpeg/ffprobe play it over RTMP, HTTP-FLV and HLS (every segment decodes,
 * both tracks); H.265 reaches tsrs's own RTMP client as enhanced RTMP ('hvc1'; Debian's FFmpeg
 * 5.1 predates it); the API lists it with its codecs; it ends a few seconds after the sender
 * stops; a relay that drops 1% of the datagrams neither crashes nor stalls it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HistoryClientSession } from '@tsrs/api-types';
import { readFileSync, writeFileSync } from 'node:fs';
import { parsePlaylist } from '../src/app/hls/playlist.js';
import { classifyAudio, classifyVideo } from '../src/kernel/flv-tag.js';
import { parseHevcConfig } from '../src/kernel/hevc.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { api, clients, startHookServer, streams, type HookServer } from './api-helpers.js';
import { basicConf, decodeErrors, ffprobe, freePort, kill, sleep, startServer, tempDir, waitFor, type ProbeStream, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

const execFileP = promisify(execFile);
let server: RunningServer;
let port: number;
let lossyPort: number;
let hevcPort: number;
let oneStreamPort: number;
let smallPesPort: number;
let tailPort: number;
let junkPort: number;
let firstGopPort: number;
let kickPort: number;
let hooks: HookServer;
/** how long the on_publish hook of vhost `hooked` takes (ms) */
const SLOW_HOOK_MS = 500;

/**
 * FFmpeg sending a live test pattern as MPEG-TS to a UDP port (7 TS packets a datagram): H.264
 * (no B-frames) or H.265 (x265's ultrafast preset, with B-frames: PTS != DTS) and AAC.
 */
function ffmpegTsUdp(udpPort: number, video: 'h264' | 'h265' = 'h264'): ChildProcess {
  const codec = video === 'h264'
    ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency']
    : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:bframes=2'];
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    ...codec, '-pix_fmt', 'yuv420p', '-g', '25', '-b:v', '500k', '-c:a', 'aac', '-b:a', '64k',
    '-f', 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Fetches 3+ segments of a live playlist at once, decodes each with FFmpeg (no errors) and returns their probes. */
async function decodeHls(m3u8: string): Promise<ProbeStream[][]> {
  const p = await waitFor(`3 segments in ${m3u8}`, async () => {
    const r = await fetchBytes(server.httpUrl(m3u8));
    if (r.status !== 200) return undefined;
    const pl = parsePlaylist(r.body.toString());
    return pl.segments.length >= 3 ? pl : undefined;
  }, 40_000, 250);
  const base = server.httpUrl(m3u8.slice(0, m3u8.lastIndexOf('/') + 1));
  const fetched = await Promise.all(p.segments.map(async (s) => ({ s, r: await fetchBytes(base + s.uri) })));
  const dir = tempDir('tsrs-caster-hls-');
  const probes: ProbeStream[][] = [];
  for (const { s, r } of fetched) {
    assert.equal(r.status, 200, `${s.uri} exists`);
    const file = join(dir, s.uri.replace(/\//g, '_'));
    writeFileSync(file, r.body);
    assert.equal(await decodeErrors(file), '', `${s.uri} decodes without errors`);
    probes.push((await ffprobe(file)).streams);
  }
  return probes;
}

/** tsrs's RTMP client playing `path`: every audio/video message, in arrival order. */
async function rtmpPlayer(path: string): Promise<{ client: RtmpClient; msgs: RtmpMessage[] }> {
  const client = await RtmpClient.connect(server.rtmpUrl(path), { mode: 'play', timeoutMs: 30_000 });
  const msgs: RtmpMessage[] = [];
  client.on('message', (m: RtmpMessage) => {
    if ((m.typeId === MSG.VIDEO || m.typeId === MSG.AUDIO) && msgs.length < 100_000) msgs.push(m);
  });
  client.on('error', () => undefined);
  return { client, msgs };
}

/** mulberry32: a small seeded PRNG, so the relay drops the same datagrams on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const avCodecs = (s: ProbeStream[]) => s.filter((x) => x.codec_type === 'audio' || x.codec_type === 'video').map((x) => x.codec_name).sort();
const published = async (name: string) => (await streams(server)).find((s) => s.name === name && s.publish.active);

before(async () => {
  port = await freePort();
  lossyPort = await freePort();
  hevcPort = await freePort();
  oneStreamPort = await freePort();
  smallPesPort = await freePort();
  tailPort = await freePort();
  junkPort = await freePort();
  firstGopPort = await freePort();
  kickPort = await freePort();
  hooks = await startHookServer(async () => {
    await sleep(SLOW_HOOK_MS);
    return '{"code":0}';
  });
  server = await startServer((p) =>
    basicConf(
      p,
      'hls { enabled on; hls_fragment 2; hls_window 12; hls_path ./html; hls_ctx off; }',
      `stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/[app]/[stream]; listen ${port}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/lossy; listen ${lossyPort}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/hevc; listen ${hevcPort}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/one; listen ${oneStreamPort}; max_streams 1; idle_timeout 1; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/smallpes; listen ${smallPesPort}; max_pes_bytes 65536; idle_timeout 1; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/tail; listen ${tailPort}; idle_timeout 1; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/junk; listen ${junkPort}; idle_timeout 1; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/firstgop?vhost=hooked; listen ${firstGopPort}; idle_timeout 2; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/kicked; listen ${kickPort}; idle_timeout 1; }
vhost hooked { http_hooks { enabled on; on_publish ${hooks.url}/pub; } }`,
    ),
  );
});

after(async () => {
  await server.stop();
  hooks.close();
});

test('FFmpeg -f mpegts udp:// publishes: RTMP and HTTP-FLV play H.264 + AAC, the API shows the codecs, the stream ends after the sender', { timeout: 180_000 }, async () => {
  const ff = ffmpegTsUdp(port);
  try {
    // [app]/[stream] in an mpegts_over_udp output: SRS's live/livestream
    const s = await waitFor('published with both tracks', async () => {
      const st = await published('livestream');
      return st?.video && st.audio ? st : undefined;
    }, 20_000);
    assert.equal(s.app, 'live');
    assert.equal(s.video?.codec, 'H264');
    assert.equal(s.audio?.codec, 'AAC');
    assert.equal(s.audio?.sample_rate, 44100);
    const pub = (await clients(server)).find((c) => c.id === s.publish.cid);
    assert.equal(pub?.type, 'fmle-publish');
    assert.equal(pub?.ip, '127.0.0.1');

    const rtmp = await ffprobe(server.rtmpUrl('/live/livestream'));
    assert.deepEqual(avCodecs(rtmp.streams), ['aac', 'h264']);
    assert.equal(rtmp.streams.find((x) => x.codec_type === 'video')?.width, 320);
    const out = join(tempDir(), 'udp.flv');
    await execFileP('ffmpeg', ['-v', 'error', '-i', server.httpUrl('/live/livestream.flv'), '-t', '3', '-c', 'copy', '-y', out], { timeout: 60_000 });
    const flv = await ffprobe(out);
    assert.deepEqual(avCodecs(flv.streams), ['aac', 'h264']);
    assert.ok(Number(flv.format.duration) >= 2.5, `duration ${flv.format.duration}`);
    // HLS of it: every segment decodes, each with both tracks
    for (const seg of await decodeHls('/live/livestream.m3u8')) assert.deepEqual(avCodecs(seg), ['aac', 'h264']);

    kill(ff);
    const stoppedAt = Date.now();
    await waitFor('the stream ends after the sender stops', async () => !(await published('livestream')), 20_000);
    const took = Date.now() - stoppedAt;
    // idle_timeout 3 s by default; a loaded machine polls slower
    assert.ok(took >= 2000 && took < 15_000, `ended ${took} ms after the sender`);
    const h = await api<{ clients: HistoryClientSession[] }>(server, '/api/v1/history/clients?stream=livestream');
    const row = h.json.clients.find((c) => c.id === s.publish.cid);
    assert.equal(row?.protocol, 'mpegts-udp');
    assert.equal(row?.end_reason, 'normal');
  } finally {
    kill(ff);
  }
});

test('a relay that drops 1% of the datagrams (seeded): no crash, no stall; an RTMP player keeps getting frames', { timeout: 120_000 }, async () => {
  const relay = createSocket('udp4');
  const out = createSocket('udp4');
  const random = seeded(12);
  let n = 0;
  let dropped = 0;
  relay.on('message', (d) => {
    n++;
    if (random() < 0.01) {
      dropped++;
      return;
    }
    out.send(d, lossyPort, '127.0.0.1');
  });
  await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
  const ff = ffmpegTsUdp(relay.address().port);
  let player: Awaited<ReturnType<typeof rtmpPlayer>> | undefined;
  try {
    await waitFor('published', () => published('lossy'), 20_000);
    player = await rtmpPlayer('/live/lossy');
    const { msgs } = player;
    const videoCount = () => msgs.filter((m) => m.typeId === MSG.VIDEO).length;
    await waitFor('the player gets video', () => videoCount() > 25, 20_000);
    // over 12 s more, with datagrams lost all along, the stream keeps moving
    for (let i = 0; i < 6; i++) {
      const before = videoCount();
      const audioBefore = msgs.length - before;
      const frames = (await published('lossy'))?.frames ?? 0;
      await sleep(2000);
      assert.ok(videoCount() > before, `video stalled at ${before} messages (${i})`);
      assert.ok(msgs.length - videoCount() > audioBefore, `audio stalled (${i})`);
      assert.ok(((await published('lossy'))?.frames ?? 0) > frames, 'the stream counts frames');
    }
    assert.ok(dropped >= 5 && dropped < n / 20, `the relay dropped ${dropped} of ${n} datagrams`);
    // the API counts the damage on the stream (tsrs_input: the demuxer's counters)
    const input = (await published('lossy'))?.tsrs_input;
    assert.ok(input && input.cc_errors > 0 && input.packets > 1000 && input.access_units > 100, `tsrs_input: ${JSON.stringify(input)}`);
    // timestamps still move forward
    const video = msgs.filter((m) => m.typeId === MSG.VIDEO);
    assert.ok(video.at(-1)!.timestamp - video[0].timestamp >= 10_000, `video spans ${video.at(-1)!.timestamp - video[0].timestamp} ms`);
    assert.equal(server.proc.exitCode, null, 'the server runs');
    assert.ok(await published('lossy'), 'still published');
  } finally {
    kill(ff);
    await player?.client.close();
    relay.close();
    out.close();
  }
});

test('H.265 + AAC over UDP: HLS segments decode as hevc + aac; tsrs\'s RTMP client gets an hvc1 sequence start, then frames with sane timestamps', { timeout: 180_000 }, async () => {
  const ff = ffmpegTsUdp(hevcPort, 'h265');
  let player: Awaited<ReturnType<typeof rtmpPlayer>> | undefined;
  try {
    const s = await waitFor('published with both tracks', async () => {
      const st = await published('hevc');
      return st?.video && st.audio ? st : undefined;
    }, 30_000);
    assert.equal(s.video?.codec, 'H265');
    assert.equal(s.audio?.codec, 'AAC');

    player = await rtmpPlayer('/live/hevc');
    const { msgs } = player;

    await waitFor('100 video messages', () => msgs.filter((m) => m.typeId === MSG.VIDEO).length > 100, 30_000);
    const video = msgs.filter((m) => m.typeId === MSG.VIDEO).map((m) => ({ m, t: classifyVideo(m.payload) }));
    // the first video message is the HEVC sequence start (enhanced RTMP), then coded frames from a keyframe
    const [head, ...frames] = video;
    assert.equal(head.t.enhanced, true);
    assert.equal(head.t.fourcc, 'hvc1');
    assert.equal(head.t.sequenceStart, true);
    const config = parseHevcConfig(head.t.data);
    assert.ok(config.vps.length && config.sps.length && config.pps.length, 'VPS, SPS and PPS in the record');
        assert.ok(frames.every((f) => f.t.codec === 'h265' && f.t.fourcc === 'hvc1' && (f.t.packetType === 'coded-frames' || f.t.packetType === 'sequence-start')), 'hvc1 coded frames');
    const coded = frames.filter((f) => f.t.packetType === 'coded-frames');
    assert.equal(coded[0].t.keyframe, true, 'the first frame is a keyframe');
    assert.ok(coded.filter((f) => f.t.keyframe).length >= 2, 'a keyframe every GOP');
    // DTS never goes back and steps about 40 ms (25 fps); PTS = DTS + CTS is never before DTS and B-frames make some CTS > 0
    for (let i = 1; i < coded.length; i++) {
      const step = coded[i].m.timestamp - coded[i - 1].m.timestamp;
      assert.ok(step >= 0 && step <= 500, `DTS step ${step} ms at frame ${i}`);
    }
    assert.ok(coded.every((f) => f.t.cts >= 0 && f.t.cts <= 1000), 'CTS within [0, 1000] ms');
    assert.ok(coded.some((f) => f.t.cts > 0), 'B-frames: some CTS > 0');
    const span = coded.at(-1)!.m.timestamp - coded[0].m.timestamp;
    assert.ok(Math.abs(span / (coded.length - 1) - 40) < 8, `mean frame step ${span / (coded.length - 1)} ms`);
    // audio: AAC, a sequence header first, timestamps near the video's
    const audio = msgs.filter((m) => m.typeId === MSG.AUDIO).map((m) => ({ m, t: classifyAudio(m.payload) }));
    assert.ok(audio.length > 20 && audio[0].t.sequenceStart && audio.every((a) => a.t.codec === 'aac'), 'AAC with its sequence header first');
    assert.ok(Math.abs(audio.at(-1)!.m.timestamp - coded.at(-1)!.m.timestamp) < 2000, 'audio and video in sync');

    for (const seg of await decodeHls('/live/hevc.m3u8')) assert.deepEqual(avCodecs(seg), ['aac', 'hevc']);
  } finally {
    kill(ff);
    await player?.client.close();
  }
});

/**
 * A test pattern with a 440 Hz tone as MPEG-TS from FFmpeg (160x120 H.264 at 25 fps without
 * B-frames, AAC); `limits` are its -frames:v / -t / -g options.
 */
async function testTs(name: string, limits: string[]): Promise<Buffer> {
  const file = join(tempDir(), name);
  await execFileP('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', ...limits,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'mpegts', '-y', file], { timeout: 60_000 });
  return readFileSync(file);
}

/** Sends `ts` from its start as FFmpeg does, in 1316-byte datagrams, four at a time, `pauseMs` apart. */
async function sendTs(sock: Socket, ts: Buffer, port: number, pauseMs: number): Promise<void> {
  for (let off = 0; off < ts.length; off += 1316 * 4) {
    for (let i = off; i < Math.min(off + 1316 * 4, ts.length); i += 1316) sock.send(ts.subarray(i, i + 1316), port, '127.0.0.1');
    await sleep(pauseMs);
  }
}

test('bounds: max_streams follows only the PMT\'s first streams; a PES over max_pes_bytes is dropped and counted, the rest goes on', { timeout: 120_000 }, async () => {
  // 720p at 8 Mbit/s: keyframes of ~75 kB, inter frames well under 64 KiB; sent from a file, paced
  const file = join(tempDir(), 'big.ts');
  await execFileP('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '8M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'mpegts', '-y', file], { timeout: 60_000 });
  const ts = readFileSync(file);
  const sock = createSocket('udp4');
  const send = async (toPort: number) => {
    // about 4 s: 1316-byte datagrams in bursts every 10 ms
    const perTick = Math.ceil(ts.length / 1316 / 400);
    for (let off = 0; off < ts.length;) {
      for (let i = 0; i < perTick && off < ts.length; i++, off += 1316) sock.send(ts.subarray(off, off + 1316), toPort, '127.0.0.1');
      await sleep(10);
    }
  };
  try {
    const sending = send(oneStreamPort);
    const one = await waitFor('max_streams 1: published with video', async () => {
      const st = await published('one');
      return st?.video ? st : undefined;
    }, 20_000);
    await sending;
    assert.equal(one.audio, null, 'the audio PID (second in the PMT) is not followed');

    await send(smallPesPort);
    const line = await waitFor('the unpublish log line', () => server.output().split('\n').find((l) => l.includes('mpegts caster: unpublish') && l.includes('/live/smallpes')), 20_000);
    const stats = JSON.parse(/demux=(\{[^}]*\})/.exec(line)![1]) as { oversizedPes: number; droppedPes: number; accessUnits: number };
    assert.ok(stats.oversizedPes >= 2, `PES over the bound dropped and counted: ${line}`);
    assert.ok(stats.accessUnits > 150, `inter frames and audio went on: ${stats.accessUnits} access units`);
    assert.match(line, /codecs=h264,aac|codecs=aac,h264/);
    assert.equal(server.proc.exitCode, null);
  } finally {
    sock.close();
  }
});

test('the sender stops: the frames still in the demuxer and the interleaver reach the stream (every video frame sent is played)', { timeout: 120_000 }, async () => {
  // 50 H.264 frames (no B-frames, a keyframe every 25) and 2 s of AAC, sent once, paced
  const ts = await testTs('tail.ts', ['-frames:v', '50', '-t', '2', '-g', '25']);
  const { client, msgs } = await rtmpPlayer('/live/tail');
  const sock = createSocket('udp4');
  try {
    // one datagram opens the publish, then the whole file follows from its start (the first
    // datagram again: its cut PES is dropped on the continuity counter)
    sock.send(ts.subarray(0, 1316), tailPort, '127.0.0.1');
    await waitFor('the caster\'s publish', () => published('tail'), 20_000);
    await sendTs(sock, ts, tailPort, 5);
    await waitFor('the unpublish log line', () => server.output().split('\n').find((l) => l.includes('mpegts caster: unpublish') && l.includes('/live/tail')), 20_000);
    await sleep(500);
    const frames = msgs.filter((m) => m.typeId === MSG.VIDEO && !classifyVideo(m.payload).sequenceStart);
    assert.equal(frames.length, 50, `every video frame sent reached the player (got ${frames.length})`);
    assert.equal(frames[49].timestamp - frames[0].timestamp, 49 * 40, 'the last frame 49 frame intervals after the first');
  } finally {
    sock.close();
    client.close();
  }
});

test('stray datagrams do not take the caster: non-TS opens nothing; a TS-shaped sender that gives no frame yields to a real one', { timeout: 120_000 }, async () => {
  const ts = await testTs('real.ts', ['-t', '6', '-g', '25']);
  const random = seeded(7);
  const junk = (n: number, tsShaped: boolean) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
    if (tsShaped) for (let i = 0; i < n; i += 188) b[i] = 0x47;
    else b[0] = 0x00; // never a sync byte where a packet starts
    return b;
  };
  const stray = createSocket('udp4');
  const real = createSocket('udp4');
  let shaped = false;
  const strayTimer = setInterval(() => stray.send(junk(1316, shaped), junkPort, '127.0.0.1'), 50);
  try {
    await sleep(1500);
    assert.equal(await published('junk'), undefined, 'random datagrams open no publish');
    assert.match(server.output(), /mpegts caster: datagrams that are not MPEG-TS dropped/);
    shaped = true; // now whole 0x47 packets, but nothing a demuxer can use
    await waitFor('the TS-shaped sender opens a publish', () => published('junk'), 20_000);
    const { client, msgs } = await rtmpPlayer('/live/junk');
    try {
      await sleep(2500); // the holder's grace runs out
      await sendTs(real, ts, junkPort, 15);
      await waitFor('the real sender\'s frames reach the player', () => msgs.filter((m) => m.typeId === MSG.VIDEO).length >= 25 || undefined, 20_000);
      assert.match(server.output(), /the holder sent no frame, the new sender takes the port/);
    } finally {
      client.close();
    }
  } finally {
    clearInterval(strayTimer);
    stray.close();
    real.close();
  }
});

test('the datagrams that come while the publish is admitted are kept: a stream whose only keyframe is in FFmpeg\'s first burst plays whole', { timeout: 120_000 }, async () => {
  // 100 H.264 frames with one keyframe, the first (libx264's default GOP is 250 frames: 10 s at 25 fps)
  const ts = await testTs('onegop.ts', ['-frames:v', '100', '-t', '4', '-g', '1000']);
  const { client, msgs } = await rtmpPlayer('/live/firstgop?vhost=hooked');
  const sock = createSocket('udp4');
  try {
    // the whole file from its first datagram, as FFmpeg sends it; on_publish decides meanwhile
    await sendTs(sock, ts, firstGopPort, 5);
    await waitFor('the unpublish log line', () => server.output().split('\n').find((l) => l.includes('mpegts caster: unpublish') && l.includes('/live/firstgop')), 30_000);
    await sleep(500);
    assert.ok(hooks.calls.some((c) => c.path === '/pub' && c.body.stream === 'firstgop'), 'on_publish ran');
    const frames = msgs.filter((m) => m.typeId === MSG.VIDEO && !classifyVideo(m.payload).sequenceStart);
    assert.equal(frames.length, 100, `every video frame sent reached the player (got ${frames.length})`);
    assert.equal(classifyVideo(frames[0].payload).keyframe, true, 'the stream starts at the keyframe');
    assert.equal(frames[99].timestamp - frames[0].timestamp, 99 * 40, 'the last frame 99 frame intervals after the first');
  } finally {
    sock.close();
    client.close();
  }
});

test('kick (DELETE /api/v1/clients/:id) ends a UDP publish: history says kicked, the sender is ignored while it keeps sending, then may publish again', { timeout: 120_000 }, async () => {
  const ff = ffmpegTsUdp(kickPort);
  try {
    const s = await waitFor('the caster\'s publish', () => published('kicked'), 30_000);
    const kicked = await api(server, `/api/v1/clients/${s.publish.cid}`, { method: 'DELETE' });
    assert.equal(kicked.status, 200);
    await waitFor('the stream ends at the kick', async () => !(await published('kicked')), 10_000);
    const row = await waitFor('the history row', async () => {
      const r = await api<{ clients: HistoryClientSession[] }>(server, '/api/v1/history/clients?stream=kicked');
      return r.json.clients.find((c) => c.id === s.publish.cid && c.end_reason);
    }, 10_000);
    assert.ok(row.protocol === 'mpegts-udp' && row.end_reason === 'kicked', JSON.stringify(row));
    // FFmpeg goes on sending: it does not take the stream back
    await sleep(2500);
    assert.equal(await published('kicked'), undefined, 'a kicked sender that keeps sending stays off');
  } finally {
    kill(ff);
  }
  await sleep(2000); // quiet past idle_timeout (1 s)
  const again = ffmpegTsUdp(kickPort);
  try {
    await waitFor('the same sender may publish again after a pause', () => published('kicked'), 30_000);
  } finally {
    kill(again);
  }
});
