/** The light players' parsers, fed whole and byte by byte (headers split anywhere). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFlvHeader, encodeFlvTag } from '@tsrs/server/dist/src/kernel/flv.js';
import { encodeMessage } from '@tsrs/server/dist/src/protocol/rtmp/chunk-encoder.js';
import { setChunkSizeMessage } from '@tsrs/server/dist/src/protocol/rtmp/messages.js';
import { encodeBenchTime, wallNow } from '../src/bench-time.js';
import { FlvPlayer } from '../src/flv-player.js';
import type { Player, PlayerEnv } from '../src/player.js';
import { RtmpPlayer } from '../src/rtmp-player.js';
import { bucketQuantile } from '../src/play.js';

function env(lags: number[]): PlayerEnv {
  return { recordLag: (ms) => lags.push(ms), onPlaying() {}, onFailed: (_p, err) => assert.fail(err) };
}

/** Feeds `bytes` in pieces of `step` through the player's read path. */
function feed(p: Player, bytes: Buffer, step: number): void {
  const onBytes = (p as unknown as { onBytes(b: Buffer, n: number): void }).onBytes.bind(p);
  const scratch = Buffer.alloc(64 * 1024);
  for (let i = 0; i < bytes.length; i += step) {
    const n = bytes.copy(scratch, 0, i, Math.min(bytes.length, i + step));
    scratch.fill(0xee, n); // the shared read buffer holds garbage past n
    onBytes(scratch, n);
  }
}

function rtmpStream(sent: number): Buffer {
  const video = Buffer.alloc(1000, 0x17);
  const audio = Buffer.alloc(300, 0xaf);
  const parts: Buffer[] = [];
  // 128-byte chunks first, then the server switches to 4096
  parts.push(encodeMessage({ typeId: 9, streamId: 1, timestamp: 0, csid: 6, payload: video }, 128));
  parts.push(encodeMessage(setChunkSizeMessage(4096), 128));
  for (let i = 0; i < 5; i++) {
    parts.push(encodeMessage({ typeId: 9, streamId: 1, timestamp: 40 * i, csid: 6, payload: video }, 4096));
    parts.push(encodeMessage({ typeId: 8, streamId: 1, timestamp: 23 * i, csid: 7, payload: audio }, 4096));
  }
  parts.push(encodeMessage({ typeId: 18, streamId: 1, timestamp: 200, csid: 5, payload: encodeBenchTime(sent) }, 4096));
  // extended timestamp, split by a small chunk size
  parts.push(encodeMessage(setChunkSizeMessage(100), 4096));
  parts.push(encodeMessage({ typeId: 9, streamId: 1, timestamp: 0x1000000, csid: 6, payload: video }, 100));
  return Buffer.concat(parts);
}

for (const step of [1, 7, 100, 100_000]) {
  test(`RTMP chunk headers, read ${step} byte(s) at a time`, () => {
    const lags: number[] = [];
    const p = new RtmpPlayer('rtmp://127.0.0.1/live/s', env(lags));
    Object.assign(p, { handshake: undefined, state: 'playing', playAskedAt: 0 });
    feed(p, rtmpStream(wallNow() - 30), step);
    assert.equal(p.frames, 7);
    assert.equal(p.audio, 5);
    assert.equal(p.lastVideoTs, 0x1000000);
    assert.equal(lags.length, 1);
    assert.ok(lags[0] >= 30 && lags[0] < 1000, `lag ${lags[0]}`);
  });
}

function flvStream(sent: number): Buffer {
  const parts = [encodeFlvHeader(true, true)]; // 9-byte header + PreviousTagSize0
  for (let i = 0; i < 4; i++) {
    parts.push(encodeFlvTag(9, 40 * i, Buffer.alloc(700, 0x27)));
    parts.push(encodeFlvTag(8, 23 * i, Buffer.alloc(200, 0xaf)));
  }
  parts.push(encodeFlvTag(18, 160, encodeBenchTime(sent)));
  return Buffer.concat(parts);
}

/** HTTP/1.1 chunked coding with odd chunk sizes and an extension. */
function chunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < body.length; k++) {
    const n = Math.min(body.length - i, [1, 333, 5000, 17][k % 4]);
    out.push(Buffer.from(`${n.toString(16)}${k % 3 === 0 ? ';x=y' : ''}\r\n`), body.subarray(i, i + n), Buffer.from('\r\n'));
    i += n;
  }
  return Buffer.concat(out);
}

for (const coding of ['plain', 'chunked'] as const) {
  for (const step of [1, 13, 100_000]) {
    test(`HTTP-FLV tag headers (${coding}), read ${step} byte(s) at a time`, () => {
      const lags: number[] = [];
      const p = new FlvPlayer('http://127.0.0.1:8080/live/s.flv', env(lags));
      Object.assign(p, { playAskedAt: 0 });
      const flv = flvStream(wallNow() - 20);
      const head = `HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n${coding === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : ''}\r\n`;
      feed(p, Buffer.concat([Buffer.from(head), coding === 'chunked' ? chunked(flv) : flv]), step);
      assert.equal(p.state, 'playing');
      assert.equal(p.frames, 4);
      assert.equal(p.audio, 4);
      assert.equal(p.lastVideoTs, 120);
      assert.equal(lags.length, 1);
      assert.ok(lags[0] >= 20 && lags[0] < 1000);
    });
  }
}

test('bucketQuantile: linear within the bucket, as histogram_quantile; null without samples; past the last bound, that bound', () => {
  // 10 samples <= 1 ms, 10 in (1, 5], none in (5, 10], 80 in (10, 100]
  const b: [number, number][] = [[1, 10], [5, 20], [10, 20], [100, 100], [Infinity, 100]];
  assert.equal(bucketQuantile(b, 0.05), 0.5);
  assert.equal(bucketQuantile(b, 0.15), 3);
  assert.equal(bucketQuantile(b, 0.6), 55);
  assert.equal(bucketQuantile(b, 0.95), 94.4);
  assert.equal(bucketQuantile([[1, 0], [Infinity, 0]], 0.5), null);
  assert.equal(bucketQuantile([[1, 0], [Infinity, 4]], 0.5), 1);
});
