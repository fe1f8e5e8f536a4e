/**
 * WebRTC from the console in Chromium (issue 13): the Publisher page publishes the fake camera and
 * microphone over WHIP to a real tsrs; the stream shows in Streams with its codecs (H.264 + AAC,
 * the Opus made AAC by FFmpeg) and its WebRTC preview plays; FFmpeg reads it back over RTMP,
 * HTTP-FLV and HLS, and its DVR file plays; then the Publisher sends a clock drawn on a canvas
 * and the Player page plays it over WHEP, which gives the publisher -> player delay (p50/p95)
 * frame by frame.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import type { RunningServer } from '../packages/server/dist/test/harness.js';
import {
  apiGet,
  consoleUrl,
  decodeErrors,
  ffprobe,
  expectFlowing,
  newRtcPage,
  RTC_CHROMIUM,
  startRtcServer,
  streamsOf,
  waitFor,
} from './rtc-live.js';

const execFileP = promisify(execFile);

test.use(RTC_CHROMIUM);
test.describe.configure({ mode: 'serial' });

let server: RunningServer;

test.beforeAll(async () => {
  // HLS and a session DVR of every stream, to read the WHIP stream back as files too
  server = await startRtcServer(
    'hls { enabled on; hls_fragment 2; hls_window 20; hls_path ./html; hls_ctx off; } dvr { enabled on; dvr_plan session; dvr_path ./objs/rec/[app]/[stream].flv; }',
  );
});

test.afterAll(async () => {
  await server?.stop();
});


/** Starts the console Publisher on app live, stream `name`; resolves once it says "connected". */
async function publishFromConsole(page: Page, name: string): Promise<void> {
  // SRS's H5 publisher URL leads to the console's Publisher
  await page.goto(server.httpUrl(`/players/rtc_publisher.html?app=live&stream=${name}&api=${encodeURIComponent(`http://127.0.0.1:${server.ports.api}`)}`));
  await expect(page.getByRole('heading', { level: 1, name: 'Publisher' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByLabel('Stream', { exact: true })).toHaveValue(name);
  const start = page.getByRole('button', { name: 'Start publishing' });
  await expect(start).toBeEnabled({ timeout: 15_000 });
  await start.click();
  await expect(page.getByRole('status').filter({ hasText: 'publishing' })).toContainText('publishing · connected', { timeout: 20_000 });
}


let publisher: Page;

test('the console Publisher publishes the fake camera over WHIP; Streams shows H264 + AAC; its WebRTC preview plays', async ({ browser }) => {
  const f = await apiGet<{ data: { tsrs: { rtc: boolean; rtc_reason: string } } }>(server, '/api/v1/features');
  expect(f.data.tsrs).toEqual({ rtc: true, rtc_reason: '' });

  publisher = await newRtcPage(browser);
  await publishFromConsole(publisher, 'cam');
  // the play URLs it lists name this server's ports (the test's are not SRS's defaults)
  await expect(publisher.getByText(`rtmp://127.0.0.1:${server.ports.rtmp}/live/cam`, { exact: true })).toBeVisible();
  await expect(publisher.getByText(`webrtc://127.0.0.1:${server.ports.api}/live/cam`, { exact: true })).toBeVisible();
  await waitFor('codecs of live/cam', async () => {
    const s = (await streamsOf(server)).find((x) => x.name === 'cam') as unknown as { video?: { codec: string }; audio?: { codec: string } } | undefined;
    return s?.video?.codec === 'H264' && s.audio?.codec === 'AAC';
  }, 20_000);

  const page = await newRtcPage(browser);
  await page.goto(consoleUrl(server, '/streams/'));
  const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'live/cam', exact: true }) });
  await expect(row).toContainText('H264', { timeout: 30_000 });
  await expect(row).toContainText('AAC');
  await expect(row).toContainText('rtc-publish');
  await row.getByRole('button', { name: 'Preview live/cam' }).click();
  await page.getByRole('group', { name: 'Protocol' }).getByRole('button', { name: 'WebRTC' }).click();
  await expectFlowing(page, 5);
  await page.context().close();
});

