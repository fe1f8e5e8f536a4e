import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../config/config.js';
import { createLogger } from '../../log.js';
import { EventBus, type LimitEvent } from '../events.js';
import { Client } from '../client.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from '../source.js';
import { HlsOutput } from './hls-output.js';
import { parsePlaylist } from './playlist.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../../kernel/test-avc.js';
import { TsDemuxer } from '../../kernel/mpegts-demux.js';

const MB = 1024 * 1024;

function setup(hls: string, opts: { blockDir?: boolean; closed?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-hls-out-'));
  // a regular file where the stream's directory goes: every segment and playlist write fails
  if (opts.blockDir) writeFileSync(join(dir, 'live'), 'not a directory');
  const { config } = parseConfigText(`listen 1935;\nvhost __defaultVhost__ { hls { enabled on; hls_path ${dir}; ${hls} } }\n`);
  const source = new Source('__defaultVhost__', 'live', 's', { ...DEFAULT_SOURCE_OPTIONS, gopCache: false, timeJitter: 'off' });
  const limits: LimitEvent[] = [];
  source.onLimit = (e) => limits.push(e);
  const out = new HlsOutput(source, {
    config: () => config.getVhost('__defaultVhost__')?.hls,
    utcTime: () => false,
    bus: new EventBus(),
    log: createLogger({ level: 'silent' }),
    onIdle: () => undefined,
  });
  source.addOutput(out);
  const closed = opts.closed ?? [];
  source.publish(new Client({
    ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type: 'fmle-publish',
    transport: { close: (reason) => closed.push(reason), bytesRead: () => 0, bytesWritten: () => 0 },
  }));
  source.onMessage('video', 0, TEST_AVC_HEADER);
  const segments = () =>
    existsSync(join(dir, 'live'))
      ? readdirSync(join(dir, 'live'))
          .filter((f) => f.endsWith('.ts'))
          .map((f) => statSync(join(dir, 'live', f)).size)
      : [];
  const playlist = () => parsePlaylist(readFileSync(join(dir, 'live', 's.m3u8'), 'utf8'));
  return { source, out, limits, segments, playlist, dir };
}

test('HLS: with no keyframe, advancing timestamps cut at hls_fragment x hls_aof_ratio', { timeout: 30_000 }, async () => {
  const { source, out, limits, segments } = setup('hls_fragment 1; hls_aof_ratio 2; hls_window 100; hls_max_segment_bytes 0;');
  const inter = testAvcFrame(100_000, false);
  source.onMessage('video', 0, testAvcFrame(100_000, true));
  for (let i = 1; i <= 100; i++) source.onMessage('video', i * 100, inter); // 10 s, no keyframe
  await out.idle();
  const sizes = segments();
  assert.ok(sizes.length >= 4, `${sizes.length} segments`);
  // 2 s of 10 fps 100 kB frames = ~2 MB each (plus TS overhead)
  for (const s of sizes) assert.ok(s < 2.5 * MB, `segment of ${s} bytes`);
  assert.equal(limits.length, 0);
  source.unpublish();
  await out.idle();
});

test('HLS: a segment due without a keyframe asks the publisher for one, once a segment', { timeout: 30_000 }, async () => {
  const { source, out, segments } = setup('hls_fragment 1; hls_aof_ratio 10; hls_window 100; hls_max_segment_bytes 0;');
  const asked: number[] = [];
  let dts = 0;
  source.requestKeyframe = () => (asked.push(dts), true);
  const inter = testAvcFrame(1000, false);
  source.onMessage('video', 0, testAvcFrame(1000, true));
  // 4 s of 10 fps without a keyframe: asked once, at 1 s
  for (dts = 100; dts <= 4000; dts += 100) source.onMessage('video', dts, inter);
  assert.deepEqual(asked, [1000]);
  // the keyframe it asked for ends the segment; the next one asks again at its own 1 s
  source.onMessage('video', (dts = 4100), testAvcFrame(1000, true));
  for (dts = 4200; dts <= 5500; dts += 100) source.onMessage('video', dts, inter);
  assert.deepEqual(asked, [1000, 5100]);
  await out.idle();
  assert.equal(segments().length, 1, 'one segment written, cut at the keyframe');
  source.unpublish();
  await out.idle();
});

test('HLS: constant timestamps drop the segment at hls_max_segment_bytes and wait for a keyframe', { timeout: 30_000 }, async () => {
  const { source, out, limits, segments } = setup('hls_fragment 1; hls_window 100; hls_max_segment_bytes 2097152;');
  const inter = testAvcFrame(100_000, false);
  source.onMessage('video', 0, testAvcFrame(100_000, true));
  for (let i = 1; i <= 200; i++) source.onMessage('video', 0, inter);
  assert.equal(limits.length, 1, 'dropped once, then nothing is held until a keyframe');
  assert.equal(limits[0].directive, 'hls_max_segment_bytes');
  // a keyframe starts a new segment; one second later it is written as usual
  source.onMessage('video', 0, testAvcFrame(100_000, true));
  source.onMessage('video', 1000, testAvcFrame(100_000, true));
  source.onMessage('video', 2000, testAvcFrame(100_000, true));
  await out.idle();
  const sizes = segments();
  assert.equal(sizes.length, 2);
  for (const s of sizes) assert.ok(s < 2 * MB);
  source.unpublish();
  await out.idle();
});

test('HLS: the target duration never shrinks; a republish continues the sequence and counts its join once it leaves', { timeout: 30_000 }, async () => {
  const { source, out, playlist } = setup('hls_fragment 1; hls_window 3; hls_max_segment_bytes 0;');
  const key = testAvcFrame(1000, true);
  // a 3 s GOP, then 1 s ones: the long segment leaves the window, the target stays
  source.onMessage('video', 0, key);
  for (const t of [3000, 4000, 5000, 6000, 7000, 8000]) source.onMessage('video', t, key);
  await out.idle();
  let p = playlist();
  assert.ok(p.segments.every((s) => s.duration === 1), `the 3 s segment left: ${p.segments.map((s) => s.duration)}`);
  assert.equal(p.targetDuration, 3);
  assert.equal(p.mediaSequence, 3);
  source.unpublish();
  await out.idle();
  const lastSeq = playlist().mediaSequence + playlist().segments.length - 1;
  // the same stream again, its timestamps from 0
  source.publish({ tcUrl: '' } as never);
  source.onMessage('video', 0, TEST_AVC_HEADER);
  source.onMessage('video', 0, key);
  source.onMessage('video', 1000, key);
  await out.idle();
  p = playlist();
  assert.equal(p.mediaSequence + p.segments.length - 1, lastSeq + 1, 'the sequence goes on');
  assert.equal(p.segments.at(-1)!.discontinuity, true, 'the join is marked');
  assert.equal(p.discontinuitySequence, 0);
  for (const t of [2000, 3000, 4000, 5000]) source.onMessage('video', t, key);
  await out.idle();
  p = playlist();
  assert.ok(p.mediaSequence > lastSeq + 1, 'the join left the window');
  assert.ok(p.segments.every((s) => !s.discontinuity));
  assert.equal(p.discontinuitySequence, 1);
  assert.equal(p.targetDuration, 3);
  source.unpublish();
  await out.idle();
});

test('hls_on_error: continue reopens HLS (the next segment after a discontinuity), ignore stops it until the next publish', { timeout: 30_000 }, async () => {
  for (const policy of ['continue', 'ignore'] as const) {
    const { source, out, playlist } = setup(`hls_fragment 1; hls_window 100; hls_on_error ${policy};`);
    const frames = (from: number, to: number) => {
      for (let i = from; i < to; i++) source.onMessage('video', i * 100, testAvcFrame(1000, i % 5 === 0));
    };
    frames(0, 25);
    await out.idle();
    const before = playlist().segments.length;
    assert.ok(before >= 1, `${policy}: segments before the error`);
    // the segmenter trips on the next frame (a bug, as the guard sees it)
    const builder = (out as unknown as { builder: { add(p: unknown): void } }).builder;
    builder.add = () => {
      throw new Error('segmenter bug');
    };
    frames(25, 60);
    await out.idle();
    assert.equal(source.guard.errors.get('hls'), 1, `${policy}: counted once`);
    const after = playlist();
    if (policy === 'continue') {
      assert.ok(after.segments.length >= before + 2, `continue: segments after the error (${before} -> ${after.segments.length})`);
      assert.ok(after.segments.slice(before).some((s) => s.discontinuity), 'continue: the reopened segments start after a discontinuity');
    } else {
      assert.equal(after.segments.length, before + 1, 'ignore: the open segment is closed and nothing more is written');
    }
    source.close();
  }
  const { out } = setup('hls_on_error disconnect;');
  assert.equal(out.onError(), 'disconnect');
});

test('hls_on_error applies to file write failures too (the HLS directory cannot be made): counted in the stream\'s errors; continue goes on, ignore stops HLS, disconnect kicks the publisher', { timeout: 30_000 }, async () => {
  for (const policy of ['continue', 'ignore', 'disconnect'] as const) {
    const closed: string[] = [];
    const { source, out } = setup(`hls_fragment 1; hls_window 100; hls_on_error ${policy};`, { blockDir: true, closed });
    for (let i = 0; i < 40; i++) source.onMessage('video', i * 100, testAvcFrame(1000, i % 5 === 0));
    await out.idle();
    const errors = source.guard.errors.get('hls') ?? 0;
    assert.ok(errors >= 1, `${policy}: the failed writes are counted (${errors})`);
    if (policy === 'continue') {
      assert.equal(source.guard.isDetached(out), false, 'continue: HLS keeps trying');
      assert.ok(errors >= 2, `continue: each failing segment counts (${errors})`);
    } else {
      assert.equal(source.guard.isDetached(out), true, `${policy}: HLS stopped until the next publish`);
      assert.equal(errors, 1, `${policy}: nothing more is tried, nothing more counted`);
    }
    assert.deepEqual(closed, policy === 'disconnect' ? ['hls output error (on_error disconnect)'] : [], `${policy}: the publisher`);
    source.close();
  }
});

test('audio that starts after the video (a WHIP publisher\'s transcoded audio, a late encoder): the next segment carries both tracks, after a discontinuity', { timeout: 30_000 }, async () => {
  for (const fmp4 of [false, true]) {
    const { source, out, dir } = setup(`hls_fragment 1; hls_window 100; hls_use_fmp4 ${fmp4 ? 'on' : 'off'};`);
    for (let i = 0; i < 30; i++) source.onMessage('video', i * 100, testAvcFrame(1000, i % 5 === 0)); // 3 s of video alone
    source.onMessage('audio', 3000, Buffer.from([0xaf, 0, 0x12, 0x10])); // AAC-LC 44.1 kHz stereo
    for (let i = 30; i < 60; i++) {
      source.onMessage('video', i * 100, testAvcFrame(1000, i % 5 === 0));
      source.onMessage('audio', i * 100, Buffer.from([0xaf, 1, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]));
    }
    await out.idle();
    const text = readFileSync(join(dir, 'live', 's.m3u8'), 'utf8');
    const pl = parsePlaylist(text);
    const firstWithAudio = pl.segments.findIndex((seg) => seg.discontinuity);
    assert.ok(firstWithAudio > 0, `${fmp4 ? 'fMP4' : 'TS'}: a discontinuity when the audio track appears: ${pl.segments.map((x) => x.discontinuity)}`);
    const last = readFileSync(join(dir, 'live', pl.segments[pl.segments.length - 1].uri));
    if (fmp4) {
      const maps = [...text.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((m) => m[1]);
      assert.equal(maps.length, 2, `fMP4: a new init segment: ${maps}`);
      assert.ok(!readFileSync(join(dir, 'live', maps[0])).includes(Buffer.from('mp4a')), 'fMP4: the first init segment is video only');
      assert.ok(readFileSync(join(dir, 'live', maps[1])).includes(Buffer.from('mp4a')), 'fMP4: the new init segment has the audio track');
    } else {
      const d = new TsDemuxer();
      const units = [...d.push(last), ...d.end()];
      assert.ok(units.some((u) => u.codec === 'aac'), `TS: the last segment carries AAC (${[...new Set(units.map((u) => u.codec))]})`);
      assert.ok(units.some((u) => u.codec === 'h264'));
    }
    source.close();
  }
});
