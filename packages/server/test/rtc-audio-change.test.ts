/**
 * WebRTC players of an RTMP stream whose AAC changes: a publisher (raw RTMP, FLV tags FFmpeg
 * made) that sends video first and its AAC sequence header seconds later, then switches to AAC
 * of another sample rate and channel count (a new sequence header mid-stream). The players'
 * Opus track follows: Opus arrives after the late header and keeps arriving after the change.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FlvDemuxer } from '../src/kernel/flv.js';
import { classifyAudio } from '../src/kernel/flv-tag.js';
import { RtmpClient } from '../src/protocol/rtmp/client-session.js';
import { basicConf, freePort, startServer, tempDir, type RunningServer } from './harness.js';
import { connectedWhepPlayer } from './rtc-helpers.js';

let server: RunningServer;

before(async () => {
  const udp = await freePort();
  server = await startServer((p) => basicConf(p, 'rtc { enabled on; rtmp_to_rtc on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`));
});

after(async () => {
  await server?.stop();
});

interface Tag {
  type: number;
  ts: number;
  body: Buffer;
  header: boolean;
}

/** An FLV of FFmpeg's: 12 s of H.264 320x240 at 25 fps (GOP 1 s) and a sine in AAC at `rate` Hz and `channels`. */
async function flv(dir: string, rate: number, channels: number): Promise<Tag[]> {
  const file = join(dir, `av-${rate}-${channels}.flv`);
  await promisify(execFile)('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=12',
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=12`,
    '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '25',
    '-c:a', 'aac', '-ar', String(rate), '-ac', String(channels), '-b:a', '64k',
    '-f', 'flv', file,
  ]);
  return new FlvDemuxer()
    .push(readFileSync(file))
    .filter((t) => t.type === 8 || t.type === 9)
    .map((t) => ({ type: t.type, ts: t.timestamp, body: Buffer.from(t.body), header: t.type === 8 && classifyAudio(t.body).sequenceStart }));
}

test('AAC whose sequence header comes after the video, then changes rate and channels: WebRTC players keep getting Opus', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('tsrs-rtc-aac-');
  const [first, second] = await Promise.all([flv(dir, 44_100, 2), flv(dir, 22_050, 1)]);
  const audio = (tags: Tag[], from: number, to: number) => [
    ...tags.filter((x) => x.type === 8 && x.header).map((x) => ({ ...x, ts: from })),
    ...tags.filter((x) => x.type === 8 && !x.header && x.ts >= from && x.ts < to),
  ];
  // video all along; AAC 44.1 kHz stereo from 3 s (its sequence header then), AAC 22.05 kHz mono from 7 s
  const LATE = 3000;
  const CHANGE = 7000;
  const schedule = [...first.filter((x) => x.type === 9), ...audio(first, LATE, CHANGE), ...audio(second, CHANGE, 12_000)].sort((a, b) => a.ts - b.ts || Number(b.header) - Number(a.header));

  const publisher = await RtmpClient.connect(`rtmp://127.0.0.1:${server.ports.rtmp}/live/change`, { mode: 'publish' });
  t.after(() => publisher.close().catch(() => undefined));
  const player = await connectedWhepPlayer(server, 'app=live&stream=change');
  t.after(() => player.pc.close());

  // the tags in real time; the player's Opus count when the late header and the change are due
  const t0 = Date.now();
  const marks: Record<string, number> = {};
  for (const tag of schedule) {
    const wait = t0 + tag.ts - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (tag.type === 8 && tag.header) marks[tag.ts === LATE ? 'late' : 'change'] = player.audioPackets;
    publisher.sendMedia(tag.type, tag.ts, tag.body);
  }
  await new Promise((r) => setTimeout(r, 1500)); // the transcoder's delay
  const end = player.audioPackets;
  assert.ok(player.units > 150, `${player.units} video access units`);
  assert.equal(marks.late, 0, 'no Opus before the stream had AAC');
  // 4 s of each AAC: 200 Opus packets of 20 ms; half of that allows for the transcoder's start
  assert.ok(marks.change - marks.late >= 100, `${marks.change - marks.late} Opus packets after the late sequence header`);
  assert.ok(end - marks.change >= 100, `${end - marks.change} Opus packets after the change to 22.05 kHz mono`);
});
