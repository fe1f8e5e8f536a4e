/**
 * HLS playlists over time (RFC 8216): FFmpeg publishes real media, stops and publishes the same
 * stream again while the playlist is polled over HTTP. Every version of the playlist must keep
 * EXT-X-TARGETDURATION constant and at least every EXTINF rounded up (4.3.3.1, 6.2.1), move
 * EXT-X-MEDIA-SEQUENCE by exactly the segments dropped from its head (6.2.1), continue the media
 * sequence across the republish with an EXT-X-DISCONTINUITY at the join (as SRS does: the
 * stream's HLS muxer keeps its sequence number while the playlist lives) and count the
 * discontinuities that left the window in EXT-X-DISCONTINUITY-SEQUENCE (4.3.3.3, 6.2.2).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parsePlaylist, type ParsedPlaylist } from '../src/app/hls/playlist.js';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';

const FRAGMENT = 1;
const WINDOW = 3;

let server: RunningServer;

before(async () => {
  // hls_ctx off: the playlist as written; hls_dispose long enough to outlive the republish gap
  server = await startServer((p) =>
    basicConf(p, `hls { enabled on; hls_fragment ${FRAGMENT}; hls_window ${WINDOW}; hls_path ./html; hls_ctx off; hls_dispose 60; }`));
});

after(async () => {
  await server.stop();
});

interface Snapshot extends ParsedPlaylist {
  /** the segment number in each URI ([stream]-[seq].ts) */
  seqs: number[];
}

/** Polls the playlist every 100 ms; keeps each distinct version. */
function pollPlaylist(url: string) {
  const snapshots: Snapshot[] = [];
  let last = '';
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // a keep-alive connection the server closed meanwhile: try again at the next poll
      const text = await fetch(url)
        .then(async (r) => (r.status === 200 ? r.text() : (await r.body?.cancel(), undefined)))
        .catch(() => undefined);
      if (text !== undefined) {
        if (text !== last) {
          last = text;
          const p = parsePlaylist(text);
          const seqs = p.segments.map((s) => {
            const m = /-(\d+)\.ts$/.exec(s.uri);
            assert.ok(m, `segment URI ${s.uri} carries its sequence number`);
            return Number(m[1]);
          });
          snapshots.push({ ...p, seqs });
        }
      }
      await sleep(100);
    }
  })();
  return {
    snapshots,
    latest: () => snapshots.at(-1),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

test('playlists over time: constant target duration, media and discontinuity sequences across a republish', async () => {
  const poll = pollPlaylist(server.httpUrl('/live/pl.m3u8'));
  // a keyframe every second: segments of one hls_fragment
  let pub = ffmpegPublish(server.rtmpUrl('/live/pl'), { gop: 25, rate: 25 });
  let lastSeqOfFirstPublish: number;
  try {
    // long enough for segments to leave the window several times
    await waitFor('segments slid out of the window', () => (poll.latest()?.mediaSequence ?? 0) >= 4, 30_000);
    kill(pub);
    await exitOf(pub);
    // the unpublish closes the open segment: wait until it is listed, then nothing changes
    await sleep(2000);
    lastSeqOfFirstPublish = Math.max(...poll.latest()!.seqs);
    pub = ffmpegPublish(server.rtmpUrl('/live/pl'), { gop: 25, rate: 25 });
    // until the join (the first segment of the second publish) has left the window
    await waitFor('the discontinuity left the window', () => (poll.latest()?.mediaSequence ?? 0) > lastSeqOfFirstPublish + 2, 30_000);
  } finally {
    kill(pub);
    await poll.stop();
  }
  const snaps = poll.snapshots;
  assert.ok(snaps.length >= 10, `only ${snaps.length} playlist versions seen`);

  const target = snaps[0].targetDuration;
  const joins = new Set<number>();
  for (const [i, s] of snaps.entries()) {
    const what = `playlist version ${i} (media sequence ${s.mediaSequence})`;
    assert.ok(s.segments.length > 0, `${what}: no segments`);
    // 4.3.3.1 / 6.2.1: the target duration covers every segment and never changes
    assert.equal(s.targetDuration, target, `${what}: EXT-X-TARGETDURATION changed from ${target} to ${s.targetDuration}`);
    for (const seg of s.segments) {
      assert.ok(Math.ceil(seg.duration) <= s.targetDuration, `${what}: EXTINF ${seg.duration} > target ${s.targetDuration}`);
    }
    // the media sequence is the first segment's number, the others follow one by one
    s.seqs.forEach((n, k) => assert.equal(n, s.mediaSequence + k, `${what}: segment ${k} is number ${n}`));
    for (const [k, seg] of s.segments.entries()) if (seg.discontinuity) joins.add(s.seqs[k]);
  }
  // one join, right after the last segment of the first publish: the sequence went on
  assert.deepEqual([...joins], [lastSeqOfFirstPublish + 1], `discontinuities at ${[...joins]}, the first publish ended at ${lastSeqOfFirstPublish}`);
  assert.ok(lastSeqOfFirstPublish >= 4, `the first publish ended at segment ${lastSeqOfFirstPublish}`);
  const join = lastSeqOfFirstPublish + 1;

  for (let i = 1; i < snaps.length; i++) {
    const a = snaps[i - 1];
    const b = snaps[i];
    const what = `playlist versions ${i - 1} -> ${i}`;
    // 6.2.1: the media sequence moves by the segments removed from the head, no more, no less
    const kept = a.seqs.indexOf(b.seqs[0]);
    if (kept >= 0) {
      assert.equal(b.mediaSequence - a.mediaSequence, kept, `${what}: ${kept} segments left, media sequence ${a.mediaSequence} -> ${b.mediaSequence}`);
      assert.deepEqual(b.seqs.slice(0, a.seqs.length - kept), a.seqs.slice(kept), `${what}: the kept segments stay in order`);
    } else assert.ok(b.mediaSequence > a.seqs.at(-1)!, `${what}: media sequence ${b.mediaSequence} went back`);
  }
  // 4.3.3.3 / 6.2.2: the discontinuity sequence counts the EXT-X-DISCONTINUITY tags that left the window
  for (const [i, s] of snaps.entries()) {
    const expected = s.mediaSequence > join ? 1 : 0;
    assert.equal(s.discontinuitySequence, expected, `playlist version ${i} (media sequence ${s.mediaSequence}): EXT-X-DISCONTINUITY-SEQUENCE`);
  }
  assert.ok(snaps.some((s) => s.seqs.includes(join)), 'a playlist listed the join');
  assert.ok(snaps.some((s) => s.mediaSequence > join), 'a playlist after the join left the window');
});
