/**
 * A WHIP stream's outputs and surroundings: `?eip=` names the server address first in the
 * answer; its HLS is valid H.264 (ffprobe), its DVR file plays, the history database holds
 * its publish session; and with no FFmpeg on the server's PATH a WHIP publish still gives video to
 * RTMP players and the log says once that audio is off.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HistoryClientSession, HistoryStreamSession } from '@tsrs/api-types';
import { api, streams } from './api-helpers.js';
import { basicConf, decodeErrors, ffprobe, freePort, startServer, tempDir, waitFor, type RunningServer } from './harness.js';
import { ffmpegRtp, payloadType, rtcPublisher, whip, type RtpFeed } from './rtc-helpers.js';

const servers: RunningServer[] = [];

async function rtcServer(vhostExtra: string, env?: NodeJS.ProcessEnv): Promise<RunningServer> {
  const udp = await freePort();
  const server = await startServer(
    (p) => basicConf(p, `rtc { enabled on; rtc_to_rtmp on; } ${vhostExtra}`, `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`),
    { env },
  );
  servers.push(server);
  return server;
}

let server: RunningServer;
before(async () => {
  server = await rtcServer(`hls { enabled on; hls_fragment 2; hls_window 20; hls_path ./html; hls_ctx off; }
    dvr { enabled on; dvr_plan session; dvr_path ./objs/rec/[app]/[stream].flv; }`);
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** A connected WHIP publisher of FFmpeg's H.264 + Opus; stop() ends the media and the session. */
async function publishWhip(s: RunningServer, stream: string) {
  const pub = await rtcPublisher({ video: true, audio: true });
  const res = await whip(s, `app=live&stream=${stream}`, pub.offer);
  const answer = await res.text();
  assert.equal(res.status, 201, answer);
  const location = res.headers.get('location')!;
  await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await waitFor('connected', () => pub.pc.connectionState === 'connected', 20_000);
  const media: RtpFeed = await ffmpegRtp({
    video: { track: pub.video!, pt: payloadType(answer, 'H264/90000') },
    audio: { track: pub.audio!, pt: payloadType(answer, 'opus/48000') },
  });
  return {
    async stop() {
      media.stop();
      await fetch(`http://127.0.0.1:${s.ports.api}${location}`, { method: 'DELETE' });
      await pub.pc.close();
    },
  };
}

/** A file's packets in file order: kind and DTS (ms), by ffprobe. */
async function dvrPackets(file: string): Promise<{ kind: string; dts: number }[]> {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,dts_time', '-of', 'csv=p=0', file], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean).map((l) => {
    const [kind, dts] = l.split(',');
    return { kind, dts: Math.round(Number(dts) * 1000) };
  });
}

test('?eip= comes first among the answer\'s candidates, with its port when it names one', async () => {
  const pub = await rtcPublisher({ video: true });
  const res = await whip(server, 'app=live&stream=eip&eip=10.9.8.7', pub.offer);
  const answer = await res.text();
  assert.equal(res.status, 201, answer);
  const addresses = [...new Set([...answer.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) \d+ typ host/gm)].map((m) => m[1]))];
  assert.deepEqual(addresses, ['10.9.8.7', '127.0.0.1']);
  await fetch(`http://127.0.0.1:${server.ports.api}${res.headers.get('location')}`, { method: 'DELETE' });
  await pub.pc.close();
  // ?eip=ip:port (a port-mapping NAT's outside port, as SRS): that candidate names the port
  const nat = await rtcPublisher({ video: true });
  const natRes = await whip(server, 'app=live&stream=eipport&eip=10.9.8.7:40000', nat.offer);
  const natAnswer = await natRes.text();
  assert.equal(natRes.status, 201, natAnswer);
  const pairs = [...new Set([...natAnswer.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+ \d+) typ host/gm)].map((m) => m[1]))];
  assert.equal(pairs[0], '10.9.8.7 40000');
  assert.match(pairs[1], /^127\.0\.0\.1 \d+$/);
  assert.notEqual(pairs[1], '127.0.0.1 40000');
  await fetch(`http://127.0.0.1:${server.ports.api}${natRes.headers.get('location')}`, { method: 'DELETE' });
  await nat.pc.close();
});

