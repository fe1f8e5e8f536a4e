import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { RTCPeerConnection } from 'werift';
import { RtcUdpMux } from './udp-mux.js';
import { iceUfrag, setHostCandidates } from './sdp-candidates.js';
import { isHelloVerifyRequest } from './dtls-record.js';
import { encodeBindingRequest, isStun, localUfragOf, nominationPriority, stunIntegrityOk } from './stun.js';

/** A server-side session on the shared port answering `offer`; returns the answer SDP. */
async function answerOn(mux: RtcUdpMux, offer: string) {
  const session = mux.openSession();
  const pc = new RTCPeerConnection({ iceLite: true, iceUseIpv6: false });
  mux.attach(session, pc);
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  const answer = pc.localDescription!.sdp;
  mux.bindUfrag(session, iceUfrag(answer)!, /^a=ice-pwd:(\S+)/m.exec(answer)![1]);
  return { pc, session, answer: setHostCandidates(answer, ['127.0.0.1'], mux.address.port) };
}

async function offerer() {
  const pc = new RTCPeerConnection({ iceUseIpv6: false });
  const dc = pc.createDataChannel('chat');
  await pc.setLocalDescription(await pc.createOffer());
  // wait for gathering so the offer carries candidates
  for (let i = 0; i < 100 && !/a=candidate/.test(pc.localDescription!.sdp); i++) await new Promise((r) => setTimeout(r, 20));
  return { pc, dc, offer: pc.localDescription!.sdp };
}

function opened(dc: ReturnType<RTCPeerConnection['createDataChannel']>): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('data channel did not open in 15 s')), 15_000);
    if (dc.readyState === 'open') {
      clearTimeout(t);
      resolve();
    }
    dc.stateChanged.subscribe((s) => {
      if (s === 'open') {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

/** A connectivity check naming `username`; with `nominate`, nominating at that priority; with `key`, signed. */
function stunCheck(username: string, nominate?: number, key?: string): Buffer {
  return encodeBindingRequest(username, { priority: nominate, key });
}

test('STUN: header checks and the USERNAME of a connectivity check', () => {
  const msg = stunCheck('srvU:cliU');
  assert.equal(isStun(msg), true);
  assert.equal(localUfragOf(msg), 'srvU');
  assert.equal(isStun(msg.subarray(0, 30)), false, 'length field disagrees');
  assert.equal(isStun(Buffer.concat([Buffer.from([0x80]), msg.subarray(1)])), false, 'RTP first byte');
  const bad = Buffer.from(msg);
  bad.writeUInt32BE(0, 4);
  assert.equal(localUfragOf(bad), undefined, 'no magic cookie');
  const truncatedAttr = Buffer.from(msg);
  truncatedAttr.writeUInt16BE(200, 22); // attribute longer than the message
  assert.equal(localUfragOf(truncatedAttr), undefined);
});

test('two werift peers connect to two server sessions through one UDP port', async () => {
  const mux = await RtcUdpMux.listen(0, '127.0.0.1');
  try {
    const clients = await Promise.all([offerer(), offerer()]);
    const servers = await Promise.all(clients.map((c) => answerOn(mux, c.offer)));
    // the answers name only the shared port
    for (const s of servers) {
      const ports = [...s.answer.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)].map((m) => `${m[1]}:${m[2]}`);
      assert.deepEqual(ports, [`127.0.0.1:${mux.address.port}`]);
    }
    const received = servers.map(() => [] as string[]);
    servers.forEach((s, i) =>
      s.pc.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => {
        received[i].push(String(m));
        dc.send(`echo ${m}`);
      })),
    );
    await Promise.all(clients.map((c, i) => c.pc.setRemoteDescription({ type: 'answer', sdp: servers[i].answer })));
    await Promise.all(clients.map((c) => opened(c.dc)));
    const echoes = clients.map((c, i) => new Promise<string>((resolve) => {
      c.dc.onMessage.subscribe((m) => resolve(String(m)));
      c.dc.send(`hello ${i}`);
    }));
    assert.deepEqual(await Promise.all(echoes), ['echo hello 0', 'echo hello 1']);
    assert.deepEqual(received, [['hello 0'], ['hello 1']], 'each client reached its own session');
    assert.equal(mux.stats.sessions, 2);
    assert.ok(mux.stats.routed > 10);
    // the server sessions opened no sockets of their own
    for (const s of servers) assert.ok(s.session.transports.length >= 1);
    for (const c of clients) await c.pc.close();
    for (const s of servers) {
      await s.pc.close();
      mux.closeSession(s.session);
    }
    assert.equal(mux.stats.sessions, 0);
  } finally {
    await mux.close();
  }
});

