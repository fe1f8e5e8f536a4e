/**
 * WebRTC sessions within the server's bounds: each counts as a connection of its client's
 * address (max_connections_per_ip, as SRS counts WebRTC sessions as connections; the HTTP
 * client's own address, not the `clientip` SRS's JSON API names), and with
 * `rtc { rtmp_to_rtc off; }` a WHEP player waiting for a stream is closed when an RTMP publisher
 * (not a WebRTC one) brings it.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { api, clients } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor } from './harness.js';
import { connectedWhepPlayer, rtcPlayer, rtcPublisher, whep } from './rtc-helpers.js';

/** POSTs `body` to `url` from the local address `from`; resolves with the answer's body. */
function postFrom(from: string, url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress: from, headers: { 'Content-Type': 'application/json', Connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.end(body);
  });
}

test('max_connections_per_ip: WebRTC publishers and players count as connections of their address; an offer past it gets 4097', async (t) => {
  const udp = await freePort();
  const server = await startServer((p) =>
    basicConf(p, 'rtc { enabled on; rtc_to_rtmp on; rtmp_to_rtc on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }\nmax_connections_per_ip 2;`),
  );
  t.after(() => server.stop());
  const offer = async (kind: 'publish' | 'play') => {
    const p = kind === 'publish' ? await rtcPublisher({ video: true }) : await rtcPlayer();
    await p.pc.close(); // the offer is all this needs: the session waits for ICE
    return p.offer;
  };
  // the sessions come from addresses of their own on the loopback (127.0.0.2, .3), apart from the
  // test's API connections on 127.0.0.1; SRS's JSON `clientip` (what hooks and security see) is
  // the client's word and does not move a session to another address's share
  const call = async (kind: 'publish' | 'play', stream: string, from: string, clientip?: string) =>
    JSON.parse(await postFrom(from, server.apiUrl(`/rtc/v1/${kind}/`), JSON.stringify({ streamurl: `webrtc://127.0.0.1/live/${stream}`, clientip, sdp: await offer(kind) }))) as {
      code: number;
      sessionid?: string;
    };
  const first = await call('publish', 'c1', '127.0.0.2');
  assert.equal(first.code, 0, JSON.stringify(first));
  assert.equal((await call('play', 'c1', '127.0.0.2')).code, 0);
  assert.equal((await call('publish', 'c2', '127.0.0.2')).code, 4097, 'a third session of the address');
  assert.equal((await call('play', 'c1', '127.0.0.2', '10.20.30.40')).code, 4097, 'a third session of the address (a player naming another clientip)');
  assert.equal((await call('publish', 'c2', '127.0.0.3')).code, 0, 'another address');
  // ending a session gives its place back
  const del = await fetch(server.apiUrl(`/rtc/v1/whip/?action=delete&app=live&stream=c1&session=${encodeURIComponent(first.sessionid!)}`), { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.equal((await call('publish', 'c3', '127.0.0.2')).code, 0, 'a place freed by the DELETE');
  // the shared port's counters in /metrics: the three sessions still waiting for ICE
  const metrics = await (await fetch(server.apiUrl('/metrics'))).text();
  assert.match(metrics, /^tsrs_rtc_sessions 3$/m);
  assert.match(metrics, /^tsrs_rtc_send_dropped_total 0$/m);
  assert.equal(server.proc.exitCode, null);
});

test('security with SRS\'s JSON clientip: a claimed address cannot lift a deny of the HTTP client\'s own', async (t) => {
  const udp = await freePort();
  const server = await startServer((p) =>
    basicConf(
      p,
      'rtc { enabled on; rtc_to_rtmp on; } security { enabled on; deny publish 127.0.0.3; deny publish 10.9.9.9; allow publish all; allow play all; }',
      `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`,
    ),
  );
  t.after(() => server.stop());
  const publish = async (stream: string, from: string, clientip?: string) => {
    const p = await rtcPublisher({ video: true });
    await p.pc.close();
    return JSON.parse(await postFrom(from, server.apiUrl('/rtc/v1/publish/'), JSON.stringify({ streamurl: `webrtc://127.0.0.1/live/${stream}`, clientip, sdp: p.offer }))) as { code: number };
  };
  assert.equal((await publish('s1', '127.0.0.2')).code, 0, 'an allowed address');
  assert.notEqual((await publish('s2', '127.0.0.3')).code, 0, 'the denied address');
  assert.notEqual((await publish('s3', '127.0.0.3', '10.20.30.40')).code, 0, 'the denied address claiming an allowed clientip');
  assert.notEqual((await publish('s4', '127.0.0.2', '10.9.9.9')).code, 0, 'an allowed address passing a denied clientip');
  assert.equal((await publish('s5', '127.0.0.2', '10.20.30.40')).code, 0, 'an allowed address passing an allowed clientip');
  const listed = (await clients(server)).filter((c) => c.type === 'rtc-publish').map((c) => c.ip);
  assert.ok(listed.includes('10.20.30.40'), `the client list shows the clientip: ${listed}`);
  assert.equal(server.proc.exitCode, null);
});

test('rtmp_to_rtc off: a WHEP player waiting for a stream is closed when an RTMP publisher brings it', { timeout: 120_000 }, async (t) => {
  const udp = await freePort();
  const server = await startServer((p) => basicConf(p, 'rtc { enabled on; rtc_to_rtmp on; rtmp_to_rtc off; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`));
  t.after(() => server.stop());
  const player = await connectedWhepPlayer(server, 'app=live&stream=later');
  t.after(() => player.pc.close());
  const listed = async () => (await clients(server)).some((c) => c.type === 'rtc-play' && c.name === 'later');
  assert.ok(await listed(), 'the player waits');
  const rtmp = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/later`, { size: '320x240', rate: 25, gop: 25 });
  t.after(() => kill(rtmp));
  await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === 'later' && s.video), 20_000, 200);
  await waitFor('the waiting player closed', async () => !(await listed()), 15_000, 200);
  assert.equal(player.units, 0, 'no RTMP media reached the player');
  assert.match(server.output(), /disabled rtmp_to_rtc/);
  // a new player of the now RTMP-published stream is refused at once
  const again = await rtcPlayer();
  t.after(() => again.pc.close());
  const refused = await whep(server, 'app=live&stream=later', again.offer);
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { code: number }).code, 5021);
});
