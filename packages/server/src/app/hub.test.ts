import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from './client.js';
import { AdmissionError, BusyError, Hub, LimitError, type HubLimits } from './hub.js';
import { DEFAULT_SOURCE_OPTIONS } from './source.js';

const sink = { write: () => true };

function client(ip = '10.0.0.1', stream = 's', onClose: () => void = () => undefined): Client {
  return new Client({ ip, vhost: '__defaultVhost__', app: 'live', stream, type: 'flv-play', transport: { close: onClose, bytesRead: () => 0, bytesWritten: () => 0 } });
}

function hub(limits: Partial<HubLimits> = {}): Hub {
  const l: HubLimits = { maxWaiting: 1000, maxWaitingPerIp: 1000, waitingTimeoutMs: () => 0, ...limits };
  return new Hub(() => DEFAULT_SOURCE_OPTIONS, () => l);
}

test('a client is listed (role) and counted by its source exactly while it plays or publishes', { timeout: 10_000 }, () => {
  const h = hub();
  const pub = client('10.0.0.9');
  pub.type = 'fmle-publish';
  h.addClient(pub);
  assert.equal(pub.role, undefined, 'connected is not listed');
  const source = h.publish(pub)!;
  assert.equal(pub.role, 'publish');
  const p = client();
  h.addClient(p);
  const consumer = h.play(p, sink);
  assert.equal(p.role, 'play');
  assert.equal(source.clientCount, 2);
  h.stop(consumer);
  assert.equal(p.role, undefined);
  assert.equal(source.clientCount, 1);
  h.close();
});

test('removeClient lets go of whatever the connection still holds: consumer, viewer, publish', { timeout: 10_000 }, () => {
  const h = hub();
  const events: string[] = [];
  for (const e of ['stream:play', 'stream:stop', 'stream:publish', 'stream:unpublish'] as const) h.bus.on(e, (_s, c) => events.push(`${e} ${c.id}`));
  const pub = client('10.0.0.9');
  h.addClient(pub);
  const source = h.publish(pub)!;
  const p = client();
  h.addClient(p);
  h.play(p, sink);
  const v = client();
  h.addClient(v);
  h.view(v);
  assert.equal(source.clientCount, 3);
  h.removeClient(p);
  h.removeClient(v);
  h.removeClient(pub);
  assert.equal(source.clientCount, 0);
  assert.equal(source.publisher, undefined);
  assert.deepEqual(events.filter((e) => e.startsWith('stream:stop') || e.startsWith('stream:unpublish')).length, 3);
  assert.equal(h.clients.size, 0);
  h.close();
});

test('a client gone while its hooks ran can neither play nor publish', { timeout: 10_000 }, () => {
  const h = hub();
  const p = client();
  h.addClient(p);
  h.removeClient(p);
  assert.throws(() => h.play(p, sink), AdmissionError);
  assert.equal(h.publish(p), undefined);
  assert.equal(h.sources.size, 0, 'and no source is left for it');
  h.close();
});

test('waiting players: bounded per IP and in total, counted until a publisher comes, again after it leaves', { timeout: 10_000 }, () => {
  const h = hub({ maxWaiting: 3, maxWaitingPerIp: 2 });
  const a = [client('10.0.0.1', 'x'), client('10.0.0.1', 'y')];
  for (const c of a) h.play(c, sink);
  assert.throws(() => h.checkWaiting('10.0.0.1', '__defaultVhost__', 'live', 'z'), LimitError);
  assert.throws(() => h.play(client('10.0.0.1', 'z'), sink), LimitError);
  h.play(client('10.0.0.2', 'z'), sink);
  assert.throws(() => h.play(client('10.0.0.3', 'w'), sink), LimitError, 'in total');
  assert.equal(h.waitingPlayers(), 3);
  assert.equal(h.waitingPlayers('10.0.0.1'), 2);
  assert.ok(!h.findSource('__defaultVhost__', 'live', 'w'), 'a refused player leaves no source');
  // a publisher of x ends one wait; a stream with a publisher takes players whatever the bounds
  const pub = client('10.0.0.9', 'x');
  h.publish(pub);
  assert.equal(h.waitingPlayers(), 2);
  h.play(client('10.0.0.1', 'x'), sink);
  h.unpublish(pub);
  assert.equal(h.waitingPlayers(), 4, 'its players wait again');
  h.close();
});

