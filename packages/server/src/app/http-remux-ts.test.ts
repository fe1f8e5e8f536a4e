import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { TsMuxer } from '../kernel/mpegts.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../kernel/test-avc.js';
import { Client } from './client.js';
import { remuxEncoder } from './http-remux.js';
import { MAX_TS_REOPENS, SharedTsRemux } from './http-remux-ts.js';
import type { OutputErrorEvent } from './output-guard.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from './source.js';

const OPTIONS = { ...DEFAULT_SOURCE_OPTIONS, mwLatencyMs: 0, timeJitter: 'off' as const };

function client(closed: string[] = []): Client {
  return new Client({
    ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type: 'fmle-publish',
    transport: { close: (reason) => closed.push(reason), bytesRead: () => 0, bytesWritten: () => 0 },
  });
}

/** A published H.264 source, a shared TS remuxer on it, and an HTTP-TS player writing what its encoder gives. */
function setup() {
  const events: OutputErrorEvent[] = [];
  const source = new Source('__defaultVhost__', 'live', 's', OPTIONS);
  source.onOutputError = (e) => events.push(e);
  assert.ok(source.publish(client()));
  source.onMessage('video', 0, TEST_AVC_HEADER);
  const closed: string[] = [];
  const player = client(closed);
  const got: { dts: number; bytes: Buffer }[] = [];
  const encoder = remuxEncoder('ts', source, { hasAudio: false, hasVideo: true });
  source.addConsumer(player, {
    outputName: 'http-ts',
    write: (ps) => {
      for (const p of ps) {
        const bytes = encoder.encode(p);
        if (bytes) got.push({ dts: p.dts, bytes });
      }
      return true;
    },
  });
  const frame = async (dts: number, key: boolean) => {
    source.onMessage('video', dts, testAvcFrame(64, key));
    await turn();
  };
  return { source, events, closed, got, frame, encoder };
}

/** Makes TsMuxer.writeTables (called at each keyframe) throw while `fn` runs: a bug inside the remuxer. */
async function withBrokenTables(fn: () => Promise<void>): Promise<void> {
  const original = TsMuxer.prototype.writeTables;
  TsMuxer.prototype.writeTables = function () {
    throw new Error('remuxer bug');
  };
  try {
    await fn();
  } finally {
    TsMuxer.prototype.writeTables = original;
  }
}

test('an error in the shared HTTP-TS remuxer: it starts over at the next keyframe (PAT first) and its players go on', async () => {
  const { source, events, closed, got, frame } = setup();
  await frame(0, true);
  await frame(40, false);
  assert.deepEqual(got.map((g) => g.dts), [0, 40]);
  // the error: the remuxer was created at dts 0, so the next keyframe's tables throw
  await withBrokenTables(() => frame(80, true));
  await frame(120, false); // not decodable without the keyframe: nothing
  await frame(160, true);
  await frame(200, false);
  assert.deepEqual(events.map((e) => [e.output, e.action]), [['http-ts', 'reopen']]);
  assert.deepEqual(got.map((g) => g.dts), [0, 40, 160, 200], 'the player gets TS again from the next keyframe');
  const restart = got[2].bytes;
  assert.equal(restart[0], 0x47);
  assert.equal(((restart[1] & 0x1f) << 8) | restart[2], 0, 'the restart begins with a PAT');
  assert.deepEqual(closed, []);
  source.close();
});

test(`more than ${MAX_TS_REOPENS} errors in a minute: the remuxer is detached and its players are ended (not left waiting); the next publish serves again`, async () => {
  const { source, events, closed, got, frame } = setup();
  await frame(0, true);
  const remux = SharedTsRemux.acquire(source);
  remux.release();
  await withBrokenTables(async () => {
    for (let i = 1; i <= MAX_TS_REOPENS + 2; i++) await frame(i * 80, true);
  });
  // the remuxer's errors up to its detachment, then one for the player whose write now throws
  // (players count under the same output name, http-ts); nothing more reaches either
  assert.equal(source.guard.errors.get('http-ts'), MAX_TS_REOPENS + 2);
  assert.equal(events[0].action, 'reopen', 'the first error (the others are counted, reported at a limited rate)');
  assert.equal(remux.failed, true);
  await frame(1000, false);
  assert.equal(source.guard.errors.get('http-ts'), MAX_TS_REOPENS + 2);
  assert.deepEqual(closed, ['http-ts output error'], 'the player is ended, so it can reconnect');
  assert.deepEqual(got.map((g) => g.dts), [0]);
  // a new publish: the remuxer serves again
  source.unpublish();
  assert.ok(source.publish(client()));
  source.onMessage('video', 0, TEST_AVC_HEADER);
  assert.equal(remux.failed, false);
  source.close();
});
