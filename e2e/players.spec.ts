import { expect, test } from '@playwright/test';
import { hlsSegmentCount, startLive, videoProgress, type LiveServer } from './tsrs.js';

let live: LiveServer;

test.beforeAll(async () => {
  live = await startLive();
});

test.afterAll(async () => {
  await live?.stop();
});

/** Plays for a while and checks that time advances and frames are decoded. */
async function expectPlaying(page: import('@playwright/test').Page): Promise<void> {
  await expect
    .poll(async () => {
      const p = await videoProgress(page);
      return p.currentTime > 1 ? 'playing' : `t=${p.currentTime} errors=${p.errors.join(',')}`;
    }, { timeout: 45_000 })
    .toBe('playing');
  const a = await videoProgress(page);
  await page.waitForTimeout(3000);
  const b = await videoProgress(page);
  expect(b.currentTime).toBeGreaterThan(a.currentTime + 1.5);
  expect(b.frames).toBeGreaterThan(a.frames + 20);
}

test('hls.js plays the HLS stream', async ({ page }) => {
  // hls.js gives up on a playlist that is not there yet: wait for a few segments
  await expect
    .poll(() => hlsSegmentCount(live.server.httpUrl('/live/s.m3u8')), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(3);
  await page.goto(live.server.httpUrl('/hls.html?src=/live/s.m3u8'));
  await expectPlaying(page);
  const fatal = (await videoProgress(page)).errors.filter((e) => e.endsWith('/true'));
  expect(fatal).toEqual([]);
});

test('mpegts.js plays the HTTP-FLV stream', async ({ page }) => {
  await page.goto(live.server.httpUrl('/flv.html?src=/live/s.flv'));
  await expectPlaying(page);
  expect((await videoProgress(page)).errors).toEqual([]);
});
