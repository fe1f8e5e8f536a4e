/**
 * WebRTC against hostile clients: forged STUN on the UDP port, ICE credentials strong enough for
 * one shared port, offers with sixty media sections, and a bearer token that must not reach
 * the log. The server is real (harness), the clients werift and plain UDP sockets.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { encodeBindingRequest } from '../src/protocol/rtc/stun.js';
import { basicConf, freePort, startServer, waitFor } from './harness.js';
import { rtcPublisher, useWhipServer, whip as whipPost } from './rtc-helpers.js';

const w = useWhipServer(() => '{"code":0}');

const whip = (query: string, sdp: string, headers: Record<string, string> = {}) => whipPost(w.server, query, sdp, headers);

/** A nominating connectivity check (USERNAME, PRIORITY, USE-CANDIDATE); signed with `key` when given. */
const connectivityCheck = (username: string, key?: string): Buffer => encodeBindingRequest(username, { priority: 0x7e000000, key });

test('unsigned checks naming a session from many addresses do not lock its real client out', async () => {
  const p = await rtcPublisher({ video: true });
  const res = await whip('app=live&stream=forged', p.offer);
  assert.equal(res.status, 201);
  const answer = await res.text();
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)![1];
  // the ufrag travels in clear in every check; a stranger without the password sends from 10 ports
  // (more than a session's address slots) before the client's first check
  const strangers: Socket[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      strangers.push(s);
      for (const key of [undefined, 'a-guessed-password']) {
        await new Promise<void>((r) => s.send(connectivityCheck(`${ufrag}:evil`, key), w.udpPort, '127.0.0.1', () => r()));
      }
    }
    // werift answers every check it gets: a stranger must get nothing back
    let answered = 0;
    for (const s of strangers) s.on('message', () => answered++);
    await p.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor('the real publisher connected', () => p.pc.connectionState === 'connected', 20_000);
    assert.equal(answered, 0, 'checks without the password were answered');
  } finally {
    for (const s of strangers) s.close();
    await p.pc.close();
  }
});

test("answers' ICE credentials carry RFC 8839's randomness and differ per session", async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const p = await rtcPublisher({ video: true });
    await p.pc.close(); // the offer is all this needs
    const res = await whip(`app=live&stream=creds${i}`, p.offer);
    assert.equal(res.status, 201);
    const answer = await res.text();
    const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)![1];
    const pwd = /^a=ice-pwd:(\S+)/m.exec(answer)![1];
    // hex digits (4 bits each): >= 24 bits of ufrag (RFC 8839 5.4), here 32 at least so one port's
    // sessions do not collide, and >= 128 bits of password
    assert.match(ufrag, /^[0-9a-f]{8,}$/, `ufrag ${ufrag}`);
    assert.match(pwd, /^[0-9a-f]{32,}$/, `ice-pwd ${pwd}`);
    assert.ok(!seen.has(ufrag));
    seen.add(ufrag);
    // the session id (the secret of the DELETE URL) carries the ufrag
    assert.ok(res.headers.get('location')!.includes(`session=${encodeURIComponent(ufrag)}`));
  }
});

test('an offer with sixty media sections is refused before werift sees it', async () => {
  const p = await rtcPublisher({ video: true });
  await p.pc.close();
  const [session, media] = [p.offer.slice(0, p.offer.indexOf('\r\nm=') + 2), p.offer.slice(p.offer.indexOf('\r\nm=') + 2)];
  const sections = Array.from({ length: 60 }, (_, i) => media.replace(/^a=mid:\S+/m, `a=mid:${i}`)).join('');
  const sdp = session.replace(/^a=group:BUNDLE .*$/m, `a=group:BUNDLE ${Array.from({ length: 60 }, (_, i) => i).join(' ')}`) + sections;
  assert.ok(sdp.length < 64 * 1024, `${sdp.length} bytes: under the size bound`);
  const res = await whip('app=live&stream=mlines', sdp);
  assert.equal(res.status, 400);
  const body = (await res.json()) as { code: number; msg: string };
  assert.equal(body.code, 5012);
  assert.match(body.msg, /60 media sections/);
  // an offer of a browser's shape still passes
  const ok = await rtcPublisher({ video: true, audio: true });
  await ok.pc.close();
  const res2 = await whip('app=live&stream=mlines2', ok.offer);
  assert.equal(res2.status, 201);
  await res2.text();
});

