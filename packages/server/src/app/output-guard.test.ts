import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import type { Packet } from '../kernel/packet.js';
import { TEST_AVC_HEADER, testAvcFrame } from '../kernel/test-avc.js';
import { Client } from './client.js';
import { OutputGuard, type OutputErrorAction, type OutputErrorEvent } from './output-guard.js';
import { DEFAULT_SOURCE_OPTIONS, Source, type SourceOutput } from './source.js';

const OPTIONS = { ...DEFAULT_SOURCE_OPTIONS, mwLatencyMs: 0, timeJitter: 'off' as const };
const AAC_HEADER = Buffer.from([0xaf, 0x00, 0x12, 0x10]);
const AAC_FRAME = Buffer.from([0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c]);

function client(closed: string[] = []): Client {
  return new Client({
    ip: '10.0.0.1', vhost: '__defaultVhost__', app: 'live', stream: 's', type: 'fmle-publish',
    transport: { close: (reason) => closed.push(reason), bytesRead: () => 0, bytesWritten: () => 0 },
  });
}

/** An output that records what it saw and throws on the packets `throwsOn` picks. */
class Probe implements SourceOutput {
  readonly seen: number[] = [];
  readonly calls: string[] = [];
  constructor(
    readonly name: string,
    private readonly throwsOn: (p: Packet) => boolean = () => false,
    private readonly action?: OutputErrorAction,
  ) {
    if (action) this.onError = () => action;
  }
  onError?: (err: unknown) => OutputErrorAction;
  onPublish(): void {
    this.calls.push('publish');
  }
  onPacket(p: Packet): void {
    if (this.throwsOn(p)) throw new Error(`${this.name} cannot take dts ${p.dts}`);
    this.seen.push(p.dts);
  }
  onUnpublish(): void {
    this.calls.push('unpublish');
  }
}

function published(events: OutputErrorEvent[] = [], closed: string[] = []): { source: Source; publisher: Client } {
  const source = new Source('__defaultVhost__', 'live', 's', OPTIONS);
  source.onOutputError = (e) => events.push(e);
  const publisher = client(closed);
  assert.ok(source.publish(publisher));
  source.onMessage('video', 0, TEST_AVC_HEADER);
  return { source, publisher };
}

const frame = (source: Source, dts: number, key = dts === 0) => source.onMessage('video', dts, testAvcFrame(64, key));

test('an output that throws is counted, reported and detached until the next publish; the others go on', () => {
  const events: OutputErrorEvent[] = [];
  const closed: string[] = [];
  const { source, publisher } = published(events, closed);
  const bad = new Probe('hls', (p) => p.dts === 40);
  const good = new Probe('dvr');
  source.addOutput(bad);
  source.addOutput(good);
  for (let dts = 0; dts <= 160; dts += 40) frame(source, dts);
  assert.deepEqual(good.seen, [0, 40, 80, 120, 160], 'the other output saw every frame');
  assert.deepEqual(bad.seen, [0], 'detached after its throw');
  assert.deepEqual(bad.calls, ['publish', 'unpublish'], 'told the publish ended, so it finishes its files');
  assert.deepEqual(Object.fromEntries(source.guard.errors), { hls: 1 });
  assert.equal(events.length, 1);
  assert.equal(events[0].output, 'hls');
  assert.equal(events[0].stage, 'onPacket');
  assert.equal(events[0].action, 'detach');
  assert.match(events[0].error, /cannot take dts 40/);
  assert.deepEqual(closed, [], 'the publisher stays');
  assert.equal(source.publisher, publisher);
  // a new publish takes it back
  source.unpublish();
  assert.ok(source.publish(client()));
  source.onMessage('video', 0, TEST_AVC_HEADER);
  frame(source, 200, true);
  assert.deepEqual(bad.seen, [0, 0, 200], 'the new sequence header and frame');
  source.close();
});

test('reopen restarts the output in place and it keeps receiving; continue only counts', () => {
  const { source } = published();
  const reopened = new Probe('hls', (p) => p.dts === 40, 'reopen');
  const going = new Probe('other', (p) => p.dts === 40, 'continue');
  source.addOutput(reopened);
  source.addOutput(going);
  for (let dts = 0; dts <= 120; dts += 40) frame(source, dts);
  assert.deepEqual(reopened.seen, [0, 80, 120]);
  assert.deepEqual(reopened.calls, ['publish', 'unpublish', 'publish']);
  assert.deepEqual(going.seen, [0, 80, 120]);
  assert.deepEqual(going.calls, ['publish']);
  assert.deepEqual(Object.fromEntries(source.guard.errors), { hls: 1, other: 1 });
  source.close();
});

test('disconnect detaches the output and kicks the publisher with an error', () => {
  const closed: string[] = [];
  const { source, publisher } = published([], closed);
  const out = new Probe('hls', () => true, 'disconnect');
  source.addOutput(out);
  frame(source, 0);
  frame(source, 40);
  assert.equal(closed.length, 1, 'kicked once');
  assert.match(closed[0], /hls/);
  assert.equal(publisher.endReason, 'error');
  assert.deepEqual(Object.fromEntries(source.guard.errors), { hls: 1 }, 'detached: the second frame never reached it');
  source.close();
});