test('waiting_timeout closes a waiting player; a source that never had a publisher goes with its last player', { timeout: 10_000 }, async () => {
  let closed = 0;
  const h = hub({ waitingTimeoutMs: () => 50 });
  const p = client('10.0.0.1', 'x', () => closed++);
  h.addClient(p);
  const consumer = h.play(p, sink);
  assert.ok(h.findSource('__defaultVhost__', 'live', 'x'));
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(closed, 1);
  // the adapter stops it on close
  h.stop(consumer);
  h.removeClient(p);
  assert.equal(h.waitingPlayers(), 0);
  assert.equal(h.sources.size, 0);
  h.close();
});

test('a refused admission drops the source a hook made to name the stream', { timeout: 10_000 }, async () => {
  const h = hub();
  h.admissions.push({
    play: async (c) => {
      h.source(c.vhost, c.app, c.stream); // as the hooks do for stream_id
      throw new AdmissionError('no');
    },
  });
  await assert.rejects(h.admit('play', client()), AdmissionError);
  assert.equal(h.sources.size, 0);
  h.close();
});

test('handles: admission, registration and every cleanup step once; refusals leave nothing behind', { timeout: 10_000 }, async () => {
  const h = hub();
  const events: string[] = [];
  for (const e of ['client:connect', 'client:close'] as const) h.bus.on(e, (c) => events.push(`${e} ${c.stream}`));
  for (const e of ['stream:publish', 'stream:unpublish', 'stream:play', 'stream:stop'] as const) h.bus.on(e, (_s, c) => events.push(`${e} ${c.stream}`));
  h.admissions.push({ publish: async (c) => { if (c.stream === 'no') throw new AdmissionError('no'); } });

  // a publisher without a connection of its own: connect stage, publish, then close() undoes both
  const pub = client('10.0.0.9', 'cam');
  const handle = await h.openPublisher(pub, { connect: true });
  assert.equal(h.clients.get(pub.id), pub);
  assert.equal(handle.source.publisher, pub);
  // a keyframe request on the stream (a WebRTC player's PLI) reaches the handle's protocol
  let asked = 0;
  assert.equal(handle.source.requestKeyframe?.(), false);
  handle.onKeyframeRequest = () => asked++;
  assert.equal(handle.requestKeyframe(), true);
  assert.equal(handle.source.requestKeyframe?.(), true);
  assert.equal(asked, 2);
  await assert.rejects(h.openPublisher(client('10.0.0.8', 'cam')), BusyError);
  const player = await h.openPlayer(client('10.0.0.1', 'cam'), sink);
  const viewer = await h.openPlayer(client('10.0.0.2', 'cam'), undefined);
  assert.equal(handle.source.clientCount, 3);
  const stream = handle.source;
  handle.close();
  handle.close();
  assert.equal(stream.requestKeyframe?.() ?? false, false);
  assert.equal(asked, 2);
  player.close();
  viewer.close();
  viewer.close();
  assert.equal(h.clients.size, 0);
  assert.deepEqual(events, [
    'client:connect cam', 'stream:publish cam', 'stream:play cam', 'stream:play cam',
    'stream:unpublish cam', 'client:close cam', 'stream:stop cam', 'client:close cam', 'stream:stop cam', 'client:close cam',
  ]);

  // refused: a connect-stage client is removed again, an unregistered one never listed
  events.length = 0;
  await assert.rejects(h.openPublisher(client('10.0.0.9', 'no'), { connect: true }), AdmissionError);
  await assert.rejects(h.openPublisher(client('10.0.0.9', 'no')), AdmissionError);
  await assert.rejects(h.openPlayer(client('10.0.0.9', 'x'), sink, { gone: () => true }), AdmissionError);
  assert.deepEqual(events, ['client:connect no', 'client:close no']);
  assert.equal(h.clients.size, 0);
  assert.equal(h.sources.size, 1, 'only the stream published before (kept for its players to come back)');

  // a registered client (RTMP after connect) stays when its handle closes
  const rtmp = client('10.0.0.7', 'again');
  h.addClient(rtmp);
  (await h.openPublisher(rtmp)).close();
  assert.equal(h.clients.get(rtmp.id), rtmp);
  h.close();
});

