/**
 * WebRTC publishing on one UDP port: a werift client sends real RTP (made by FFmpeg) through
 * WHIP; the stream is a Source like any other (RTMP, HTTP-FLV, /api/v1/streams, /api/v1/clients),
 * DELETE on the WHIP Location ends it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients, streams } from './api-helpers.js';
import { ffprobe, waitFor } from './harness.js';
import { ffmpegRtp, payloadType, rtcPublisher, useWhipServer, whip, type RtpFeed } from './rtc-helpers.js';

const w = useWhipServer(() => '{"code":0}');

/** The server's log lines about WebRTC, for a failure message. */
const rtcLog = () => w.server.output().split('\n').filter((l) => /rtc/i.test(l)).slice(-20).join('\n');

test('WHIP: a werift publisher with FFmpeg H.264 on the one UDP port becomes a stream; DELETE ends it', async () => {
  const pub = await rtcPublisher({ video: true });
  let media: RtpFeed | undefined;
  try {
    const res = await whip(w.server, 'app=live&stream=whip1', pub.offer, { Authorization: 'Bearer secret1' });
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    assert.equal(res.headers.get('content-type'), 'application/sdp');
    const location = res.headers.get('location')!;
    assert.match(location, /^\/rtc\/v1\/whip\/\?.*session=/);
    // the answer names only the configured candidate on the shared port
    const candidates = [...answer.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual([...new Set(candidates)], [`127.0.0.1:${w.udpPort}`]);
    const pt = payloadType(answer, 'H264/90000');
    assert.ok(pt > 0, 'H.264 negotiated');
    const hook = w.hooks.calls.find((c) => c.body.action === 'on_publish' && c.body.stream === 'whip1');
    assert.equal(hook?.body.param, '?token=secret1', 'the bearer token reaches on_publish as param');

    await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    // 30 s: DTLS retransmits back off to seconds on a loaded machine
    await waitFor('connected', () => pub.pc.connectionState === 'connected', 30_000).catch((e: Error) => {
      throw new Error(`${e.message} (${pub.pc.connectionState}/${pub.pc.iceConnectionState})\n${rtcLog()}`);
    });
    media = await ffmpegRtp({ video: { track: pub.video!, pt } });
    const listed = await waitFor('the stream with H.264 320x240 in /api/v1/streams', async () => {
      const s = (await streams(w.server)).find((x) => x.name === 'whip1');
      return s?.publish.active && s.video?.codec === 'H264' && s.video.width === 320 ? s : undefined;
    }, 20_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}; ${media!.packets.video} RTP packets sent\n${rtcLog()}`);
    });
    assert.equal(listed.app, 'live');
    const list = await clients(w.server);
    assert.ok(list.some((c) => c.type === 'rtc-publish' && c.name === 'whip1'), JSON.stringify(list));
    for (const url of [w.server.rtmpUrl('/live/whip1'), w.server.httpUrl('/live/whip1.flv')]) {
      const probe = await ffprobe(url, ['-rw_timeout', '15000000']);
      const v = probe.streams.find((s) => s.codec_type === 'video');
      assert.deepEqual([v?.codec_name, v?.width, v?.height], ['h264', 320, 240], url);
    }
    assert.ok(media.packets.video > 50);

    const del = await fetch(`http://127.0.0.1:${w.server.ports.api}${location}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor('the stream unpublished', async () => !(await streams(w.server)).find((x) => x.name === 'whip1')?.publish.active, 10_000);
    const again = await fetch(`http://127.0.0.1:${w.server.ports.api}${location}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
  } finally {
    media?.stop();
    await pub.pc.close();
  }
});

test('WHIP with H.264 + Opus: RTMP and HTTP-FLV carry H.264 + AAC (Opus made AAC by FFmpeg), in sync', async () => {
  const pub = await rtcPublisher({ video: true, audio: true });
  let media: RtpFeed | undefined;
  try {
    const res = await whip(w.server, 'app=live&stream=av1', pub.offer);
    const answer = await res.text();
    assert.equal(res.status, 201, answer);
    const [vpt, apt] = [payloadType(answer, 'H264/90000'), payloadType(answer, 'opus/48000')];
    assert.ok(vpt > 0 && apt > 0, 'H.264 and Opus negotiated');
    await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor('connected', () => pub.pc.connectionState === 'connected', 30_000).catch((e: Error) => {
      throw new Error(`${e.message} (${pub.pc.connectionState}/${pub.pc.iceConnectionState})\n${rtcLog()}`);
    });
    media = await ffmpegRtp({ video: { track: pub.video!, pt: vpt }, audio: { track: pub.audio!, pt: apt } });
    const listed = await waitFor('the stream with H.264 and AAC in /api/v1/streams', async () => {
      const s = (await streams(w.server)).find((x) => x.name === 'av1');
      return s?.publish.active && s.video?.codec === 'H264' && s.audio?.codec === 'AAC' ? s : undefined;
    }, 30_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}; ${JSON.stringify(media!.packets)} RTP packets sent\n${rtcLog()}`);
    });
    assert.equal(listed.audio?.sample_rate, 48000);
    for (const url of [w.server.httpUrl('/live/av1.flv'), w.server.rtmpUrl('/live/av1')]) {
      // read 300 packets (about 4 s): both tracks' first timestamps say whether audio and video line up
      const probe = await ffprobeFirstPackets(url);
      assert.deepEqual(probe.codecs, ['aac', 'h264'], url);
      assert.ok(probe.audioFrames > 40, `${url}: ${probe.audioFrames} AAC frames in 300 packets: ${probe.head}`);
      // both came from one FFmpeg clock; the skew is arrival jitter plus the AAC encoder's delay
      // (450 ms seen once on a 2-core machine also running a mutation run; a timeline that is off
      // is off by seconds)
      assert.ok(Math.abs(probe.skewMs) < 800, `${url}: audio starts ${probe.skewMs} ms after video`);
    }
    // the AAC FFmpeg made of the Opus is taken from its first sequence header on: no frame refused
    const s = (await streams(w.server)).find((x) => x.name === 'av1');
    assert.equal(s?.tsrs_dropped_frames.refused, 0, JSON.stringify(s?.tsrs_dropped_frames));
  } finally {
    media?.stop();
    await pub.pc.close();
  }
});

/** ffprobe's first 300 packets of a live URL: the codecs, AAC frame count and audio-video start skew (ms). */
async function ffprobeFirstPackets(url: string): Promise<{ codecs: string[]; audioFrames: number; skewMs: number; head: string }> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ffprobe', ['-v', 'error', '-rw_timeout', '15000000', '-read_intervals', '%+#300', '-show_streams', '-show_packets', '-of', 'json', url], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
  const j = JSON.parse(out) as { streams: { index: number; codec_name: string; codec_type: string }[]; packets: { stream_index: number; pts_time?: string }[] };
  const kind = (i: number) => j.streams.find((s) => s.index === i)?.codec_type;
  // a live join starts at a keyframe: compare the first video packet with the audio around it
  const first = (k: string) => Number(j.packets.find((p) => kind(p.stream_index) === k && p.pts_time !== undefined)?.pts_time);
  return {
    codecs: j.streams.filter((s) => s.codec_type === 'audio' || s.codec_type === 'video').map((s) => s.codec_name).sort(),
    audioFrames: j.packets.filter((p) => kind(p.stream_index) === 'audio').length,
    skewMs: Math.round((first('audio') - first('video')) * 1000),
    head: j.packets.slice(0, 12).map((p) => `${kind(p.stream_index)}@${p.pts_time}`).join(' '),
  };
}
