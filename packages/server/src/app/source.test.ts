import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAmf0 } from '../kernel/amf0.js';
import { TEST_AVC_HEADER, TEST_HEVC_HEADER, testAvcFrame } from '../kernel/test-avc.js';
import { Client } from './client.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from './source.js';
import { waitFor } from '../../test/harness.js';

test('a joining player gets onMetaData, not the latest other data message', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const meta = encodeAmf0('onMetaData', { width: 320 });
  s.onMessage('script', 0, meta);
  s.onMessage('script', 40, encodeAmf0('onCuePoint', { name: 'x' }));
  const start = s.startPackets();
  assert.equal(start.length, 1);
  assert.ok(start[0].body.equals(meta));
  s.close();
});

test('sequence headers and the GOP are replayed in order; a new keyframe restarts the GOP', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const avcHeader = TEST_AVC_HEADER;
  const aacHeader = Buffer.from([0xaf, 0, 0x12, 0x10]);
  const key = Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
  const inter = Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]);
  s.onMessage('video', 0, avcHeader);
  s.onMessage('audio', 0, aacHeader);
  s.onMessage('video', 0, key);
  s.onMessage('video', 40, inter);
  assert.deepEqual(s.startPackets().map((p) => p.body), [avcHeader, aacHeader, key, inter]);
  s.onMessage('video', 80, key);
  assert.deepEqual(s.startPackets().map((p) => p.body), [avcHeader, aacHeader, key]);
  assert.equal(s.frames, 3);
  s.close();
});

test('the tracks: replaced at each sequence start and announced; an enhanced-RTMP audio start is the audio header', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const seen: unknown[] = [];
  s.onTracks = (src) => seen.push(src.tracks);
  const opusHead = Buffer.concat([Buffer.from([0x90]), Buffer.from('Opus'), Buffer.from('OpusHead'), Buffer.from([1, 2]), Buffer.alloc(9)]);
  s.onMessage('audio', 0, opusHead);
  assert.equal(seen.length, 1);
  assert.equal(s.tracks.audio?.codec, 'opus');
  assert.equal(s.audioHeader?.body, opusHead);
  assert.deepEqual(s.audio, { codec: 'Opus', sample_rate: 48000, channel: 2, profile: 'Other' });
  s.onMessage('audio', 20, Buffer.concat([Buffer.from([0x91]), Buffer.from('Opus'), Buffer.from([0xfc])]));
  assert.equal(seen.length, 1, 'frames change nothing');
  const before = s.tracks;
  s.onMessage('video', 0, TEST_HEVC_HEADER);
  assert.equal(seen.length, 2);
  assert.notEqual(s.tracks, before, 'a new record, the old one untouched');
  assert.equal(before.video, undefined);
  assert.equal(s.video?.codec, 'H265');
  assert.deepEqual(s.startPackets().slice(0, 2).map((p) => p.body[0]), [0x1c, 0x90], 'headers first');
  s.close();
});

test('sequence headers that cannot describe a track are refused and counted; the track and what players get stay as they were', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const aacHeader = Buffer.from([0xaf, 0, 0x12, 0x10]);
  s.onMessage('video', 0, TEST_AVC_HEADER);
  s.onMessage('audio', 0, aacHeader);
  s.onMessage('video', 0, testAvcFrame(64, true));
  const tracks = s.tracks;
  const fourcc = (t: string) => [...Buffer.from(t)];
  const bad: [kind: 'video' | 'audio', body: Buffer][] = [
    ['video', Buffer.from([0x17, 0, 0, 0, 0])], // AVC record missing
    ['video', Buffer.from([0x17, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xe1, 0xff, 0xff])], // garbage record
    ['video', Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1e, 0xff, 0xe0, 0x00])], // no SPS, no PPS
    ['video', Buffer.from([0x1c, 0, 0, 0, 0, 1, 2, 3])], // HEVC record that does not parse
    ['video', Buffer.from([0x90, ...fourcc('zzzz'), 1, 2, 3])], // unknown FourCC, sequence start
    ['video', Buffer.from([0x91, ...fourcc('zzzz'), 1, 2, 3])], // unknown FourCC, frame
    ['audio', Buffer.from([0xaf, 0, 0xf8, 0x00])], // AudioSpecificConfig with an escape object type cut short
    ['audio', Buffer.from([0x90, ...fourcc('Opus'), 1, 2, 3])], // OpusHead garbage
  ];
  for (const [kind, body] of bad) s.onMessage(kind, 40, body);
  assert.equal(s.droppedFrames.refused, bad.length);
  assert.equal(s.tracks, tracks, 'the tracks are untouched');
  assert.deepEqual(s.video && [s.video.codec, s.video.width], ['H264', 640]);
  assert.equal(s.audio?.codec, 'AAC');
  assert.deepEqual(s.startPackets().map((p) => p.body[0]), [0x17, 0xaf, 0x17], 'players joining get the good headers and the GOP');
  assert.ok(s.startPackets()[0].body.equals(TEST_AVC_HEADER));
  s.close();
});

