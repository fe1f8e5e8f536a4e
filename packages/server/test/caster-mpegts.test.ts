/**
 * The mpegts_over_udp stream caster (SRS's `stream_caster { caster mpegts_over_udp; }`): FFmpeg
 * sends H.264 + AAC in MPEG-TS over UDP; tsrs publishes it into the stream the output URL names.
 * FFmpeg/ffprobe play it over RTMP and HTTP-FLV; the API lists it with its codecs; it ends a few
 * seconds after the sender stops; a relay that drops 1% of the datagrams neither crashes nor
 * stalls it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HistoryClientSession } from '@tsrs/api-types';
import { api, clients, streams } from './api-helpers.js';
import { basicConf, ffprobe, freePort, kill, sleep, startServer, tempDir, waitFor, type ProbeStream, type RunningServer } from './harness.js';
import { playFlv } from './http-players.js';

const execFileP = promisify(execFile);
let server: RunningServer;
let port: number;
let lossyPort: number;

/** FFmpeg sending a live H.264 + AAC test pattern as MPEG-TS to a UDP port (7 TS packets a datagram). */
function ffmpegTsUdp(udpPort: number): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25', '-b:v', '500k', '-c:a', 'aac', '-b:a', '64k',
    '-f', 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const avCodecs = (s: ProbeStream[]) => s.filter((x) => x.codec_type === 'audio' || x.codec_type === 'video').map((x) => x.codec_name).sort();
const published = async (name: string) => (await streams(server)).find((s) => s.name === name && s.publish.active);

before(async () => {
  port = await freePort();
  lossyPort = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      '',
      `stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/[app]/[stream]; listen ${port}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/lossy; listen ${lossyPort}; }`,
    ),
  );
});

after(async () => {
  await server.stop();
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

test('a relay that drops 1% of the datagrams: no crash, no stall; a player keeps getting frames', { timeout: 120_000 }, async () => {
  const relay = createSocket('udp4');
  const out = createSocket('udp4');
  let n = 0;
  let dropped = 0;
  relay.on('message', (d) => {
    if (++n % 100 === 50) {
      dropped++;
      return;
    }
    out.send(d, lossyPort, '127.0.0.1');
  });
  await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
  const ff = ffmpegTsUdp(relay.address().port);
  try {
    await waitFor('published', () => published('lossy'), 20_000);
    const player = await playFlv(server.httpUrl('/live/lossy.flv'));
    await waitFor('the player gets video', () => player.videoTags > 25, 20_000);
    // over 10 s more, with datagrams lost all along, the stream keeps moving
    for (let i = 0; i < 5; i++) {
      const before = player.videoTags;
      const frames = (await published('lossy'))?.frames ?? 0;
      await sleep(2000);
      assert.ok(player.videoTags > before, `video stalled at ${before} tags (${i})`);
      assert.ok(((await published('lossy'))?.frames ?? 0) > frames, 'the stream counts frames');
    }
    assert.ok(dropped >= 5, `the relay dropped ${dropped} of ${n} datagrams`);
    assert.equal(player.error, undefined);
    player.close();
    assert.equal(server.proc.exitCode, null, 'the server runs');
  } finally {
    kill(ff);
    relay.close();
    out.close();
  }
});
