import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlaylist, renderPlaylist, slideWindow, targetDuration, type PlaylistEntry } from './playlist.js';
import { renderPath } from './path-template.js';

const entry = (seq: number, duration: number, extra: Partial<PlaylistEntry> = {}): PlaylistEntry => ({
  seq, duration, uri: `s-${seq}.ts`, file: `/x/s-${seq}.ts`, discontinuity: false, ...extra,
});

test('playlist: SRS layout, media sequence from the first entry, 3 decimals', () => {
  const text = renderPlaylist([entry(4, 2.04), entry(5, 1.96)], { minTargetDuration: 2, version: 3 });
  assert.equal(text, [
    '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-MEDIA-SEQUENCE:4', '#EXT-X-TARGETDURATION:3',
    '#EXTINF:2.040, no desc', 's-4.ts', '#EXTINF:1.960, no desc', 's-5.ts', '',
  ].join('\n'));
  const p = parsePlaylist(text);
  assert.equal(p.mediaSequence, 4);
  assert.deepEqual(p.segments.map((s) => s.uri), ['s-4.ts', 's-5.ts']);
});

test('playlist: target duration is at least fragment x td_ratio and covers the longest segment', () => {
  assert.equal(targetDuration([], 10), 10);
  assert.equal(targetDuration([entry(0, 3.2)], 2), 4);
  assert.equal(targetDuration([entry(0, 2.0004)], 2), 2); // rounding noise does not bump it
  assert.equal(targetDuration([entry(0, 1)], 1.5), 2);
  // whole ms, rounded up like SRS: every EXTINF as written rounds up to at most the target
  assert.equal(targetDuration([entry(0, 2.001)], 1), 3);
  assert.equal(targetDuration([entry(0, 2.0004)], 1), 2);
});

test('playlist: EXT-X-DISCONTINUITY-SEQUENCE before the segments, only when above 0', () => {
  const list = [entry(7, 2), entry(8, 2, { discontinuity: true })];
  assert.doesNotMatch(renderPlaylist(list, { minTargetDuration: 2, version: 3, discontinuitySequence: 0 }), /DISCONTINUITY-SEQUENCE/);
  const text = renderPlaylist(list, { minTargetDuration: 2, version: 3, discontinuitySequence: 2 });
  assert.equal(text.split('\n').slice(0, 5).join('\n'),
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXT-X-TARGETDURATION:2');
  const p = parsePlaylist(text);
  assert.equal(p.discontinuitySequence, 2);
  assert.deepEqual(p.segments.map((s) => s.discontinuity), [false, true]);
  assert.equal(parsePlaylist(renderPlaylist(list, { minTargetDuration: 2, version: 3 })).discontinuitySequence, 0);
  assert.throws(() => parsePlaylist('#EXTM3U\n#EXTINF:2,\na.ts\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n'), /after a media segment/);
});

test('playlist: discontinuity and EXT-X-MAP once per init', () => {
  const text = renderPlaylist(
    [entry(0, 2, { map: 'init.mp4' }), entry(1, 2, { map: 'init.mp4', discontinuity: true })],
    { minTargetDuration: 2, version: 7 },
  );
  assert.equal(text.match(/#EXT-X-MAP:URI="init.mp4"/g)?.length, 1);
  assert.match(text, /#EXT-X-VERSION:7/);
  const p = parsePlaylist(text);
  assert.equal(p.map, 'init.mp4');
  assert.deepEqual(p.segments.map((s) => s.discontinuity), [false, true]);
});

test('window: drops the oldest until the total fits, never the newest', () => {
  const list = [entry(0, 4), entry(1, 4), entry(2, 4), entry(3, 4)];
  const dropped = slideWindow(list, 10);
  assert.deepEqual(dropped.map((e) => e.seq), [0, 1]);
  assert.deepEqual(list.map((e) => e.seq), [2, 3]);
  const one = [entry(9, 30)];
  assert.deepEqual(slideWindow(one, 10), []);
  assert.equal(one.length, 1);
});

test('path template: stream, seq, duration (ms), date parts and timestamp', () => {
  const time = new Date(Date.UTC(2015, 0, 10, 9, 57, 30, 776));
  const vars = { vhost: 'v.net', app: 'live', stream: 's', seq: 7, duration: 2.0405, time, utc: true };
  assert.equal(renderPath('[app]/[stream]-[seq].ts', vars), 'live/s-7.ts');
  assert.equal(renderPath('[vhost]/[app]/[stream].m3u8', vars), 'v.net/live/s.m3u8');
  assert.equal(renderPath('[2006]/[01]/[02]/[15].[04].[05].[999]-[duration].ts', vars), '2015/01/10/09.57.30.776-2041.ts');
  assert.equal(renderPath('[stream]-[timestamp].ts', vars), `s-${time.getTime()}.ts`);
  assert.equal(renderPath('[stream]-[timestamp].ts', { ...vars, timestamp: 42 }), 's-42.ts');
  // unknown variables stay as written
  assert.equal(renderPath('[app]/[nope].ts', vars), 'live/[nope].ts');
});
