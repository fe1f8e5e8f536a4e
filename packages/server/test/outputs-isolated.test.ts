/**
 * Outputs are isolated: malformed media from a publisher (a 2-byte AVC frame, an AVC frame whose
 * NAL unit length runs past its end, an AAC raw frame before any sequence header) while an MP4 DVR
 * and HLS run. The publisher stays connected, an RTMP player keeps receiving frames after the bad
 * ones, HLS segments keep coming and decode, the DVR file decodes, and the stream's tsrs counters
 * (API and /metrics) show what was refused.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readKernelFixture } from './fixtures/kernel-media.js';
import { FlvDemuxer } from '../src/kernel/flv.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { MSG, type RtmpMessage } from '../src/protocol/rtmp/messages.js';
import type { Stream } from '@tsrs/api-types';
import { api, streams } from './api-helpers.js';
import { basicConf, decodeErrors, ffprobe, sleep, startServer, waitFor, type RunningServer } from './harness.js';

let server: RunningServer;

/** Media sent by the test publisher: RTMP message type, stream time (ms), FLV tag body. */
interface Media {
  type: number;
  ts: number;
  body: Buffer;
  header: boolean;
}

/** The kernel fixture (1 s of 160x120 H.264 at 25 fps, keyframes every 0.5 s + mono AAC). */
function fixtureMedia(): Media[] {
  const tags = new FlvDemuxer().push(readKernelFixture('h264-aac-160x120.flv')).filter((t) => t.type === 8 || t.type === 9);
  return tags.map((t) => ({
    type: t.type === 9 ? MSG.VIDEO : MSG.AUDIO,
    ts: t.timestamp,
    body: t.body,
    header: t.body[1] === 0 && (t.type === 9 ? (t.body[0] & 0x0f) === 7 : t.body[0] >> 4 === 10),
  }));
}

/** How many times each malformed video shape is sent. */
const BAD_REPEATS = 5;

/** The malformed shapes. */
const BAD = {
  /** AVC, inter frame, NALU packet: two bytes, no CTS, no data */
  avcTwoBytes: Buffer.from([0x27, 0x01]),
  /** AVC keyframe whose one NAL unit says 1000 bytes and carries 3 */
  avcLengthPastEnd: Buffer.from([0x17, 0x01, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x65, 0x88, 0x84]),
  /** AAC raw frame (packet type 1) before the stream's AAC sequence header */
  aacRawBeforeHeader: Buffer.from([0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]),
};

before(async () => {
  server = await startServer((p) => basicConf(p,
    'hls { enabled on; hls_fragment 1; hls_window 30; hls_path ./html; hls_dispose 30; } ' +
    'dvr { enabled on; dvr_plan session; dvr_path ./dvr/[app]/[stream].mp4; }'));
});

after(async () => {
  await server.stop();
});

async function streamNamed(name: string): Promise<Stream | undefined> {
  return (await streams(server)).find((s) => s.name === name);
}

/** Media sequence number of the last segment in the playlist, -1 before there is one. */
function lastSegment(m3u8: string): { seq: number; uri: string | undefined } {
  if (!existsSync(m3u8)) return { seq: -1, uri: undefined };
  const text = readFileSync(m3u8, 'utf8');
  const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
  return { seq: first + uris.length - 1, uri: uris.at(-1) };
}