test('a WHIP bearer token reaches the hooks but not the log', async () => {
  const token = 'tok-' + Math.random().toString(36).slice(2);
  const p = await rtcPublisher({ video: true });
  await p.pc.close();
  const res = await whip('app=live&stream=bearer', p.offer, { Authorization: `Bearer ${token}` });
  assert.equal(res.status, 201);
  await res.text();
  await waitFor('on_publish', () => w.hooks.calls.find((c) => c.body.stream === 'bearer'));
  assert.equal(w.hooks.calls.find((c) => c.body.stream === 'bearer')!.body.param, `?token=${token}`);
  await waitFor('the session logged', () => /rtc publish/.test(w.server.output()) && w.server.output().includes('bearer'));
  assert.ok(!w.server.output().includes(token), 'the token is in the log');
});

test('rtc_server.max_sessions: an offer past it is answered 503 with code 4097; a DELETE frees a slot', async (t) => {
  const udp = await freePort();
  const small = await startServer((p) =>
    basicConf(p, 'rtc { enabled on; rtc_to_rtmp on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; max_sessions 2; }`),
  );
  t.after(() => small.stop());
  const offer = async () => {
    const p = await rtcPublisher({ video: true });
    await p.pc.close(); // the offer is all this needs: the session waits for ICE
    return p.offer;
  };
  const locations: string[] = [];
  for (const name of ['m1', 'm2']) {
    const res = await whipPost(small, `app=live&stream=${name}`, await offer());
    assert.equal(res.status, 201, name);
    locations.push(new URL(res.headers.get('location')!, small.apiUrl('/')).href);
  }
  const full = await whipPost(small, 'app=live&stream=m3', await offer());
  assert.equal(full.status, 503);
  const body = (await full.json()) as { code: number; msg?: string };
  assert.equal(body.code, 4097, JSON.stringify(body));
  assert.equal((await fetch(locations[0], { method: 'DELETE' })).status, 200);
  const again = await whipPost(small, 'app=live&stream=m3', await offer());
  assert.equal(again.status, 201, 'a slot freed by the DELETE');
  assert.equal(small.proc.exitCode, null);
});

test('rtc_server.max_pending_sessions_per_ip: offers that never connect hold at most that many sessions per address; a connected one does not count', async (t) => {
  const udp = await freePort();
  const small = await startServer((p) =>
    basicConf(p, 'rtc { enabled on; rtc_to_rtmp on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; max_pending_sessions_per_ip 2; }`),
  );
  t.after(() => small.stop());
  // a publisher that connects: it stops counting once ICE is done
  const live = await rtcPublisher({ video: true });
  t.after(() => live.pc.close());
  const res = await whipPost(small, 'app=live&stream=p0', live.offer);
  assert.equal(res.status, 201);
  await live.pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await waitFor('the publisher connected', () => live.pc.connectionState === 'connected', 20_000);
  const pending = async (name: string) => {
    const p = await rtcPublisher({ video: true });
    await p.pc.close(); // never connects: the session waits for ICE
    return whipPost(small, `app=live&stream=${name}`, p.offer);
  };
  const first = await pending('p1');
  assert.equal(first.status, 201);
  assert.equal((await pending('p2')).status, 201);
  const third = await pending('p3');
  assert.equal(third.status, 503);
  const body = (await third.json()) as { code: number; msg?: string };
  assert.equal(body.code, 4097);
  assert.match(body.msg ?? '', /max_pending_sessions_per_ip/);
  assert.equal((await fetch(new URL(first.headers.get('location')!, small.apiUrl('/')), { method: 'DELETE' })).status, 200);
  // a session that got one signed nominating check (one datagram) but no DTLS still counts
  const checked = await pending('p3');
  assert.equal(checked.status, 201, 'a slot freed by the DELETE');
  const answer = await checked.text();
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)![1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(answer)![1];
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.send(connectivityCheck(`${ufrag}:hog`, pwd), udp, '127.0.0.1');
  await waitFor('the signed check answered', () => replies.length > 0, 5000, 50);
  const fourth = await pending('p4');
  assert.equal(fourth.status, 503, 'a session with ICE but no DTLS is still pending');
});