test('a WHIP stream: valid HLS (H.264, then AAC too), a DVR file that plays, its publish session in the history', { timeout: 120_000 }, async () => {
  const p = await publishWhip(server, 'whipout');
  try {
    const m3u8 = server.httpUrl('/live/whipout.m3u8');
    // the AAC starts once FFmpeg made the first Opus into AAC: count segments from then on
    await waitFor('the stream with audio', async () => (await streams(server)).some((s) => s.name === 'whipout' && s.audio), 30_000, 200);
    const segments = async () => {
      const r = await fetch(m3u8);
      return r.ok ? [...(await r.text()).matchAll(/^[^#\s].*\.ts\S*$/gm)].map((m) => m[0]) : [];
    };
    const before = new Set(await segments());
    await waitFor('3 HLS segments with audio', async () => (await segments()).filter((x) => !before.has(x)).length >= 3, 60_000, 500);
    // the AAC (made from the Opus by FFmpeg) starts after the video: HLS takes it at the next
    // keyframe, after a discontinuity, so the latest segments carry both tracks
    const hls = await ffprobe(m3u8);
    const hv = hls.streams.find((s) => s.codec_type === 'video');
    assert.equal(hv?.codec_name, 'h264');
    assert.equal(hv?.width, 320);
    // the latest segment (a whole one: the segment cut where the audio joined may be shorter)
    // reads, with both tracks
    const latest = new URL((await segments()).at(-1)!, m3u8).href;
    const probe = await ffprobe(latest, ['-count_frames']);
    assert.ok(Number(probe.streams.find((s) => s.codec_type === 'video')?.nb_read_frames) >= 40, 'a 2 s segment');
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], `the latest segment has both tracks: ${latest}`);
  } finally {
    await p.stop();
  }
  await waitFor('unpublished', async () => !(await streams(server)).some((s) => s.name === 'whipout' && s.publish.active), 15_000);
  const file = join(server.dir, 'objs/rec/live/whipout.flv');
  await waitFor('the DVR file', () => existsSync(file), 10_000);
  const probe = await ffprobe(file, ['-count_frames']);
  const v = probe.streams.find((s) => s.codec_type === 'video')!;
  assert.equal(v.codec_name, 'h264');
  assert.ok(Number(v.nb_read_frames) >= 100, `${v.nb_read_frames} frames`);
  assert.ok(probe.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'));
  // every frame decodes, and no two frames of a track share a DTS (the AAC from FFmpeg reaches the
  // Source a few hundred ms behind the video of the same time: that is no jump in time)
  assert.equal((await decodeErrors(file)).trim(), '');
  // the timeline from the start: audio (from FFmpeg, which starts with the first Opus packet and
  // answers about a second later) is placed where its RTP time says, within a few frames of the
  // first video frame (both came from one FFmpeg); no video step is squeezed (25 fps: 40 ms)
  const packets = await dvrPackets(file);
  const firstVideo = packets.find((p) => p.kind === 'video')!.dts;
  const firstAudio = packets.find((p) => p.kind === 'audio')!.dts;
  assert.ok(Math.abs(firstAudio - firstVideo) <= 200, `audio starts at ${firstAudio} ms, video at ${firstVideo} ms`);
  const videoDts = packets.filter((p) => p.kind === 'video').map((p) => p.dts);
  const squeezed = videoDts.findIndex((t, i) => i > 0 && t - videoDts[i - 1] < 30);
  assert.equal(squeezed, -1, `video frame ${squeezed}: ${videoDts.slice(Math.max(0, squeezed - 3), squeezed + 3).join(' ')}`);

  const hs = await api<{ streams: HistoryStreamSession[] }>(server, '/api/v1/history/streams?app=live&stream=whipout');
  assert.equal(hs.json.streams.length, 1, JSON.stringify(hs.json));
  const hc = await api<{ clients: HistoryClientSession[] }>(server, '/api/v1/history/clients?stream=whipout&kind=publish');
  assert.equal(hc.json.clients.length, 1, JSON.stringify(hc.json));
  assert.equal(hc.json.clients[0].type, 'rtc-publish');
  assert.notEqual(hc.json.clients[0].end, null);
});

test('no FFmpeg on PATH: RTMP players still get the video, and one warning says audio is off', { timeout: 120_000 }, async () => {
  const noFfmpeg = await rtcServer('', { PATH: tempDir('tsrs-empty-path-') });
  const p = await publishWhip(noFfmpeg, 'mute');
  try {
    await waitFor('the stream with video', async () => (await streams(noFfmpeg)).some((s) => s.name === 'mute' && s.video), 20_000, 200);
    const probe = await ffprobe(noFfmpeg.rtmpUrl('/live/mute'));
    const v = probe.streams.find((s) => s.codec_type === 'video');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.width, 320);
    assert.ok(!probe.streams.some((s) => s.codec_type === 'audio'), 'no audio');
  } finally {
    await p.stop();
  }
  const warnings = noFfmpeg.output().split('\n').filter((l) => /audio is off/.test(l));
  assert.equal(warnings.length, 1, warnings.join('\n'));
});
