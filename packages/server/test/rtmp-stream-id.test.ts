/**
 * Every message of a NetStream carries that stream's id (the one createStream answered): status,
 * data, audio and video, for players and for publishers' replies. Checked with the project's RTMP
 * client in strict mode, which errors on any other id as Flash's NetStream drops such messages.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { streams } from './api-helpers.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  server = await startServer((p) => basicConf(p));
  publisher = ffmpegPublish(server.rtmpUrl('/live/sid'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('stream published', async () => (await streams(server)).some((s) => s.name === 'sid' && s.publish.active), 15_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

test('a strict player gets status, metadata, audio and video on its stream id', { timeout: 30_000 }, async () => {
  const client = await RtmpClient.connect(server.rtmpUrl('/live/sid'), { mode: 'play', strictStreamId: true });
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
    assert.ok(got.some((m) => m.typeId === MSG.AMF0_DATA), 'metadata arrived');
  } finally {
    client.destroy();
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
