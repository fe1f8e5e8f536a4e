/**
 * Every message of a NetStream carries that stream's id (the one createStream answered): status,
 * data, audio and video, for players and for publishers' replies. Checked with the project's RTMP
 * client in strict mode, which errors on any other id as Flash's NetStream drops such messages.
 * The same for streams that did not come over RTMP: the flv and mpegts_over_udp casters and a
 * WebRTC (WHIP) publisher with rtc_to_rtmp.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { basicConf, ffmpegPublish, freePort, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { streams } from './api-helpers.js';
import { ffmpegRtp, payloadType, rtcPublisher, whip } from './rtc-helpers.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
let flvCaster: number;
let tsCaster: number;

before(async () => {
  flvCaster = await freePort();
  tsCaster = await freePort();
  const rtcUdp = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      'rtc { enabled on; rtc_to_rtmp on; }',
      `stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${flvCaster}; }
stream_caster { enabled on; caster mpegts_over_udp; output rtmp://127.0.0.1/live/sid-ts; listen ${tsCaster}; }
rtc_server { enabled on; listen ${rtcUdp}; candidate 127.0.0.1; }`,
    ),
  );
  publisher = ffmpegPublish(server.rtmpUrl('/live/sid'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('stream published', async () => (await streams(server)).some((s) => s.name === 'sid' && s.publish.active), 15_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

/** A strict RTMP player of `path` until it has audio and video; fails on any message off its stream id. */
async function strictPlay(path: string, opts: { metadata?: boolean } = {}): Promise<void> {
  const client = await RtmpClient.connect(server.rtmpUrl(path), { mode: 'play', strictStreamId: true });
  const got: RtmpMessage[] = [];
  let error: Error | undefined;
  client.on('message', (m: RtmpMessage) => got.push(m));
  client.on('error', (e: Error) => (error = e));
  try {
    await waitFor('audio and video', () => got.some((m) => m.typeId === MSG.VIDEO) && got.some((m) => m.typeId === MSG.AUDIO), 10_000);
    await sleep(1000);
    assert.equal(error, undefined, String(error));
    assert.ok(client.streamId >= 1, `createStream answered ${client.streamId}`);
    const ids = new Set(got.map((m) => m.streamId));
    assert.deepEqual([...ids], [client.streamId], `message stream ids seen: ${[...ids].join(', ')}`);
    if (opts.metadata !== false) assert.ok(got.some((m) => m.typeId === MSG.AMF0_DATA), 'metadata arrived');
  } finally {
    client.destroy();
  }
}

test('a strict player gets status, metadata, audio and video on its stream id', { timeout: 30_000 }, async () => {
  await strictPlay('/live/sid');
});

const ffmpegArgs = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-b:a', '64k'];
const published = (name: string) => waitFor(`${name} published`, async () => (await streams(server)).some((s) => s.name === name && s.publish.active), 20_000);

test('a strict player of a flv caster stream (HTTP POST) gets it on its stream id', { timeout: 60_000 }, async () => {
  const ff = spawn('ffmpeg', [...ffmpegArgs, '-f', 'flv', '-method', 'POST', `http://127.0.0.1:${flvCaster}/live/sid-flv.flv`], { stdio: 'ignore' });
  try {
    await published('sid-flv');
    await strictPlay('/live/sid-flv');
  } finally {
    kill(ff);
  }
});

test('a strict player of an mpegts_over_udp caster stream gets it on its stream id', { timeout: 60_000 }, async () => {
  const ff = spawn('ffmpeg', [...ffmpegArgs, '-f', 'mpegts', `udp://127.0.0.1:${tsCaster}?pkt_size=1316`], { stdio: 'ignore' });
  try {
    await published('sid-ts');
    // MPEG-TS has no onMetaData to pass on
    await strictPlay('/live/sid-ts', { metadata: false });
  } finally {
    kill(ff);
  }
});

test('a strict player of a WebRTC (WHIP) stream gets it on its stream id', { timeout: 60_000 }, async () => {
  const pub = await rtcPublisher({ video: true, audio: true });
  const res = await whip(server, 'app=live&stream=sid-rtc', pub.offer);
  const answer = await res.text();
  assert.equal(res.status, 201, answer);
  await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await waitFor('connected', () => pub.pc.connectionState === 'connected', 20_000);
  const media = await ffmpegRtp({
    video: { track: pub.video!, pt: payloadType(answer, 'H264/90000') },
    audio: { track: pub.audio!, pt: payloadType(answer, 'opus/48000') },
  });
  try {
    await published('sid-rtc');
    await strictPlay('/live/sid-rtc', { metadata: false });
  } finally {
    media.stop();
    await pub.pc.close();
  }
});

test('a strict publisher gets its status replies on its stream id', { timeout: 30_000 }, async () => {
  // connect() resolves on NetStream.Publish.Start, which the strict check has seen by then
  const client = await RtmpClient.connect(server.rtmpUrl('/live/sid-pub'), { mode: 'publish', strictStreamId: true });
  let error: Error | undefined;
  client.on('error', (e: Error) => (error = e));
  try {
    await client.close();
    assert.equal(error, undefined, String(error));
  } finally {
    client.destroy();
  }
});
