import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../app/client.js';
import { Hub } from '../app/hub.js';
import { DEFAULT_SOURCE_OPTIONS } from '../app/source.js';
import type { Logger } from '../log.js';
import { HistoryRecorder, type HistorySink } from './recorder.js';
import { TEST_AVC_HEADER } from '../kernel/test-avc.js';

type Call = [string, ...unknown[]];

function fakeSink(): HistorySink & { calls: Call[]; of(name: string): unknown[][] } {
  const calls: Call[] = [];
  const rec = (name: string) => (...a: unknown[]) => void calls.push([name, ...a]);
  return {
    calls,
    of: (name) => calls.filter((c) => c[0] === name).map((c) => c.slice(1)),
    streamStarted: rec('streamStarted'),
    streamUpdated: rec('streamUpdated'),
    streamEnded: rec('streamEnded'),
    clientStarted: rec('clientStarted'),
    clientEnded: rec('clientEnded'),
    event: rec('event'),
  };
}

const log = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} } as unknown as Logger;

/** A client whose byte counters the test moves by hand. */
function client(type: Client['type'], id: string) {
  const bytes = { read: 0, written: 0 };
  const c = new Client({
    id, ip: '10.0.0.1', type, vhost: '__defaultVhost__', app: 'live', stream: 's', tcUrl: 'rtmp://h/live',
    transport: { close: () => {}, bytesRead: () => bytes.read, bytesWritten: () => bytes.written },
  });
  return { c, bytes };
}

const sink0 = { write: () => true };
// AVC sequence header (keyframe, packet type 0) with a minimal avcC is enough for "something is known"
const avcHeader = TEST_AVC_HEADER;

test('a publish and its players: one stream session, client sessions, bytes per session across a republish', () => {
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const sink = fakeSink();
  const rec = new HistoryRecorder(hub.bus, sink, log);
  try {
    const pub = client('fmle-publish', 'pub1');
    const source = hub.publish(pub.c)!;
    const player = client('flv-play', 'play1');
    player.bytes.written = 100; // HTTP headers before the play
    const consumer = hub.play(player.c, sink0);
    source.recvBytes += 5000;
    player.bytes.written = 1100;

    const [started] = sink.of('streamStarted') as [{ id: string; clientId: string; protocol: string }][];
    const id = started[0].id;
    assert.equal(started[0].clientId, 'pub1');
    assert.equal(started[0].protocol, 'rtmp');
    assert.deepEqual(rec.liveStream(id), { in: 5000, out: 1000 });
    assert.deepEqual(rec.liveClient('play1'), { in: 0, out: 1100 });
    const kinds = sink.of('clientStarted').map(([c]) => [(c as { id: string }).id, (c as { kind: string }).kind, (c as { url: string }).url]);
    assert.deepEqual(kinds, [['pub1', 'publish', 'rtmp://h/live/s'], ['play1', 'play', 'rtmp://h/live/s.flv']]);

    // the publisher is kicked: the session ends with its bytes and reason
    pub.c.endReason = 'kicked';
    hub.unpublish(pub.c);
    hub.removeClient(pub.c);
    const [[endId, end]] = sink.of('streamEnded') as [string, { bytesIn: number; bytesOut: number; reason: string }][];
    assert.equal(endId, id);
    assert.deepEqual([end.bytesIn, end.bytesOut, end.reason], [5000, 1000, 'kicked']);
    assert.deepEqual(sink.of('clientEnded')[0].slice(0, 1), ['pub1']);
    assert.equal((sink.of('clientEnded')[0][1] as { reason: string }).reason, 'kicked');
    assert.equal(rec.liveStream(id), undefined);

    // a new publish of the same stream is a new session; the waiting player's bytes count from now
    const pub2 = client('fmle-publish', 'pub2');
    hub.publish(pub2.c);
    source.recvBytes += 700;
    player.bytes.written = 1400;
    const id2 = (sink.of('streamStarted')[1][0] as { id: string }).id;
    assert.notEqual(id2, id);
    assert.deepEqual(rec.liveStream(id2), { in: 700, out: 300 });
    hub.stop(consumer);
    hub.removeClient(player.c);
    hub.unpublish(pub2.c);
    const end2 = sink.of('streamEnded')[1][1] as { bytesIn: number; bytesOut: number; reason: string };
    assert.deepEqual([end2.bytesIn, end2.bytesOut, end2.reason], [700, 300, 'normal']);

    const types = sink.of('event').map(([e]) => (e as { type: string }).type);
    assert.deepEqual(types, ['publish', 'play', 'unpublish', 'close', 'publish', 'stop', 'close', 'unpublish']);
  } finally {
    rec.close();
    hub.close();
  }
});

test('codecs are written once known; HLS gives one event per session; close() ends what is live', async () => {
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const sink = fakeSink();
  const rec = new HistoryRecorder(hub.bus, sink, log);
  const pub = client('fmle-publish', 'p');
  const source = hub.publish(pub.c)!;
  source.onMessage('video', 0, avcHeader);
  assert.ok(source.video, 'the test header parses');
  (rec as unknown as { checkMedia(): void }).checkMedia();
  (rec as unknown as { checkMedia(): void }).checkMedia(); // unchanged: not written again
  const updates = sink.of('streamUpdated');
  assert.equal(updates.length, 1);
  assert.equal((updates[0][1] as { videoCodec: string }).videoCodec, 'H264');

  const seg = { source, file: '/x/1.ts', duration: 2, url: '1.ts', m3u8: '/x/s.m3u8', m3u8Url: 's.m3u8', seqNo: 1 };
  hub.bus.emit('hls:segment', seg);
  hub.bus.emit('hls:segment', { ...seg, seqNo: 2 });
  assert.equal(sink.of('event').filter(([e]) => (e as { type: string }).type === 'hls').length, 1);

  rec.close();
  assert.equal(sink.of('streamEnded').length, 1);
  assert.equal(sink.of('clientEnded').length, 1);
  // after close the bus is no longer heard
  const n = sink.calls.length;
  hub.unpublish(pub.c);
  hub.removeClient(pub.c);
  assert.equal(sink.calls.length, n);
  hub.close();
});

test('a failing store never throws into the emitter', () => {
  const hub = new Hub(() => DEFAULT_SOURCE_OPTIONS);
  const sink = fakeSink();
  sink.streamStarted = () => {
    throw new Error('db down');
  };
  const rec = new HistoryRecorder(hub.bus, sink, log);
  const pub = client('fmle-publish', 'p');
  assert.ok(hub.publish(pub.c));
  rec.close();
  hub.close();
});
