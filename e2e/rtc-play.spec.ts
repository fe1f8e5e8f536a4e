/**
 * RTMP in, WebRTC out, in Chromium (issue 13): FFmpeg publishes H.264 baseline + AAC over RTMP;
 * Chromium plays it through SRS's rtc_player.html URL (the console Player over WHEP) and through
 * SRS's JSON signalling `POST /rtc/v1/play/` as SRS's own player SDK does; frames are decoded,
 * audio arrives (AAC made Opus by FFmpeg), and a player joining the running stream (4 s GOP)
 * shows its first frame within 1 s of its connection coming up (the time from the start of
 * signalling, which a loaded machine stretches, is printed beside it).
 */
import type { ChildProcess } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import type { RunningServer } from '../packages/server/dist/test/harness.js';
import { expectFlowing, ffmpegPublish, kill, newRtcPage, RTC_CHROMIUM, startRtcServer, waitFor } from './rtc-live.js';

test.use(RTC_CHROMIUM);
test.describe.configure({ mode: 'serial' });

let server: RunningServer;
let ffmpeg: ChildProcess;

test.beforeAll(async () => {
  server = await startRtcServer();
  // a 4 s GOP: a joiner that had to wait for the next keyframe would wait up to 4 s
  ffmpeg = ffmpegPublish(server.rtmpUrl('/live/s'), { size: '320x240', rate: 25, gop: 100, videoArgs: ['-profile:v', 'baseline'] });
  await waitFor('rtmp publish', () => server.output().includes('rtmp publish'), 15_000);
});

test.afterAll(async () => {
  kill(ffmpeg);
  await server?.stop();
});



/**
 * In the page: plays webrtc://.../live/s through SRS's `POST /rtc/v1/play/` (JSON in, JSON with
 * the answer out, no trickle: the offer goes as soon as it is set) into a new <video>; resolves
 * the ms from the start of signalling to the first frame presented.
 */
function playSrsJson(page: Page, api: string): Promise<{ firstFrameMs: number; answerMs: number; connectedMs: number; code: number }> {
  return page.evaluate(async (api) => {
    const t0 = performance.now();
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.appendChild(video);
    const ms = new MediaStream();
    pc.ontrack = (ev) => {
      ms.addTrack(ev.track);
      video.srcObject = ms;
    };
    const first = new Promise<number>((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now() - t0)));
    const connected = new Promise<number>((resolve) =>
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') resolve(performance.now() - t0);
      }),
    );
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(`${api}/rtc/v1/play/`, {
      method: 'POST',
      body: JSON.stringify({ api: `${api}/rtc/v1/play/`, tid: 'e2e', streamurl: `webrtc://127.0.0.1/live/s`, clientip: null, sdp: pc.localDescription!.sdp }),
    });
    const answer = (await res.json()) as { code: number; sdp?: string };
    const answerMs = Math.round(performance.now() - t0);
    if (answer.code !== 0 || !answer.sdp) return { firstFrameMs: -1, answerMs, connectedMs: -1, code: answer.code };
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    void video.play().catch(() => undefined);
    const [firstFrameMs, connectedMs] = (await Promise.all([first, connected])).map(Math.round);
    return { firstFrameMs, answerMs, connectedMs, code: 0 };
  }, api);
}

test("SRS's rtc_player.html URL plays the RTMP stream in the console Player over WHEP: frames and audio", async ({ browser }) => {
  const page = await newRtcPage(browser);
  const api = `http://127.0.0.1:${server.ports.api}`;
  await page.goto(server.httpUrl(`/players/rtc_player.html?autostart=true&app=live&stream=s&api=${encodeURIComponent(api)}`));
  await expect(page.getByRole('heading', { level: 1, name: 'Player' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByLabel('Protocol')).toHaveValue('webrtc', { timeout: 15_000 });
  await expect(page.getByLabel('Stream URL')).toHaveValue(/^webrtc:\/\/127\.0\.0\.1:\d+\/live\/s$/);
  await expectFlowing(page, 10);
  await page.context().close();
});

test("SRS's /rtc/v1/play/ JSON signalling plays the RTMP stream; a late joiner's first frame comes within 1 s", async ({ browser }) => {
  const api = `http://127.0.0.1:${server.ports.api}`;
  const first = await newRtcPage(browser);
  await first.goto(`${api}/api/v1/versions`);
  const a = await playSrsJson(first, api);
  expect(a.code).toBe(0);
  await expectFlowing(first, 10);

  // a second player joins while the stream (and the first player) run
  const late = await newRtcPage(browser);
  await late.goto(`${api}/api/v1/versions`);
  const b = await playSrsJson(late, api);
  const said = (r: typeof a) => `answer ${r.answerMs} ms, connected ${r.connectedMs} ms, first frame ${r.firstFrameMs} ms`;
  console.log(`/rtc/v1/play/ from the start of signalling: first player ${said(a)}; late joiner ${said(b)}`);
  expect(b.code).toBe(0);
  expect(b.firstFrameMs).toBeGreaterThan(0);
  expect(b.connectedMs).toBeGreaterThan(0);
  // from the moment media can flow (DTLS up): the GOP cache starts it at once, whatever the GOP
  expect(b.firstFrameMs - b.connectedMs).toBeLessThan(1000);
  await expectFlowing(late, 10);
  await first.context().close();
  await late.context().close();
});