test('an MP3 stream: a first frame whose header does not parse is refused; a good one describes the track', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  s.onMessage('audio', 0, Buffer.from([0x2f, 0xff, 0xfb, 0xff, 0xff]));
  assert.equal(s.droppedFrames.refused, 1);
  assert.equal(s.tracks.audio, undefined);
  // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo
  s.onMessage('audio', 26, Buffer.concat([Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(413)]));
  const audio = ((src: Source) => src.tracks.audio)(s); // (a fresh read: assert.equal above narrowed s.tracks.audio)
  assert.deepEqual([audio?.codec, audio?.sampleRate], ['mp3', 44100]);
  s.close();
});

test('time_jitter full: data messages go out at 0 as in SRS, after a republish too, while audio and video continue the timeline', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const publisher = () =>
    new Client({ ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type: 'fmle-publish', transport: { close() {}, bytesRead: () => 0, bytesWritten: () => 0 } });
  const meta = encodeAmf0('onMetaData', { width: 320 });
  const key = Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
  const inter = Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]);
  const run = () => {
    s.onMessage('script', 0, meta);
    s.onMessage('video', 0, TEST_AVC_HEADER);
    s.onMessage('video', 0, key);
    for (let t = 40; t <= 2000; t += 40) s.onMessage('video', t, inter);
    s.onMessage('script', 1000, encodeAmf0('onCuePoint', { name: 'x' }));
  };
  const seen: { kind: string; dts: number }[] = [];
  s.addOutput({ name: 'probe', onPacket: (p) => seen.push({ kind: p.kind, dts: p.dts }) });
  assert.ok(s.publish(publisher()));
  run();
  s.unpublish();
  seen.length = 0;
  assert.ok(s.publish(publisher()));
  run();
  // FFmpeg's FLV reader skips onMetaData only at 0: later, it adds a data track to what it probes
  assert.deepEqual(seen.filter((p) => p.kind === 'script').map((p) => p.dts), [0, 0]);
  assert.equal(s.startPackets()[0].dts, 0, 'a joining player\'s onMetaData');
  const video = seen.filter((p) => p.kind === 'video');
  assert.ok(video[0].dts > 2000, `the republish continues the timeline (${video[0].dts})`);
  assert.equal(video[video.length - 1].dts - video[1].dts, 2000);
  s.close();
});

/** `players` flv-play consumers of `s` whose writes each take `writeMs` of CPU, recording the dts they got and calling `onWrite`. */
function busyPlayers(s: Source, players: number, writeMs: number, onWrite: (i: number) => void) {
  const got = new Map<number, number[]>();
  for (let i = 0; i < players; i++) {
    const client = new Client({ ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type: 'flv-play', transport: { close() {}, bytesRead: () => 0, bytesWritten: () => 0 } });
    got.set(i, []);
    s.addConsumer(client, {
      write: (packets) => {
        onWrite(i);
        const until = performance.now() + writeMs;
        while (performance.now() < until);
        for (const p of packets) got.get(i)!.push(p.dts);
        return true;
      },
    });
  }
  return got;
}

test('a flush round yields to I/O after FLUSH_SLICE_MS and goes on where it stopped: a datagram that came meanwhile is handled before the round ends; packets queued mid-round reach every player, in order', { timeout: 30_000 }, async (t) => {
  const { createSocket } = await import('node:dgram');
  const { FLUSH_SLICE_MS } = await import('./source.js');
  const s = new Source('__defaultVhost__', 'live', 's', { ...DEFAULT_SOURCE_OPTIONS, mwLatencyMs: 0 });
  const PLAYERS = 200;
  const WRITE_MS = 0.5; // a round of 200 players is 100 ms of writes: ten slices or more
  const order: string[] = [];
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.after(() => {
    sock.close();
    s.close();
  });
  let live = false;
  const got = busyPlayers(s, PLAYERS, WRITE_MS, (i) => {
    if (!live) return;
    order.push(`write ${i}`);
    if (order.length > 1) return;
    // the first write of the round: a datagram to handle and a next-turn marker
    sock.send(Buffer.from('x'), sock.address().port, '127.0.0.1');
    setImmediate(() => order.push('turn'));
  });
  await new Promise((r) => setImmediate(r)); // the joining flushes (nothing queued yet)
  live = true;
  sock.once('message', () => {
    order.push('datagram');
    s.onMessage('video', 80, testAvcFrame(100, false)); // mid-round
  });
  s.onMessage('video', 0, testAvcFrame(100, true));
  s.onMessage('video', 40, testAvcFrame(100, false));
  await waitFor('every player has the three packets', () => [...got.values()].every((d) => d.length === 3), 10_000, 10);
  const turn = order.indexOf('turn');
  const datagram = order.indexOf('datagram');
  const firstRound = order.filter((o) => o.startsWith('write')).slice(0, PLAYERS);
  assert.deepEqual(new Set(firstRound).size, PLAYERS, 'the first round wrote each player once');
  // the round yielded after about one slice (checked every 4 players), not at its end
  assert.ok(turn >= 4 && turn <= Math.ceil(FLUSH_SLICE_MS / WRITE_MS) + 8, `next turn after ${turn} writes`);
  assert.ok(datagram > 0 && datagram < PLAYERS, `the datagram was handled inside the round (after ${datagram} writes)`);
  for (const [i, dts] of got) assert.deepEqual(dts, [0, 40, 80], `player ${i}`);
});

