/**
 * SRS's circuit_breaker, run for WebRTC (app/circuit-breaker.ts): at the dying water level a WHEP
 * player stays connected (STUN, DTLS and RTCP answered) but gets no RTP; the frames are counted in
 * /metrics; turning the breaker off (SIGHUP reload) brings video back within a sample, starting
 * at a keyframe, with no gap in the sequence numbers the player sees.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, metric } from './api-helpers.js';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor, type Ports } from './harness.js';
import { connectedWhepPlayer } from './rtc-helpers.js';

/** Every level on at any load above 0 %, after one sample. */
const ALWAYS_DYING = 'circuit_breaker { enabled on; high_threshold 0; high_pulse 1; critical_threshold 0; critical_pulse 1; dying_threshold 0; dying_pulse 1; }';

test('circuit_breaker dying: a WHEP player stays connected without RTP; reloaded off, video comes back at a keyframe', { timeout: 120_000 }, async (t) => {
  const udp = await freePort();
  const conf = (p: Ports, breaker: string) =>
    basicConf(p, 'rtc { enabled on; rtmp_to_rtc on; }', `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }\n${breaker}`);
  const server = await startServer((p) => conf(p, ALWAYS_DYING));
  t.after(() => server.stop());
  const ff = ffmpegPublish(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`, { size: '320x240', rate: 25, gop: 25 });
  t.after(() => kill(ff));
  await waitFor('the RTMP stream', async () => (await api<{ streams: { name: string; video: unknown }[] }>(server, '/api/v1/streams/')).json.streams.some((s) => s.name === 'cam' && s.video), 20_000, 200);
  await waitFor('the dying water level', async () => (await metric(server, 'tsrs_circuit_breaker_level')) === 3, 10_000, 200);

  const player = await connectedWhepPlayer(server, 'app=live&stream=cam');
  t.after(() => player.pc.close());
  await sleep(3000);
  assert.equal(player.pc.connectionState, 'connected', 'the player stays connected');
  assert.equal(player.videoSeqs.length, 0, 'no video RTP while dying');
  assert.equal(player.audioPackets, 0, 'no audio RTP while dying');
  const shed = await metric(server, 'tsrs_rtc_shed_frames_total');
  assert.ok(shed >= 25, `frames shed: ${shed}`);
  assert.match(server.output(), /circuit breaker: dying water level/);

  // reloaded with the breaker off: video again within a few seconds, from a keyframe, without gaps
  writeFileSync(join(server.dir, 'test.conf'), conf(server.ports, 'circuit_breaker { enabled off; }'));
  server.proc.kill('SIGHUP');
  await waitFor('video after the reload', () => player.units >= 25, 15_000, 100);
  assert.equal(player.firstUnitKeyframe, true, 'the first picture after dying is a keyframe');
  const seqs = player.videoSeqs;
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] + 1) & 0xffff, 'no gap in the sequence numbers');
  assert.equal(await metric(server, 'tsrs_circuit_breaker_level'), 0);
  assert.ok(player.audioPackets > 0, 'audio again');
  assert.equal(server.proc.exitCode, null);
});
