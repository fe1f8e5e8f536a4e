import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodeAmf0 } from '../../kernel/amf0.js';
import { RtmpClient, RtmpRedirectError, RtmpRefusedError, parseClientUrl } from './client-session.js';
import { decodeData } from './commands.js';
import { CSID, MSG, type RtmpMessage } from './messages.js';
import { ServerSession, type ServerSessionHandler } from './server-session.js';

/** A loopback server running one ServerSession per socket. */
async function serve(makeHandler: (s: () => ServerSession) => ServerSessionHandler) {
  const sessions: ServerSession[] = [];
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    let session!: ServerSession;
    session = new ServerSession(makeHandler(() => session), { send: (b) => sock.write(b), end: () => sock.end() });
    sessions.push(session);
    sock.on('data', (d) => session.push(d));
    sock.on('close', () => session.close());
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, sessions, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('parseClientUrl', () => {
  assert.deepEqual(parseClientUrl('rtmp://h:1936/live/s?t=1'), { host: 'h', port: 1936, app: 'live', stream: 's?t=1', tcUrl: 'rtmp://h:1936/live' });
  assert.deepEqual(parseClientUrl('rtmp://[::1]/a/b/c'), { host: '::1', port: 1935, app: 'a/b', stream: 'c', tcUrl: 'rtmp://[::1]/a/b' });
  assert.throws(() => parseClientUrl('http://h/live/s'));
  assert.throws(() => parseClientUrl('rtmp://h/s'));
});

test('publish to a ServerSession: media arrives in order, unpublish on close', async () => {
  const got: RtmpMessage[] = [];
  let unpublished = 0;
  const srv = await serve(() => ({ onMedia: (m) => got.push(m), onUnpublish: () => unpublished++ }));
  for (const complexHandshake of [true, false]) {
    got.length = 0;
    const c = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/s?token=1`, { mode: 'publish', complexHandshake });
    assert.equal(c.streamId, 1);
    c.sendMedia(MSG.AMF0_DATA, 0, encodeAmf0('@setDataFrame', 'onMetaData', { w: 1 }));
    for (let i = 0; i < 20; i++) c.sendMedia(i % 2 ? MSG.AUDIO : MSG.VIDEO, i * 20, Buffer.alloc(100000 + i, i));
    await c.close();
    await waitFor(() => unpublished === (complexHandshake ? 1 : 2));
    assert.equal(got.length, 21);
    assert.equal(decodeData(got[0]).name, 'onMetaData');
    assert.deepEqual(got.slice(1).map((m) => m.timestamp), Array.from({ length: 20 }, (_, i) => i * 20));
    assert.equal(got[20].payload.length, 100019);
    assert.equal(got[20].payload[5], 19);
  }
  assert.equal(srv.sessions[0].handshake.complex, true);
  assert.equal(srv.sessions[1].handshake.complex, false);
  assert.equal(srv.sessions[0].publishRequest?.url.param, '?token=1');
  await srv.close();
});

test('play from a ServerSession: start statuses, then messages', async () => {
  const srv = await serve((session) => ({
    onPlay: () => {
      setImmediate(() => {
        const s = session();
        for (let i = 0; i < 5; i++) {
          s.sendMessage({ typeId: MSG.VIDEO, streamId: s.streamId, timestamp: 1000 + i, csid: CSID.VIDEO, payload: Buffer.alloc(70000, i) });
        }
      });
    },
  }));
  const statuses: string[] = [];
  const c = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/s`, { mode: 'play' });
  c.on('status', (info) => statuses.push(info.code));
  const msgs: RtmpMessage[] = [];
  await new Promise<void>((resolve) => {
    c.on('message', (m: RtmpMessage) => {
      if (m.typeId === MSG.VIDEO) msgs.push(m);
      if (msgs.length === 5) resolve();
    });
  });
  assert.deepEqual(msgs.map((m) => [m.timestamp, m.payload.length, m.payload[0]]), [0, 1, 2, 3, 4].map((i) => [1000 + i, 70000, i]));
  srv.sessions[0].notifyUnpublish();
  await new Promise((r) => c.once('status', r));
  assert.deepEqual(statuses, ['NetStream.Play.UnpublishNotify']);
  await c.close();
  await srv.close();
});

test('rejected publish and refused connection reject connect()', async () => {
  const srv = await serve(() => ({ onPublish: () => ({ reject: 'busy' }) }));
  await assert.rejects(RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/s`, { mode: 'publish' }), /Publish.BadName/);
  await srv.close();
  await assert.rejects(RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/s`, { mode: 'play', timeoutMs: 2000 }));
});

test('a refusal with ex.redirect (RTMP 302) is an RtmpRedirectError naming the URL; others are RtmpRefusedError', async () => {
  const target = 'rtmp://127.0.0.1:19351/live/s?token=1';
  const srv = await serve(() => ({
    onPlay: (req) =>
      req.streamName === 'moved'
        ? { reject: 'RTMP 302 Redirect', code: 'NetConnection.Connect.Rejected', ex: { code: 302, redirect: target } }
        : { reject: 'no such stream', code: 'NetStream.Play.StreamNotFound' },
    onConnect: (req) => (req.app === 'closed' ? { reject: 'go away', ex: { code: 302, redirect: target } } : undefined),
  }));
  try {
    await redirects(srv.port, target);
  } finally {
    await srv.close();
  }
});

async function redirects(port: number, target: string): Promise<void> {
  const srv = { port };
  const err = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/moved`, { mode: 'play' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RtmpRedirectError, String(err));
  assert.equal(err.url, target);
  const atConnect = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/closed/x`, { mode: 'play' }).then(() => undefined, (e: unknown) => e);
  assert.ok(atConnect instanceof RtmpRedirectError && atConnect.url === target, String(atConnect));
  const plain = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/other`, { mode: 'play' }).then(() => undefined, (e: unknown) => e);
  assert.ok(plain instanceof RtmpRefusedError && !(plain instanceof RtmpRedirectError), String(plain));
  // mode 'connect' stops after the NetConnection: the server sees no play
  const c = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/x`, { mode: 'connect' });
  assert.equal(c.streamId, 0);
  c.destroy();
}

test('a server that floods media instead of answering connect is dropped at once, not held until the timeout', { timeout: 90_000 }, async () => {
  let sent = 0;
  const srv = await serve((session) => ({
    onConnect: () => {
      // never answered; 64 MiB of video instead, written as the socket takes it
      const s = session();
      const flood = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += 65536;
          s.sendMessage({ typeId: MSG.VIDEO, streamId: 1, timestamp: sent / 65536, csid: CSID.VIDEO, payload: Buffer.alloc(65536, 0x17) });
          if (sent % (1024 * 1024) === 0) return void setImmediate(flood);
        }
      };
      flood();
      return new Promise(() => {});
    },
  }));
  const startedAt = Date.now();
  const err = await RtmpClient.connect(`rtmp://127.0.0.1:${srv.port}/live/s`, { mode: 'play', timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
  assert.match(String(err), /before the play started/);
  assert.ok(Date.now() - startedAt < 50_000, 'dropped before the connect timeout');
  await srv.close();
});
