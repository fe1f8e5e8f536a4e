/**
 * WebRTC publishing on one UDP port: a werift client sends real RTP (made by FFmpeg) through
 * WHIP; the stream is a Source like any other (RTMP, HTTP-FLV, /api/v1/streams, /api/v1/clients),
 * DELETE on the WHIP Location ends it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clients, startHookServer, streams, type HookServer } from './api-helpers.js';
import { basicConf, ffprobe, freePort, startServer, waitFor, type RunningServer } from './harness.js';
import { ffmpegRtp, payloadType, rtcPublisher, whip, type RtpFeed } from './rtc-helpers.js';

let server: RunningServer;
let hooks: HookServer;
let udpPort: number;

before(async () => {
  hooks = await startHookServer(() => '{"code":0}');
  udpPort = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      `rtc { enabled on; rtc_to_rtmp on; }
       http_hooks { enabled on; on_publish ${hooks.url}/publish; }`,
      `rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }`,
    ),
  );
});

after(async () => {
  await server?.stop();
  hooks?.close();
});

/** The server's log lines about WebRTC, for a failure message. */
const rtcLog = () => server.output().split('\n').filter((l) => /rtc/i.test(l)).slice(-20).join('\n');

test('WHIP: a werift publisher with FFmpeg H.264 on the one UDP port becomes a stream; DELETE ends it', async () => {
  const pub = await rtcPublisher({ video: true });
  let media: RtpFeed | undefined;
  try {
    const res = await whip(server, 'app=live&stream=whip1', pub.offer, { Authorization: 'Bearer secret1' });
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    assert.equal(res.headers.get('content-type'), 'application/sdp');
    const location = res.headers.get('location')!;
    assert.match(location, /^\/rtc\/v1\/whip\/\?.*session=/);
    // the answer names only the configured candidate on the shared port
    const candidates = [...answer.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual([...new Set(candidates)], [`127.0.0.1:${udpPort}`]);
    const pt = payloadType(answer, 'H264/90000');
    assert.ok(pt > 0, 'H.264 negotiated');
    const hook = hooks.calls.find((c) => c.body.action === 'on_publish' && c.body.stream === 'whip1');
    assert.equal(hook?.body.param, '?token=secret1', 'the bearer token reaches on_publish as param');

    await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    // 30 s: DTLS retransmits back off to seconds on a loaded machine
    await waitFor('connected', () => pub.pc.connectionState === 'connected', 30_000).catch((e: Error) => {
      throw new Error(`${e.message} (${pub.pc.connectionState}/${pub.pc.iceConnectionState})\n${rtcLog()}`);
    });
    media = await ffmpegRtp({ video: { track: pub.video!, pt } });
    const listed = await waitFor('the stream with H.264 320x240 in /api/v1/streams', async () => {
      const s = (await streams(server)).find((x) => x.name === 'whip1');
      return s?.publish.active && s.video?.codec === 'H264' && s.video.width === 320 ? s : undefined;
    }, 20_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}; ${media!.packets.video} RTP packets sent\n${rtcLog()}`);
    });
    assert.equal(listed.app, 'live');
    const list = await clients(server);
    assert.ok(list.some((c) => c.type === 'rtc-publish' && c.name === 'whip1'), JSON.stringify(list));
    for (const url of [server.rtmpUrl('/live/whip1'), server.httpUrl('/live/whip1.flv')]) {
      const probe = await ffprobe(url, ['-rw_timeout', '15000000']);
      const v = probe.streams.find((s) => s.codec_type === 'video');
      assert.deepEqual([v?.codec_name, v?.width, v?.height], ['h264', 320, 240], url);
    }
    assert.ok(media.packets.video > 50);

    const del = await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor('the stream unpublished', async () => !(await streams(server)).find((x) => x.name === 'whip1')?.publish.active, 10_000);
    const again = await fetch(`http://127.0.0.1:${server.ports.api}${location}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
  } finally {
    media?.stop();
    await pub.pc.close();
  }
});