test('datagrams from strangers are dropped and counted; the port stays up', async () => {
  const mux = await RtcUdpMux.listen(0, '127.0.0.1');
  const sock = createSocket('udp4');
  try {
    const junk = [Buffer.alloc(0), Buffer.from([0x80, 0x60, 1, 2]), Buffer.alloc(1400, 0x16), Buffer.from('GET / HTTP/1.1\r\n\r\n')];
    for (const j of junk) await new Promise<void>((r) => sock.send(j, mux.address.port, '127.0.0.1', () => r()));
    for (let i = 0; i < 50 && mux.stats.dropped < junk.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(mux.stats.dropped, junk.length);
    assert.equal(mux.stats.routed, 0);
    const [s1, s2] = [mux.openSession(), mux.openSession()];
    mux.bindUfrag(s1, 'same', 'pw1');
    assert.throws(() => mux.bindUfrag(s2, 'same', 'pw2'), /already in use/);
  } finally {
    sock.close();
    await mux.close();
  }
});

/** A plaintext DTLS 1.2 record holding one handshake message of type `msgType`. */
function dtlsHandshake(msgType: number, epoch = 0): Buffer {
  const fragment = Buffer.alloc(12 + 3);
  fragment[0] = msgType;
  fragment.writeUIntBE(3, 1, 3); // length
  fragment.writeUIntBE(3, 9, 3); // fragment_length
  const record = Buffer.alloc(13);
  record[0] = 22;
  record.writeUInt16BE(0xfefd, 1);
  record.writeUInt16BE(epoch, 3);
  record.writeUInt16BE(fragment.length, 11);
  return Buffer.concat([record, fragment]);
}

test('DTLS: a HelloVerifyRequest is told apart from other records', () => {
  assert.equal(isHelloVerifyRequest(dtlsHandshake(3)), true);
  assert.equal(isHelloVerifyRequest(dtlsHandshake(1)), false, 'ClientHello');
  assert.equal(isHelloVerifyRequest(dtlsHandshake(3, 1)), false, 'an encrypted epoch-1 record');
  assert.equal(isHelloVerifyRequest(dtlsHandshake(3).subarray(0, 13)), false, 'no handshake header');
  assert.equal(isHelloVerifyRequest(stunCheck('a:b')), false);
});

test('a session gets only its first DTLS HelloVerifyRequest; other datagrams all pass', async () => {
  const mux = await RtcUdpMux.listen(0, '127.0.0.1');
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const session = mux.openSession();
    mux.bindUfrag(session, 'srv1', 'pw1');
    const transport = mux.createTransport(session, 'udp4');
    const got: Buffer[] = [];
    transport.onData = (d) => got.push(d);
    const sent = [stunCheck('srv1:cli1', undefined, 'pw1'), dtlsHandshake(3), dtlsHandshake(3), dtlsHandshake(2), dtlsHandshake(3), dtlsHandshake(2)];
    for (const d of sent) await new Promise<void>((r) => sock.send(d, mux.address.port, '127.0.0.1', () => r()));
    for (let i = 0; i < 100 && got.length + mux.stats.duplicateHelloVerify < sent.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got.map((d) => (isStun(d) ? 'stun' : d[13])), ['stun', 3, 2, 2]);
    assert.equal(mux.stats.duplicateHelloVerify, 2);
  } finally {
    sock.close();
    await mux.close();
  }
});

test('STUN: the PRIORITY of a nominating check only', () => {
  assert.equal(nominationPriority(stunCheck('a:b', 1853759231)), 1853759231);
  assert.equal(nominationPriority(stunCheck('a:b')), undefined, 'no USE-CANDIDATE');
  const response = stunCheck('a:b', 5);
  response.writeUInt16BE(0x0101, 0);
  assert.equal(nominationPriority(response), undefined, 'a Binding success response');
  assert.equal(nominationPriority(Buffer.from([0x80, 0, 0, 0])), undefined);
});

/**
 * A mux with one session (`ufrag`, its ICE `password`) and two bound peer sockets that
 * keep what they receive; `checks` counts the datagrams the session's transport got.
 */
async function twoPeers(ufrag: string, password = 'pw') {
  const mux = await RtcUdpMux.listen(0, '127.0.0.1');
  const peers = [createSocket('udp4'), createSocket('udp4')] as const;
  const got = new Map<Socket, Buffer[]>(peers.map((p) => [p, []]));
  for (const p of peers) {
    await new Promise<void>((r) => p.bind(0, '127.0.0.1', () => r()));
    p.on('message', (m) => got.get(p)!.push(m));
  }
  const session = mux.openSession();
  mux.bindUfrag(session, ufrag, password);
  const transport = mux.createTransport(session, 'udp4');
  const counts = { checks: 0 };
  transport.onData = () => counts.checks++;
  return {
    mux,
    peers,
    got,
    transport,
    counts,
    send: (p: Socket, d: Buffer) => new Promise<void>((r) => p.send(d, mux.address.port, '127.0.0.1', () => r())),
    addr: (p: Socket): [string, number] => ['127.0.0.1', p.address().port],
    async close() {
      for (const p of peers) p.close();
      await mux.close();
    },
  };
}

