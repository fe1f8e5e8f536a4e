/**
 * e2e helper for the WebRTC specs: a real tsrs with rtc_server on a free UDP port (candidate
 * 127.0.0.1, so all media stays on loopback), the console at /console/, HTTP-FLV, and
 * Chromium's fake camera and microphone. Plus page probes read through RTCPeerConnection.getStats.
 */
import { expect, type Browser, type Page } from '@playwright/test';
import { basicConf, freePort, startServer, type RunningServer } from '../packages/server/dist/test/harness.js';

export { decodeErrors, exitOf, ffmpegPublish, ffprobe, kill, waitFor } from '../packages/server/dist/test/harness.js';
export { apiGet, consoleUrl, streamsOf, clientsOf } from './console-live.js';

/** Chromium with fake devices granted without a prompt, and ICE allowed on loopback. */
export const RTC_CHROMIUM = {
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
    ],
  },
};

/** tsrs taking WebRTC publishers and players (rtc_to_rtmp, rtmp_to_rtc) on the default vhost. */
export async function startRtcServer(vhostExtra = ''): Promise<RunningServer> {
  const udp = await freePort();
  return startServer((p) =>
    basicConf(
      p,
      `rtc { enabled on; rtmp_to_rtc on; rtc_to_rtmp on; } ${vhostExtra}`,
      `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; }`,
    ),
    process.env.TSRS_DEBUG ? { env: { DEBUG: process.env.TSRS_DEBUG } } : {},
  );
}

export interface InboundStats {
  framesDecoded: number;
  videoBytes: number;
  audioPackets: number;
  audioBytes: number;
  /** totalSamplesReceived of the audio track (0 when nothing was decoded) */
  audioSamples: number;
  connectionState: string;
  /** the video inbound-rtp's other counters, for a failure's message */
  videoDetail: string;
}

/**
 * The inbound RTP counters of every RTCPeerConnection the page made (the page's own are found
 * by wrapping the constructor before any script runs: call `trackPeerConnections` first).
 */
export function inboundStats(page: Page): Promise<InboundStats> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? [];
    const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0, audioSamples: 0, connectionState: pcs.map((p) => p.connectionState).join(','), videoDetail: '' };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          out.framesDecoded += Number(s.framesDecoded ?? 0);
          out.videoBytes += Number(s.bytesReceived ?? 0);
          const keys = ['packetsReceived', 'packetsLost', 'framesReceived', 'keyFramesDecoded', 'framesDropped', 'pliCount', 'firCount', 'nackCount', 'decoderImplementation'];
          out.videoDetail += keys.map((k) => `${k}=${String(s[k])}`).join(' ') + '; ';
        } else if (s.kind === 'audio') {
          out.audioPackets += Number(s.packetsReceived ?? 0);
          out.audioBytes += Number(s.bytesReceived ?? 0);
          out.audioSamples += Number(s.totalSamplesReceived ?? 0);
        }
      });
    }
    return out;
  });
}

/** Keeps every RTCPeerConnection a page creates in `window.__pcs`, for `inboundStats`. */
export async function trackPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const list: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = list;
    const Wrapped = function (this: unknown, config?: RTCConfiguration) {
      const pc = new Native(config);
      list.push(pc);
      return pc;
    } as unknown as typeof RTCPeerConnection;
    Wrapped.prototype = Native.prototype;
    Object.setPrototypeOf(Wrapped, Native);
    window.RTCPeerConnection = Wrapped;
  });
}

/** A page in a new context (1280x800) whose peer connections `inboundStats` can read. */
export async function newRtcPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page] error: ${e.message}`));
  await trackPeerConnections(page);
  return page;
}

/**
 * The page's WebRTC media flows: once a frame is decoded, over `ms` at least `minFps` video
 * frames a second are decoded and 20 audio packets a second arrive, and audio samples are decoded.
 */
export async function expectFlowing(page: Page, minFps: number, ms = 3000): Promise<void> {
  let last: InboundStats | undefined;
  await expect
    .poll(async () => (last = await inboundStats(page)).framesDecoded, { timeout: 20_000, message: 'a video frame decoded' })
    .toBeGreaterThan(0)
    .catch((e: Error) => {
      throw new Error(`${e.message}\nthe page's inbound RTP then: ${JSON.stringify(last)}`);
    });
  const a = await inboundStats(page);
  await page.waitForTimeout(ms);
  const b = await inboundStats(page);
  expect(b.framesDecoded, 'video frames decoded').toBeGreaterThan(a.framesDecoded + (ms / 1000) * minFps);
  expect(b.audioPackets, 'audio packets received').toBeGreaterThan(a.audioPackets + (ms / 1000) * 20);
  expect(b.audioSamples, 'audio samples decoded').toBeGreaterThan(a.audioSamples);
}