test('close() during a round that yielded flushes everyone at once; the round does not go on after it', { timeout: 30_000 }, async () => {
  const s = new Source('__defaultVhost__', 'live', 's', { ...DEFAULT_SOURCE_OPTIONS, mwLatencyMs: 0 });
  let writes = 0;
  let writesAtClose = -1;
  let writesBeforeClose = -1;
  const got = busyPlayers(s, 100, 0.5, () => {
    if (writes++ > 0) return;
    setImmediate(() => {
      writesBeforeClose = writes;
      s.close(); // between two slices of the round
      writesAtClose = writes;
    });
  });
  await new Promise((r) => setImmediate(r));
  s.onMessage('video', 0, testAvcFrame(100, true));
  await waitFor('close()', () => writesAtClose >= 0, 10_000, 10);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(writesBeforeClose < 100, `the round had yielded (${writesBeforeClose} written before close)`);
  assert.equal(writesAtClose, 100, 'close() wrote the rest');
  assert.equal(writes, 100, 'and the round did not go on');
  for (const [i, dts] of got) assert.deepEqual(dts, [0], `player ${i}`);
});

test('merged writes: players wait for mw_latency (capped at MAX_MERGE_WINDOW_MS); while an unpaused realtime (WebRTC) player is there, every player is written at the next turn', async () => {
  const s = new Source('__defaultVhost__', 'live', 's', { ...DEFAULT_SOURCE_OPTIONS, mwLatencyMs: 350 });
  const client = (type: 'flv-play' | 'rtc-play') => new Client({ ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type, transport: { close() {}, bytesRead: () => 0, bytesWritten: () => 0 } });
  const writes: { who: string; at: number }[] = [];
  s.addConsumer(client('flv-play'), { write: () => (writes.push({ who: 'flv', at: performance.now() }), true) });
  await new Promise((r) => setTimeout(r, 5)); // the joining flush
  const delayOf = async (): Promise<number> => {
    writes.length = 0;
    const sent = performance.now();
    s.onMessage('video', 0, testAvcFrame(100, true));
    await waitFor('the write', () => writes.length > 0, 2000, 1);
    return writes[0].at - sent;
  };
  const merged = await delayOf();
  assert.ok(merged >= 40, `an FLV player alone waits for the merge window (${merged.toFixed(1)} ms)`);
  const rtc = s.addConsumer(client('rtc-play'), { realtime: true, write: () => true });
  await new Promise((r) => setTimeout(r, 5));
  const realtime = await delayOf();
  assert.ok(realtime < 20, `with a WebRTC player, the next turn (${realtime.toFixed(1)} ms)`);
  // a paused one (its DTLS not up yet) does not count
  rtc.setPaused(true);
  await new Promise((r) => setTimeout(r, 60));
  assert.ok((await delayOf()) >= 40, 'a paused WebRTC player leaves the window');
  rtc.setPaused(false);
  await new Promise((r) => setTimeout(r, 60));
  assert.ok((await delayOf()) < 20, 'unpaused, the next turn again');
  s.removeConsumer(rtc);
  await new Promise((r) => setTimeout(r, 60));
  assert.ok((await delayOf()) >= 40, 'the window is back once the WebRTC player left');
  s.close();
});

test('audio older than the stream\'s first packet (a WHIP publisher\'s transcoded AAC) is left out, not piled at DTS 0; its sequence header is kept', () => {
  const s = new Source('__defaultVhost__', 'live', 's', DEFAULT_SOURCE_OPTIONS);
  const dts: number[] = [];
  s.addOutput({ name: 'test', onPacket: (p) => void (p.kind === 'audio' && !p.sequenceHeader && dts.push(p.dts)) });
  s.publish(new Client({ ip: '10.0.0.1', transport: { close() {}, bytesRead: () => 0, bytesWritten: () => 0 } }));
  s.onMessage('video', 1000, TEST_AVC_HEADER);
  s.onMessage('video', 1000, testAvcFrame(100, true));
  s.onMessage('video', 1040, testAvcFrame(100, false));
  // the AAC arrives a second late, its first frames from before the first video frame
  s.onMessage('audio', 700, Buffer.from([0xaf, 0, 0x12, 0x10]));
  for (let t = 700; t <= 1100; t += 21) s.onMessage('audio', t, Buffer.from([0xaf, 1, 0x21, 0, 0x03]));
  assert.ok(s.tracks.audio, 'the AAC sequence header describes the audio track');
  assert.deepEqual(dts, [15, 36, 57, 78, 99]);
  assert.equal(s.beforeStartFrames, 15);
  s.close();
});