test('an output that throws again while its error is handled is detached; nothing escapes', () => {
  const { source } = published();
  const out = new Probe('dvr', () => true);
  out.onUnpublish = () => {
    throw new Error('cannot close either');
  };
  source.addOutput(out);
  assert.doesNotThrow(() => frame(source, 0));
  assert.doesNotThrow(() => frame(source, 40));
  assert.equal(source.guard.errors.get('dvr'), 2, 'the throw and the failed ending');
  assert.equal(source.guard.isDetached(out), true);
  assert.doesNotThrow(() => source.unpublish());
  assert.doesNotThrow(() => source.close());
});

test('reports: the first error of an output, then at most one per window with the count in between', () => {
  let now = 1_000_000;
  const events: OutputErrorEvent[] = [];
  const source = new Source('__defaultVhost__', 'live', 's', OPTIONS);
  const guard = new OutputGuard(source, { report: (e) => events.push(e), kickPublisher: () => undefined }, 10_000, () => now);
  const out = new Probe('hls', () => true, 'continue');
  for (const t of [0, 1000, 2000, 9999, 10_000, 10_500, 25_000]) {
    now = 1_000_000 + t;
    guard.packet(out, { dts: t } as Packet);
  }
  assert.deepEqual(events.map((e) => [e.count, e.unreported]), [[1, 0], [5, 3], [7, 1]]);
  assert.equal(guard.errors.get('hls'), 7);
  source.close();
});

test('a player whose sink throws is closed with an error; the stream and its other players go on', async () => {
  const events: OutputErrorEvent[] = [];
  const { source } = published(events);
  const badClosed: string[] = [];
  const badPlayer = client(badClosed);
  source.addConsumer(badPlayer, { outputName: 'http-ts', write: () => { throw new Error('encoder bug'); } });
  const got: number[] = [];
  source.addConsumer(client(), { outputName: 'rtmp', write: (ps) => (got.push(...ps.map((p) => p.dts)), true) });
  frame(source, 0);
  await turn();
  frame(source, 40);
  await turn();
  await turn();
  assert.deepEqual(badClosed, ['http-ts output error']);
  assert.equal(badPlayer.endReason, 'error');
  assert.deepEqual(Object.fromEntries(source.guard.errors), { 'http-ts': 1 }, 'counted once: nothing more is written to it');
  assert.ok(got.includes(0) && got.includes(40), `the other player got both frames: ${got}`);
  assert.equal(events[0].action, 'close-player');
  source.close();
});

test('malformed frames are refused at the source: counted, reported, never passed on', async () => {
  const events: OutputErrorEvent[] = [];
  const source = new Source('__defaultVhost__', 'live', 's', OPTIONS);
  source.onOutputError = (e) => events.push(e);
  assert.ok(source.publish(client()));
  const out = new Probe('dvr');
  source.addOutput(out);
  const played: Buffer[] = [];
  source.addConsumer(client(), { write: (ps) => (played.push(...ps.map((p) => p.body)), true) });
  const bad = [
    { kind: 'audio', body: AAC_FRAME }, // AAC before its sequence header
    { kind: 'video', body: Buffer.from([0x27, 0x01]) }, // a 2-byte AVC frame
    { kind: 'video', body: Buffer.from([0x17, 0x01, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x65, 0x88]) }, // NAL unit length past the end
    { kind: 'audio', body: Buffer.from([0xaf]) }, // AAC without its packet type
  ] as const;
  source.onMessage('audio', 0, bad[0].body);
  source.onMessage('video', 0, TEST_AVC_HEADER);
  source.onMessage('audio', 0, AAC_HEADER);
  for (const b of bad.slice(1)) source.onMessage(b.kind, 10, b.body);
  const annexB = Buffer.from([0x17, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00]);
  source.onMessage('video', 20, annexB); // Annex B where lengths belong: passed on as it came
  source.onMessage('audio', 30, AAC_FRAME);
  await turn();
  await turn();
  assert.deepEqual(source.droppedFrames, { queue: 0, gop_cache: 0, refused: 4 });
  assert.deepEqual(out.seen, [0, 0, 20, 30], 'the output saw the headers and the good frames only');
  for (const b of bad.slice(1)) assert.ok(!played.some((p) => p.equals(b.body)), 'no player got a refused frame');
  assert.equal(played.filter((p) => p.equals(AAC_FRAME)).length, 1, 'the AAC frame after the header only');
  assert.ok(played.some((p) => p.equals(annexB)));
  assert.equal(source.frames, 1, 'refused frames are not counted as received frames');
  assert.equal(events.length, 1, 'reported once in the window');
  assert.equal(events[0].action, 'refuse-frame');
  assert.match(events[0].error, /AAC frame before/);
  source.close();
});
