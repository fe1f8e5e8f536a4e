// The history store's behaviour every backend must show (SQLite and PostgreSQL run the same
// tests: store.test.ts and store-pg.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryStore, OpenHistoryStoreOptions } from './store.js';
import type { memoryLogger } from './testing.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const min = (n: number) => T0 + n * 60_000;

export interface OpenedStore {
  store: HistoryStore;
  logger: ReturnType<typeof memoryLogger>;
}

/** One empty database; every open() opens that same database again. */
export interface TestDatabase {
  open(extra?: Partial<OpenHistoryStoreOptions>): Promise<OpenedStore>;
}

type TestContext = { after(fn: () => unknown): void };

export function publish(store: HistoryStore, id: string, at: number, over: Partial<{ vhost: string; app: string; stream: string; ip: string }> = {}) {
  store.streamStarted({ id, vhost: 'v', app: 'live', stream: 's', clientId: `c-${id}`, ip: '10.0.0.1', protocol: 'rtmp', at, ...over });
}

/** Registers the shared store tests for one backend; `skip` (a reason) skips them visibly. */
export function historyStoreContract(backend: string, fresh: (t: TestContext) => Promise<TestDatabase>, skip?: string | false): void {
  describe(`history store on ${backend}`, { skip: skip || false }, () => {
  it('a session lifecycle is written and survives reopening the file', async (t) => {
    const db = await fresh(t);
    let { store } = await db.open({ node: 'node-1' });
    publish(store, 'st1', min(0));
    store.streamUpdated('st1', { videoCodec: 'H264', videoProfile: 'High', width: 1280, height: 720, audioCodec: 'AAC', audioSampleRate: 44100, audioChannels: 2 });
    store.clientStarted({ id: 'c-st1', kind: 'publish', type: 'fmle-publish', protocol: 'rtmp', ip: '10.0.0.1', vhost: 'v', app: 'live', stream: 's', url: 'rtmp://h/live/s', at: min(0) });
    store.clientStarted({ id: 'p1', kind: 'play', type: 'flv-play', protocol: 'http-flv', ip: '10.0.0.2', vhost: 'v', app: 'live', stream: 's', url: 'http://h/live/s.flv', at: min(1) });
    store.clientEnded('p1', { at: min(2), bytesIn: 300, bytesOut: 4_000_000_000, reason: 'kicked' });
    store.clientEnded('c-st1', { at: min(3), bytesIn: 5_000_000_000, bytesOut: 3_000 });
    store.streamEnded('st1', { at: min(3), bytesIn: 5_000_000_000, bytesOut: 4_000_000_000 });
    store.event({ type: 'kick', vhost: 'v', app: 'live', stream: 's', clientId: 'p1', data: { by: 'api', big: 7n } });
    await store.close();

    ({ store } = await db.open());
    t.after(() => store.close());
    const streams = await store.listStreamSessions();
    assert.equal(streams.total, 1);
    assert.deepEqual(
      { ...streams.items[0] },
      {
        id: 'st1', vhost: 'v', app: 'live', stream: 's', clientId: 'c-st1', ip: '10.0.0.1', protocol: 'rtmp',
        startedAt: min(0), endedAt: min(3), durationMs: 180_000,
        videoCodec: 'H264', videoProfile: 'High', videoLevel: null, width: 1280, height: 720, frameRate: null,
        audioCodec: 'AAC', audioSampleRate: 44100, audioChannels: 2, audioProfile: null,
        bytesIn: 5_000_000_000, bytesOut: 4_000_000_000, endReason: 'normal', node: 'node-1',
      },
    );
    // each row names the node that wrote it, and the lists filter by it
    assert.equal((await store.listStreamSessions({ node: 'node-1' })).total, 1);
    assert.equal((await store.listStreamSessions({ node: 'node-2' })).total, 0);
    assert.deepEqual((await store.listClientSessions({ node: 'node-1' })).items.map((c) => c.node), ['node-1', 'node-1']);
    assert.equal((await store.listClientSessions({ node: 'node-2' })).total, 0);
    const clients = await store.listClientSessions();
    assert.equal(clients.total, 2);
    assert.deepEqual(clients.items.map((c) => [c.id, c.kind, c.endReason, c.bytesOut]), [['p1', 'play', 'kicked', 4_000_000_000], ['c-st1', 'publish', 'normal', 3_000]]);
    const events = await store.listEvents({ type: 'kick' });
    assert.deepEqual(events.items[0].data, { by: 'api', big: 7 });
    assert.equal(events.items[0].clientId, 'p1');
    JSON.stringify([streams, clients, events]); // plain JSON, no bigint
  });

  it('closeDanglingSessions ends what a crash left open, and opening repairs', async (t) => {
    const db = await fresh(t);
    const { store: crashed } = await db.open({ repairOnOpen: true });
    publish(crashed, 'open', min(0));
    publish(crashed, 'done', min(0));
    crashed.streamEnded('done', { at: min(1) });
    crashed.clientStarted({ id: 'c1', kind: 'play', type: 'rtmp-play', protocol: 'rtmp', ip: '1.1.1.1', vhost: 'v', app: 'live', stream: 's', url: 'rtmp://h/live/s', at: min(0) });
    const rec = await crashed.recordingStarted({ vhost: 'v', app: 'live', stream: 's', path: '/r/a.flv', format: 'flv', at: min(0) });
    crashed.recordingUpdated(rec, { size: 1234, durationMs: 5000 });
    await crashed.flush(); // the process "dies" here without close()

    const { store, logger } = await db.open({ repairOnOpen: true });
    t.after(async () => {
      await store.close();
      await crashed.close();
    });
    const streams = await store.listStreamSessions();
    const open_ = streams.items.find((s) => s.id === 'open');
    assert.equal(open_?.endReason, 'error');
    assert.ok(open_?.endedAt && open_.endedAt >= Date.now() - 60_000);
    assert.equal(streams.items.find((s) => s.id === 'done')?.endReason, 'normal');
    assert.equal((await store.listClientSessions()).items[0].endReason, 'error');
    const r = await store.getRecording(rec);
    assert.equal(r?.complete, false);
    assert.equal(r?.size, 1234);
    assert.notEqual(r?.endedAt, null);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /unclean shutdown/.test(l.msg)));
    assert.deepEqual(await store.closeDanglingSessions(), { streams: 0, clients: 0, recordings: 0 });
  });

  it('recordings: id at once, progress, end, get, delete', async (t) => {
    const { store } = await (await fresh(t)).open();
    t.after(() => store.close());
    const id = await store.recordingStarted({ vhost: 'v', app: 'live', stream: 's', path: '/r/s.mp4', format: 'mp4', at: min(0) });
    assert.equal(typeof id, 'string');
    store.recordingUpdated(id, { size: 10, durationMs: 1000 });
    store.recordingEnded(id, { at: min(1), size: 3_000_000_000, durationMs: 60_000, complete: true });
    const other = await store.recordingStarted({ id: 'mine', vhost: 'v', app: 'live', stream: 't', path: '/r/t.flv', format: 'flv', at: min(5) });
    assert.equal(other, 'mine');
    assert.deepEqual(await store.getRecording(id), {
      id, vhost: 'v', app: 'live', stream: 's', path: '/r/s.mp4', format: 'mp4',
      startedAt: min(0), endedAt: min(1), durationMs: 60_000, size: 3_000_000_000, complete: true, node: '',
    });
    assert.deepEqual((await store.listRecordings({ stream: 't' })).items.map((r) => r.id), ['mine']);
    assert.deepEqual((await store.listRecordings({ complete: true })).items.map((r) => r.id), [id]);
    assert.equal((await store.deleteRecording(id))?.path, '/r/s.mp4');
    assert.equal(await store.deleteRecording(id), null);
    assert.equal(await store.getRecording(id), null);
    assert.equal((await store.listRecordings()).total, 1);
  });

  it('queries filter, page and order newest first', async (t) => {
    const { store } = await (await fresh(t)).open();
    t.after(() => store.close());
    // 30 sessions one minute apart, each 10 minutes long; alternating apps and ips.
    for (let i = 0; i < 30; i++) {
      publish(store, `s${i}`, min(i), { app: i % 2 ? 'odd' : 'even', ip: i % 3 ? '10.0.0.1' : '10.0.0.3', stream: `st${i % 5}` });
      store.streamEnded(`s${i}`, { at: min(i + 10) });
      store.clientStarted({ id: `p${i}`, kind: i % 2 ? 'play' : 'publish', type: 'rtmp-play', protocol: 'rtmp', ip: '10.0.0.9', vhost: i < 10 ? 'a' : 'b', app: 'live', stream: 's', url: 'rtmp://h/live/s', at: min(i) });
    }
    store.clientEnded('p0', { at: min(1), reason: 'kicked' });

    const all = await store.listStreamSessions();
    assert.equal(all.total, 30);
    assert.equal(all.items[0].id, 's29', 'newest first');
    assert.equal(all.items[29].id, 's0');

    const page = await store.listStreamSessions({ limit: 7, offset: 7 });
    assert.equal(page.total, 30);
    assert.deepEqual(page.items.map((s) => s.id), ['s22', 's21', 's20', 's19', 's18', 's17', 's16']);
    assert.equal((await store.listStreamSessions({ limit: 5000 })).items.length, 30, 'limit capped, not rejected');
    assert.equal((await store.listStreamSessions({ limit: 0 })).items.length, 0);

    assert.equal((await store.listStreamSessions({ app: 'odd' })).total, 15);
    assert.equal((await store.listStreamSessions({ ip: '10.0.0.3' })).total, 10);
    assert.equal((await store.listStreamSessions({ app: 'even', stream: 'st0' })).total, 3); // 0, 10, 20
    assert.equal((await store.listStreamSessions({ vhost: 'nope' })).total, 0);

    // Overlap: live at some point in [min(25), min(26)] -> started <= 26 and ended >= 25 -> s15..s26.
    const range = await store.listStreamSessions({ from: min(25), to: new Date(min(26)).toISOString() });
    assert.deepEqual(range.items.map((s) => s.id), Array.from({ length: 12 }, (_, k) => `s${26 - k}`));
    assert.equal((await store.listStreamSessions({ from: String(min(100)) })).total, 0);
    await assert.rejects(store.listStreamSessions({ from: 'yesterday-ish' }), TypeError);

    assert.equal((await store.listClientSessions({ kind: 'play' })).total, 15);
    assert.equal((await store.listClientSessions({ vhost: 'a', kind: 'publish' })).total, 5);
    assert.deepEqual((await store.listClientSessions({ endReason: 'kicked' })).items.map((c) => c.id), ['p0']);
    assert.equal((await store.listClientSessions({ active: true })).total, 29);
    assert.equal((await store.listStreamSessions({ active: true })).total, 0);
  });

  it('a write the database rejects is dropped alone; the rest of its batch lands', async (t) => {
    const { store, logger } = await (await fresh(t)).open();
    t.after(() => store.close());
    publish(store, 'ok1', min(0));
    // A caller bug (missing required field) must not poison the batch or throw.
    store.streamStarted({ id: 'bad' } as never);
    publish(store, 'ok2', min(1));
    await store.flush();
    assert.deepEqual((await store.listStreamSessions()).items.map((s) => s.id), ['ok2', 'ok1']);
    assert.equal(store.status().dropped, 1);
    assert.ok(logger.lines.some((l) => l.level === 'error' && /rejected/.test(l.msg)));
  });

  it('prune keeps the newest ended sessions and events up to the bound; open sessions stay', async (t) => {
    const { store } = await (await fresh(t)).open();
    t.after(() => store.close());
    for (let i = 0; i < 30; i++) {
      store.clientStarted({ id: `p${i}`, kind: 'play', type: 'flv-play', protocol: 'http-flv', ip: '10.0.0.2', vhost: 'v', app: 'live', stream: 's', url: 'http://h/live/s.flv', at: min(i) });
      if (i < 25) store.clientEnded(`p${i}`, { at: min(i) + 1000, bytesIn: 0, bytesOut: 0 });
      store.event({ type: 'play', vhost: 'v', app: 'live', stream: 's', clientId: `p${i}`, data: {} });
    }
    await store.flush();
    assert.equal((await store.listClientSessions()).total, 30);
    const gone = await store.prune(10);
    assert.deepEqual(gone, { streams: 0, clients: 15, events: 20 });
    const left = (await store.listClientSessions({ limit: 100 })).items.map((c) => c.id).sort();
    // the 10 newest ended (p15..p24) and the 5 still open (p25..p29)
    assert.deepEqual(left, Array.from({ length: 15 }, (_, i) => `p${i + 15}`).sort());
    assert.equal((await store.listEvents()).total, 10);
    assert.deepEqual(await store.prune(10), { streams: 0, clients: 0, events: 0 });
  });

  });
}
