/**
 * Enhanced RTMP audio (v2: SoundFormat 9 + FourCC) published with tsrs's own RTMP client (Debian's
 * FFmpeg 5.1 predates enhanced RTMP): the audio SequenceStart is kept as the stream's audio header,
 * so players that join late (RTMP and HTTP-FLV) get it before any audio frame, and the API
 * describes the track from it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readKernelFixture } from './fixtures/kernel-media.js';
import { FlvDemuxer } from '../src/kernel/flv.js';
import { classifyAudio } from '../src/kernel/flv-tag.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import { streams } from './api-helpers.js';
import { basicConf, sleep, startServer, waitFor, type RunningServer } from './harness.js';

let server: RunningServer;
let publisher: RtmpClient;
let running = true;
let publishing: Promise<void>;
/** the enhanced-RTMP AAC SequenceStart the publisher sent */
let sequenceStart: Buffer;

/** Enhanced RTMP audio body: ExHeader (9) with the packet type, the FourCC, the payload. */
const enhancedAudio = (packetType: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([0x90 | packetType]), Buffer.from('mp4a', 'latin1'), payload]);

before(async () => {
  server = await startServer((p) => basicConf(p));
  // The kernel fixture (1 s of 160x120 H.264 + mono 44.1 kHz AAC), its audio rewritten as enhanced RTMP, looped in real time.
  const tags = new FlvDemuxer().push(readKernelFixture('h264-aac-160x120.flv')).filter((t) => t.type === 8 || t.type === 9);
  const media = tags.map((t) => {
    if (t.type === 9) return { type: MSG.VIDEO, ts: t.timestamp, body: t.body, header: t.body[1] === 0 };
    const a = classifyAudio(t.body);
    return { type: MSG.AUDIO, ts: t.timestamp, body: enhancedAudio(a.sequenceStart ? 0 : 1, a.data), header: a.sequenceStart };
  });
  sequenceStart = media.find((m) => m.type === MSG.AUDIO && m.header)!.body;
  publisher = await RtmpClient.connect(server.rtmpUrl('/live/ex'), { mode: 'publish' });
  publishing = (async () => {
    const start = Date.now();
    for (let loop = 0, base = 0; running; loop++, base += 1000) {
      for (const m of media) {
        if (!running) return;
        if (loop > 0 && m.header) continue; // headers once, at the start
        const wait = base + m.ts - (Date.now() - start);
        if (wait > 5) await sleep(wait);
        publisher.sendMedia(m.type, base + m.ts, m.body);
      }
    }
  })();
  // the late joiners below come well after the sequence start went by
  await sleep(2500);
});

after(async () => {
  running = false;
  await publishing;
  await publisher.close();
  await server.stop();
});

test('a late RTMP player gets the enhanced-RTMP audio sequence start before any audio frame', async () => {
  const player = await RtmpClient.connect(server.rtmpUrl('/live/ex'), { mode: 'play' });
  const msgs: RtmpMessage[] = [];
  player.on('message', (m: RtmpMessage) => msgs.push(m));
  await waitFor('audio frames', () => msgs.filter((m) => m.typeId === MSG.AUDIO).length > 10, 10_000);
  await player.close();
  const audio = msgs.filter((m) => m.typeId === MSG.AUDIO);
  assert.deepEqual(audio[0].payload, sequenceStart, 'the first audio message is the publisher\'s SequenceStart');
  assert.equal(audio.filter((m) => classifyAudio(m.payload).sequenceStart).length, 1);
  assert.ok(audio.slice(1).every((m) => classifyAudio(m.payload).packetType === 'coded-frames'));
});

test('a late HTTP-FLV player gets it as its first audio tag', async () => {
  const res = await fetch(server.httpUrl('/live/ex.flv'));
  assert.equal(res.status, 200);
  const demuxer = new FlvDemuxer();
  const audio: Buffer[] = [];
  const reader = res.body!.getReader();
  while (audio.length < 5) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const t of demuxer.push(Buffer.from(value))) if (t.type === 8) audio.push(t.body);
  }
  await reader.cancel();
  assert.ok(audio.length >= 5, 'audio tags arrived');
  assert.deepEqual(audio[0], sequenceStart);
});

test('the API describes the audio track from the enhanced sequence start', async () => {
  const s = await waitFor('stream ex', async () => (await streams(server)).find((x) => x.name === 'ex' && x.audio), 10_000);
  assert.equal(s.audio!.codec, 'AAC');
  assert.equal(s.audio!.sample_rate, 44100);
  assert.equal(s.audio!.channel, 1);
  assert.equal(s.audio!.profile, 'LC');
});
