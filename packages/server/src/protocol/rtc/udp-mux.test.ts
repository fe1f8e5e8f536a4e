import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { RTCPeerConnection } from 'werift';
import { RtcUdpMux } from './udp-mux.js';
import { iceUfrag, setHostCandidates } from './sdp-candidates.js';
import { isHelloVerifyRequest } from './dtls-record.js';
import { isStun, localUfragOf } from './stun.js';

/** A server-side session on the shared port answering `offer`; returns the answer SDP. */
async function answerOn(mux: RtcUdpMux, offer: string) {
  const session = mux.openSession();
  const pc = new RTCPeerConnection({ iceLite: true, iceUseIpv6: false });
  const answer = await mux.run(session, async () => {
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription!.sdp;
  });
  mux.bindUfrag(session, iceUfrag(answer)!);
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

/** A STUN binding request whose USERNAME is `username` (enough for the mux's routing). */
function stunCheck(username: string): Buffer {
  const attr = Buffer.from(username);
  const padded = Buffer.concat([attr, Buffer.alloc((4 - (attr.length % 4)) % 4)]);
  const body = Buffer.concat([Buffer.from([0, 6, 0, attr.length]), padded]);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(0x0001, 0);
  head.writeUInt16BE(body.length, 2);
  head.writeUInt32BE(0x2112a442, 4);
  return Buffer.concat([head, body]);
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
    mux.bindUfrag(s1, 'same');
    assert.throws(() => mux.bindUfrag(s2, 'same'), /already in use/);
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
    mux.bindUfrag(session, 'srv1');
    const transport = mux.createTransport(session, 'udp4');
    const got: Buffer[] = [];
    transport.onData = (d) => got.push(d);
    const sent = [stunCheck('srv1:cli1'), dtlsHandshake(3), dtlsHandshake(3), dtlsHandshake(2), dtlsHandshake(3), dtlsHandshake(2)];
    for (const d of sent) await new Promise<void>((r) => sock.send(d, mux.address.port, '127.0.0.1', () => r()));
    for (let i = 0; i < 100 && got.length + mux.stats.duplicateHelloVerify < sent.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got.map((d) => (isStun(d) ? 'stun' : d[13])), ['stun', 3, 2, 2]);
    assert.equal(mux.stats.duplicateHelloVerify, 2);
  } finally {
    sock.close();
    await mux.close();
  }
});