test('media goes to the highest-priority nominated address; STUN answers go where asked', async () => {
  const t = await twoPeers('srv2');
  const [low, high] = t.peers;
  try {
    // the lower-priority pair is nominated first (werift would keep it), then the higher one, then the lower again
    await t.send(low, stunCheck('srv2:cli2', 1000, 'pw'));
    await t.send(high, stunCheck('srv2:cli2', 2000, 'pw'));
    await t.send(low, stunCheck('srv2:cli2', 1000, 'pw'));
    for (let i = 0; i < 100 && t.counts.checks < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.counts.checks, 3);
    const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    await t.transport.send(rtp, t.addr(low));
    await t.transport.send(stunCheck('cli2:srv2'), t.addr(low));
    for (let i = 0; i < 100 && t.got.get(high)!.length + t.got.get(low)!.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(t.got.get(high)!.map((d) => d[0]), [0x80], 'RTP to the nominated pair of highest priority');
    assert.deepEqual(t.got.get(low)!.map((d) => isStun(d)), [true], 'only the STUN message to the address it was sent to');
  } finally {
    await t.close();
  }
});

test('STUN: MESSAGE-INTEGRITY checked with the ICE password', () => {
  const signed = stunCheck('srv:cli', 7, 'pass-word');
  assert.equal(stunIntegrityOk(signed, 'pass-word'), true);
  assert.equal(stunIntegrityOk(signed, 'other'), false, 'another key');
  assert.equal(stunIntegrityOk(stunCheck('srv:cli', 7), 'pass-word'), false, 'unsigned');
  const tampered = Buffer.from(signed);
  tampered[tampered.length - 30] ^= 1; // inside PRIORITY
  assert.equal(stunIntegrityOk(tampered, 'pass-word'), false, 'a changed PRIORITY');
  assert.equal(nominationPriority(signed), 7);
});

test('a forged nominating check reaches neither werift nor where media goes', async () => {
  const t = await twoPeers('srv3', 'secret');
  const [peer, forger] = t.peers;
  try {
    await t.send(peer, stunCheck('srv3:cli3', 1000, 'secret'));
    await t.send(forger, stunCheck('srv3:cli3', 9000, 'guess'));
    await t.send(forger, stunCheck('srv3:cli3', 9000));
    for (let i = 0; i < 100 && t.mux.stats.dropped < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.counts.checks, 1, 'werift, which does not check MESSAGE-INTEGRITY, gets only the signed check');
    assert.equal(t.mux.stats.dropped, 2);
    await t.transport.send(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), t.addr(forger));
    for (let i = 0; i < 100 && t.got.get(peer)!.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(t.got.get(peer)!.length, 1, 'media to the signed nomination');
    assert.equal(t.got.get(forger)!.length, 0);
  } finally {
    await t.close();
  }
});

test('unsigned checks from many addresses use up no address slot: the signed client still gets in', async () => {
  const mux = await RtcUdpMux.listen(0, '127.0.0.1', { maxAddressesPerSession: 4 });
  const socks: Socket[] = [];
  try {
    const session = mux.openSession();
    mux.bindUfrag(session, 'srv4', 'secret4');
    const transport = mux.createTransport(session, 'udp4');
    let checks = 0;
    transport.onData = () => checks++;
    const send = (p: Socket, d: Buffer) => new Promise<void>((r) => p.send(d, mux.address.port, '127.0.0.1', () => r()));
    for (let i = 0; i < 5; i++) {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      socks.push(s);
    }
    const [client, ...strangers] = socks;
    // strangers who learnt the ufrag (it travels in clear) but not the password, one slot each
    for (const s of strangers) await send(s, stunCheck('srv4:x', 9000));
    for (let i = 0; i < 100 && mux.stats.dropped < strangers.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(mux.stats.dropped, strangers.length);
    await send(client, stunCheck('srv4:cli4', 1000, 'secret4'));
    for (let i = 0; i < 100 && checks < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(checks, 1, 'the signed check of a new address reaches the session');
    assert.deepEqual([...session.addresses], [`127.0.0.1:${client.address().port}`]);
    // a bound address naming another session is not answered for it
    const other = mux.openSession();
    mux.bindUfrag(other, 'srv5', 'secret5');
    mux.createTransport(other, 'udp4').onData = () => assert.fail('routed to the other session');
    await send(client, stunCheck('srv5:cli4', 1000, 'secret5'));
    for (let i = 0; i < 100 && mux.stats.dropped < strangers.length + 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(mux.stats.dropped, strangers.length + 1);
    assert.equal(checks, 1);
  } finally {
    for (const s of socks) s.close();
    await mux.close();
  }
});