test('FFmpeg reads the WHIP stream over RTMP, HTTP-FLV and HLS: H.264 + AAC; its DVR file plays', async () => {
  for (const url of [server.rtmpUrl('/live/cam'), server.httpUrl('/live/cam.flv')]) {
    const probe = await ffprobe(url, ['-rw_timeout', '15000000']);
    const codecs = probe.streams.filter((s) => s.codec_type !== 'data').map((s) => `${s.codec_type}:${s.codec_name}`).sort();
    expect(codecs, url).toEqual(['audio:aac', 'video:h264']);
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    expect(v.width, url).toBeGreaterThan(0);
  }
  // HLS: a playlist of segments; its latest whole segment holds both tracks and decodes
  const m3u8 = server.httpUrl('/live/cam.m3u8');
  const segments = async () => {
    const r = await fetch(m3u8);
    return r.ok ? [...(await r.text()).matchAll(/^[^#\s].*\.ts\S*$/gm)].map((m) => m[0]) : [];
  };
  // the browser sends a keyframe when asked (pli_for_rtmp, 6 s): segments are that long
  await waitFor('2 HLS segments', async () => (await segments()).length >= 2, 30_000).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${m3u8} answers ${await fetch(m3u8).then(async (r) => `${r.status} ${await r.text()}`)}`);
  });
  const latest = new URL((await segments()).at(-1)!, m3u8).href;
  const seg = await ffprobe(latest, ['-count_frames']);
  expect(seg.streams.map((s) => s.codec_name).sort(), latest).toEqual(['aac', 'h264']);
  // (Chromium changes its resolution as its bandwidth estimate grows: each change starts a
  // segment at its keyframe, so a segment may be short)
  expect(Number(seg.streams.find((s) => s.codec_type === 'video')?.nb_read_frames), 'frames in the segment').toBeGreaterThan(0);
  expect(decodeErrorsOf(await decodeErrors(latest)), latest).toBe('');
  // the Publisher's Stop ends the WHIP session (DELETE); the session DVR is closed at the
  // unpublish: it plays, every frame decodes
  await publisher.getByRole('button', { name: 'Stop publishing' }).click();
  await publisher.context().close();
  await waitFor('live/cam unpublished', async () => !(await streamsOf(server)).some((s) => s.name === 'cam' && s.publish.active), 20_000);
  const file = join(server.dir, 'objs/rec/live/cam.flv');
  await waitFor('the DVR file', async () => existsSync(file), 10_000);
  const dvr = await ffprobe(file, ['-count_frames']);
  expect(dvr.streams.map((s) => s.codec_name).sort(), file).toEqual(['aac', 'h264']);
  expect(Number(dvr.streams.find((s) => s.codec_type === 'video')?.nb_read_frames), 'recorded frames').toBeGreaterThan(50);
  expect(decodeErrorsOf(await decodeErrors(file)), file).toBe('');
  // each track's DTS strictly increase in the file
  for (const track of ['v', 'a']) {
    const { stdout } = await execFileP('ffprobe', ['-v', 'error', '-select_streams', track, '-show_entries', 'packet=dts', '-of', 'csv=p=0', file]);
    const dts = stdout.split('\n').filter(Boolean).map(Number);
    const back = dts.findIndex((t, i) => i > 0 && t <= dts[i - 1]);
    expect(back, `${track} DTS at ${back}: ${dts.slice(Math.max(0, back - 2), back + 2).join(' ')}; first: ${dts.slice(0, 12).join(' ')}`).toBe(-1);
  }
});

/**
 * FFmpeg's decode errors, without the null muxer's complaint about two frames on one tick of
 * the frame rate it guessed (Chromium's frame rate varies; each track's DTS are checked apart)
 */
function decodeErrorsOf(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l && !/non monotonically increasing dts to muxer/.test(l))
    .join('\n');
}

/**
 * Replaces getUserMedia's camera with a 320x240 canvas that shows the wall clock (ms mod 2^24)
 * as 24 black/white blocks and their complement (a check), keeping the fake microphone.
 */
async function clockCamera(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const md = navigator.mediaDevices;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = async (c?: MediaStreamConstraints) => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d')!;
      const draw = () => {
        const t = Date.now() % 0x1000000;
        for (let i = 0; i < 48; i++) {
          const bit = i < 24 ? (t >> i) & 1 : 1 - ((t >> (i - 24)) & 1);
          g.fillStyle = bit ? '#fff' : '#000';
          g.fillRect((i % 8) * 40, Math.floor(i / 8) * 40, 40, 40);
        }
      };
      draw();
      setInterval(draw, 15);
      const out = canvas.captureStream(30);
      if (c?.audio) (await original({ audio: true })).getAudioTracks().forEach((a) => out.addTrack(a));
      return out;
    };
  });
}

/** In the page: decodes the clock of every presented frame of the first <video>; delays in window.__delays. */
async function sampleDelays(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __delays: number[]; __bad: number };
    w.__delays = [];
    w.__bad = 0;
    const video = document.querySelector('video')!;
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    const onFrame = () => {
      const now = Date.now();
      g.drawImage(video, 0, 0, 320, 240);
      const px = g.getImageData(0, 0, 320, 240).data;
      let value = 0;
      let ok = true;
      for (let i = 0; i < 24; i++) {
        const at = (j: number) => px[((Math.floor(j / 8) * 40 + 20) * 320 + (j % 8) * 40 + 20) * 4 + 1] > 128;
        const bit = at(i);
        if (bit === at(i + 24)) ok = false;
        if (bit) value |= 1 << i;
      }
      if (ok) w.__delays.push(((now % 0x1000000) - value + 0x1000000) % 0x1000000);
      else w.__bad++;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test('the Player page plays the WHIP stream over WHEP: frames decoded, audio, publisher -> player delay', async ({ browser }) => {
  const pub = await newRtcPage(browser);
  await clockCamera(pub);
  await publishFromConsole(pub, 'clock');
  await waitFor('live/clock has video', async () => (await streamsOf(server)).some((s) => s.name === 'clock' && (s as unknown as { video?: unknown }).video), 20_000);

  const player = await newRtcPage(browser);
  // a webrtc:// URL in the Player's URL field
  await player.goto(consoleUrl(server, '/player/'));
  await player.getByLabel('Stream URL').fill(`webrtc://127.0.0.1:${server.ports.api}/live/clock`);
  await player.getByRole('button', { name: 'Play', exact: true }).click();
  await expectFlowing(player, 5);

  await sampleDelays(player);
  await player.waitForTimeout(6000);
  const { delays, bad } = await player.evaluate(() => {
    const w = window as unknown as { __delays: number[]; __bad: number };
    return { delays: w.__delays, bad: w.__bad };
  });
  const sorted = [...delays].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(`WHIP -> WHEP delay (Chromium to Chromium through tsrs, canvas clock): p50 ${p50} ms, p95 ${p95} ms over ${delays.length} frames (${bad} unreadable)`);
  expect(delays.length, 'frames with a readable clock').toBeGreaterThan(60);
  expect(bad, 'unreadable frames').toBeLessThan(delays.length / 4);
  // generous on a loaded 2-core machine; the figure itself is printed above
  expect(p50).toBeLessThan(1000);
  await player.context().close();
  await pub.context().close();
});

test("the console's WHIP offer goes once a host candidate is in it, without waiting for slow ICE gathering", async ({ browser }) => {
  const page = await newRtcPage(browser);
  // a STUN server that never answers (a UDP socket that reads and drops) keeps ICE gathering
  // incomplete for seconds; record when the offer was set and when it was POSTed, and the
  // gathering state then
  const blackHole = createSocket('udp4');
  await new Promise<void>((r) => blackHole.bind(0, '127.0.0.1', () => r()));
  const stun = `stun:127.0.0.1:${blackHole.address().port}`;
  await page.addInitScript((stun: string) => {
    const Native = window.RTCPeerConnection;
    const seen = { offerAt: 0, postAt: 0, gathering: '' };
    let last: RTCPeerConnection | undefined;
    (window as unknown as { __ice: typeof seen }).__ice = seen;
    const Slow = function (this: unknown, config?: RTCConfiguration) {
      const pc = new Native({ ...config, iceServers: [{ urls: stun }] });
      const setLocal = pc.setLocalDescription.bind(pc);
      pc.setLocalDescription = async (d?: RTCLocalSessionDescriptionInit) => {
        await setLocal(d);
        seen.offerAt = performance.now();
      };
      last = pc;
      return pc;
    } as unknown as typeof RTCPeerConnection;
    Slow.prototype = Native.prototype;
    Object.setPrototypeOf(Slow, Native);
    window.RTCPeerConnection = Slow;
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.includes('/rtc/v1/whip/') && init?.method === 'POST') {
        seen.postAt = performance.now();
        seen.gathering = last?.iceGatheringState ?? '';
      }
      return nativeFetch(input, init);
    };
  }, stun);
  try {
    await publishFromConsole(page, 'icewait');
  } finally {
    blackHole.close();
  }
  const seen = await page.evaluate(() => (window as unknown as { __ice: { offerAt: number; postAt: number; gathering: string } }).__ice);
  expect(seen.gathering, 'gathering was still going when the offer went').toBe('gathering');
  // a host candidate comes within tens of ms; the old wait was for 'complete' or 1.5 s
  expect(seen.postAt - seen.offerAt).toBeLessThan(1000);
  await page.context().close();
});
