/**
 * e2e helper: a real tsrs (from packages/server/dist) publishing an FFmpeg test
 * pattern, with the player pages and the players' dist builds copied into its
 * HTTP dir at test time (vendor builds are never committed).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from '../packages/server/dist/test/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface LiveServer {
  server: RunningServer;
  stop(): Promise<void>;
}

/** tsrs with HTTP-FLV and HLS (2 s fragments) on, and FFmpeg publishing /live/s. */
export async function startLive(): Promise<LiveServer> {
  const server = await startServer((p) =>
    basicConf(p, 'hls { enabled on; hls_fragment 2; hls_window 10; hls_path ./html; }'),
  );
  const html = join(server.dir, 'html');
  mkdirSync(html, { recursive: true });
  copyFileSync(join(here, 'pages/hls.html'), join(html, 'hls.html'));
  copyFileSync(join(here, 'pages/flv.html'), join(html, 'flv.html'));
  copyFileSync(require.resolve('hls.js/dist/hls.min.js'), join(html, 'hls.min.js'));
  copyFileSync(require.resolve('mpegts.js/dist/mpegts.js'), join(html, 'mpegts.js'));
  const publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('stream live', () => server.output().includes('rtmp publish'), 15_000);
  return {
    server,
    async stop() {
      kill(publisher);
      await server.stop();
    },
  };
}

export interface VideoProgress {
  currentTime: number;
  frames: number;
  errors: string[];
}

export function videoProgress(page: Page): Promise<VideoProgress> {
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    const errors = (window as unknown as { playerErrors: string[] }).playerErrors ?? [];
    return { currentTime: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames, errors };
  });
}

/**
 * Segments in a stream's HLS playlist. With hls_ctx on (the default) the URL answers a master
 * playlist naming a per-viewer media playlist: follow it, as a player would.
 */
export async function hlsSegmentCount(m3u8Url: string): Promise<number> {
  let r = await fetch(m3u8Url);
  let text = r.ok ? await r.text() : '';
  const variant = /^#EXT-X-STREAM-INF:.*\n(.+)$/m.exec(text)?.[1];
  if (variant) {
    r = await fetch(new URL(variant, m3u8Url));
    text = r.ok ? await r.text() : '';
  }
  return text.split('#EXTINF').length - 1;
}