test('malformed AVC/AAC frames: the publisher stays, players play, HLS and DVR go on, counters show it', async () => {
  const media = fixtureMedia();
  const publisher = await RtmpClient.connect(server.rtmpUrl('/live/bad'), { mode: 'publish' });
  let publisherClosed = false;
  publisher.on('close', () => (publisherClosed = true));
  publisher.on('error', () => {});
  // an AAC raw frame before any sequence header opens the publish
  publisher.sendMedia(MSG.AUDIO, 0, BAD.aacRawBeforeHeader);

  let running = true;
  let base = 0;
  let badSentAt = -1;
  const start = Date.now();
  const publishing = (async () => {
    for (let loop = 0; running && !publisherClosed; loop++, base += 1000) {
      for (const m of media) {
        if (!running || publisherClosed) return;
        if (loop > 0 && m.header) continue; // headers once, at the start
        const wait = base + m.ts - (Date.now() - start);
        if (wait > 5) await sleep(wait);
        publisher.sendMedia(m.type, base + m.ts, m.body);
      }
      if (loop === 3) {
        // after 4 s of good media, the bad shapes, several times each, then good media again
        badSentAt = base + 1000;
        for (let i = 0; i < BAD_REPEATS; i++) {
          publisher.sendMedia(MSG.VIDEO, badSentAt, BAD.avcTwoBytes);
          publisher.sendMedia(MSG.VIDEO, badSentAt, BAD.avcLengthPastEnd);
        }
      }
    }
  })();

  const player = await RtmpClient.connect(server.rtmpUrl('/live/bad'), { mode: 'play' });
  const video: number[] = [];
  const bodies: Buffer[] = [];
  player.on('message', (m: RtmpMessage) => {
    if (m.typeId === MSG.VIDEO) video.push(m.timestamp);
    if (m.typeId === MSG.VIDEO || m.typeId === MSG.AUDIO) bodies.push(m.payload);
  });
  player.on('error', () => {});

  const m3u8 = join(server.dir, 'html', 'live', 'bad.m3u8');
  try {
    await waitFor('the bad frames sent', () => badSentAt >= 0, 20_000);
    const seqAtBad = lastSegment(m3u8).seq;
    // the player keeps receiving frames well after the bad ones
    await waitFor('player frames after the bad ones', () => video.filter((t) => t > badSentAt + 2000).length > 10, 20_000);
    // HLS goes on: new segments after the bad frames, and the newest decodes
    const after = await waitFor('HLS segments after the bad frames', () => {
      const l = lastSegment(m3u8);
      return l.seq >= seqAtBad + 3 && l;
    }, 20_000);
    const segment = join(server.dir, 'html', 'live', after.uri!);
    const probe = await ffprobe(segment);
    assert.ok(probe.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264'), 'the segment has H.264');
    assert.equal(await decodeErrors(segment), '', 'the segment decodes cleanly');
    assert.equal(publisherClosed, false, 'the publisher stays connected');
    for (const bad of Object.values(BAD)) assert.ok(!bodies.some((b) => b.equals(bad)), 'the player got no malformed frame');
    const s = await streamNamed('bad');
    assert.ok(s, 'the stream is listed');
    assert.equal(s.publish.active, true, 'still published');
    // the counters show it, in the list and for the one stream
    const one = await api<{ stream: Stream }>(server, `/api/v1/streams/${s.id}`);
    assert.equal(one.json.stream.tsrs_dropped_frames.refused, 1 + 2 * BAD_REPEATS);
    assert.deepEqual(one.json.stream.tsrs_errors, s.tsrs_errors);
    const metrics = await (await fetch(server.apiUrl('/metrics'))).text();
    const refused = /^tsrs_stream_dropped_frames_total\{[^}]*stream="bad"[^}]*reason="refused"\} (\d+)$/m.exec(metrics);
    assert.equal(Number(refused?.[1]), 1 + 2 * BAD_REPEATS, 'the refused frames in /metrics');
  } finally {
    running = false;
    await publishing;
    await player.close();
    await publisher.close();
  }
  // the DVR file of the publish is complete and decodes
  const dvrDir = join(server.dir, 'dvr', 'live');
  const file = await waitFor('the DVR file', () => existsSync(dvrDir) && readdirSync(dvrDir).find((f) => f.endsWith('.mp4')), 20_000);
  await sleep(1000);
  const probe = await ffprobe(join(dvrDir, file));
  assert.ok(Number(probe.format.duration) > 4, `DVR duration ${probe.format.duration}`);
  assert.equal(await decodeErrors(join(dvrDir, file)), '', 'the DVR file decodes cleanly');
});
