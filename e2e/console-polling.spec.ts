/**
 * Unit tests of the console's polling fallback (no browser, no server): without socket.io the
 * REST answers become live samples whose rates and times come from the server's timestamps
 * (`live_ms`, `srs_sample_time`, `now_ms`), never the browser's clock, and a stream's history
 * from the server starts its series.
 */
import { expect, test } from '@playwright/test';
import type { LiveStreamHistory, Stream, Summaries } from '../packages/api-types/src/index';
import { live } from '../apps/console/src/lib/live-store';
import { streamsFromRest, summaryFromRest, type StreamMark } from '../apps/console/src/lib/rest-live';

const stream = (liveMs: number, frames: number, recv: number, send: number): Stream => ({
  id: 'vid-1',
  name: 's',
  vhost: 'vid-v',
  app: 'live',
  tcUrl: 'rtmp://127.0.0.1/live',
  url: '/live/s',
  live_ms: liveMs,
  clients: 2,
  frames,
  send_bytes: send,
  recv_bytes: recv,
  kbps: { recv_30s: 111, send_30s: 222 },
  publish: { active: true, cid: 'c1' },
  video: null,
  audio: null,
});

test('stream fps and kbps are counter deltas over the server times of two answers, however fast they are polled', () => {
  const marks = new Map<string, StreamMark>();
  // first answer: no fps yet, the server's 30 s kbps
  const [a] = streamsFromRest([stream(1_000_000, 100, 0, 0)], marks);
  expect(a.fps).toBeNull();
  expect(a.kbps).toEqual({ recv: 111, send: 222 });
  expect(a.now_ms).toBe(1_000_000);
  // two answers the server wrote 2 s apart, read here back to back: 50 frames, 250 000 bytes in
  const [b] = streamsFromRest([stream(1_002_000, 150, 250_000, 125_000)], marks);
  expect(b.fps).toBe(25);
  expect(b.kbps).toEqual({ recv: 1000, send: 500 });
  expect(b.now_ms).toBe(1_002_000);
  // the same answer again (a cached or repeated poll): no rate out of a zero interval
  const [c] = streamsFromRest([stream(1_002_000, 150, 250_000, 125_000)], marks);
  expect(c.fps).toBeNull();
});

test('server kbps is the byte counters over srs_sample_time, and the sample is at now_ms', () => {
  const summaries = (t: number, recv: number, send: number): Summaries =>
    ({
      ok: true,
      now_ms: t,
      self: { version: '6', pid: 1, ppid: 0, argv: '', cwd: '', mem_kbyte: 1000, mem_percent: 0.01, cpu_percent: 0.05, srs_uptime: 10 },
      system: { srs_sample_time: t, srs_recv_bytes: recv, srs_send_bytes: send, conn_srs: 3 },
    }) as unknown as Summaries;
  const prev = summaries(5_000_000, 1_000_000, 0);
  const s = summaryFromRest(summaries(5_004_000, 1_500_000, 250_000), prev, undefined);
  expect(s.kbps).toEqual({ recv: 1000, send: 500 });
  expect(s.now_ms).toBe(5_004_000);
  live.reset();
  live.pushSummary(s);
  expect(live.get().summarySeries.at(-1)!.t).toBe(5_004_000);
});

test("a stream's server history starts its series; live samples after it are kept, older ones not doubled", () => {
  live.reset();
  const [first] = streamsFromRest([stream(2_000_000, 10, 0, 0)], new Map());
  live.pushStreams([first]);
  live.pushStreams([{ ...first, now_ms: 2_001_000 }]);
  const h: LiveStreamHistory = {
    stream: 'vid-1',
    interval_ms: 1000,
    capacity: 600,
    samples: [1_997_000, 1_998_000, 1_999_000, 2_000_000].map((t) => ({ t, recv_kbps: 800, send_kbps: 0, fps: 25, keyframe_interval_ms: 1000, clients: 1 })),
  };
  live.loadStreamHistory(h);
  const series = live.get().streamSeries['vid-1'];
  expect(series.map((p) => p.t)).toEqual([1_997_000, 1_998_000, 1_999_000, 2_000_000, 2_001_000]);
  expect(series[0]).toEqual({ t: 1_997_000, recv: 800, send: 0, fps: 25, gop: 1000, clients: 1 });
});