test('demand: each player of a stream without a publisher, the waiting players when the publisher leaves; idle: the last player left', { timeout: 10_000 }, () => {
  const h = hub();
  const seen: string[] = [];
  h.bus.on('stream:demand', (e) => seen.push(`demand ${e.vhost}/${e.app}/${e.stream} ${e.param} ${e.client?.id ?? '-'} ${e.players}`));
  h.bus.on('stream:idle', (e) => seen.push(`idle ${e.vhost}/${e.app}/${e.stream} ${e.source.players}`));
  const a = client('10.0.0.1', 'x');
  a.param = '?token=1';
  const b = client('10.0.0.2', 'x');
  const ca = h.play(a, sink);
  h.view(b);
  assert.deepEqual(seen, [`demand __defaultVhost__/live/x ?token=1 ${a.id} 1`, `demand __defaultVhost__/live/x  ${b.id} 2`]);
  seen.length = 0;

  // a publisher comes: players arriving now are no demand
  const pub = client('10.0.0.9', 'x');
  const source = h.publish(pub)!;
  const c = client('10.0.0.3', 'x');
  const cc = h.play(c, sink);
  assert.deepEqual(seen, []);

  // the publisher leaves with players on the stream: one demand for the stream
  h.unpublish(pub);
  assert.equal(seen.length, 1);
  assert.match(seen[0], /^demand __defaultVhost__\/live\/x /);
  assert.ok((seen[0] as string).endsWith(' 3'));
  seen.length = 0;

  h.stop(ca);
  h.stop(cc);
  assert.deepEqual(seen, [], 'a player is left');
  h.unview(b);
  assert.deepEqual(seen, ['idle __defaultVhost__/live/x 0']);
  assert.equal(source.players, 0);
  seen.length = 0;

  // a request with no player to attach (an HLS playlist not written yet) creates nothing
  h.demand('__defaultVhost__', 'live', 'y', '?a=b');
  assert.deepEqual(seen, ['demand __defaultVhost__/live/y ?a=b - 0']);
  assert.equal(h.findSource('__defaultVhost__', 'live', 'y'), undefined);
  // nor while the stream is published
  seen.length = 0;
  const pub2 = client('10.0.0.9', 'y');
  h.publish(pub2);
  h.demand('__defaultVhost__', 'live', 'y', '');
  assert.deepEqual(seen, []);
  h.close();
});

test('idle comes once, when the last of several players leaves a published stream', { timeout: 10_000 }, () => {
  const h = hub();
  let idle = 0;
  h.bus.on('stream:idle', () => idle++);
  const pub = client('10.0.0.9', 'z');
  h.publish(pub);
  const ps = [client('10.0.0.1', 'z'), client('10.0.0.2', 'z')];
  for (const p of ps) h.addClient(p);
  h.play(ps[0], sink);
  h.play(ps[1], sink);
  h.removeClient(ps[0]);
  assert.equal(idle, 0);
  h.removeClient(ps[1]);
  assert.equal(idle, 1);
  h.removeClient(pub);
  assert.equal(idle, 1, 'the publisher leaving is not idle again');
  h.close();
});
