/**
 * Acceptance tests of the web console (issue 7): a real tsrs serving apps/console/out at /console/,
 * real FFmpeg publishers and players, Debian's Chromium. One page is kept open for the whole spec
 * and moved around with the console's own navigation, as an operator would (the live charts keep
 * their samples across pages); the steps build on each other, so they run in order.
 *
 * Screenshots of every page land in e2e/screenshots/ (not committed).
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import type { RunningServer } from '../packages/server/dist/test/harness.js';
import {
  apiGet,
  clientsOf,
  consoleUrl,
  exitOf,
  ffmpegPlay,
  ffmpegPublish,
  ffprobe,
  hlsSegmentCount,
  kill,
  num,
  startConsoleServer,
  streamsOf,
  waitFor,
} from './console-live.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };

test.describe.configure({ mode: 'serial' });

let server: RunningServer;
let page: Page;
let publisher: ChildProcess | undefined;
let second: ChildProcess | undefined;
let player: ChildProcess | undefined;
let streamId = '';

async function openConsole(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', acceptDownloads: true });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log(`[console] page error: ${e.message}`));
  return p;
}

/** Client-side navigation through the sidebar (no reload: the live store keeps its samples). */
async function nav(label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/** Set on the window once; still there later = the page was never reloaded. */
async function markDocument(): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __e2eDoc: boolean }).__e2eDoc = true));
}
async function sameDocument(): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __e2eDoc?: boolean }).__e2eDoc === true);
}

function streamRow(name: string): Locator {
  return page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });
}

async function videoTime(): Promise<number> {
  return page.locator('video').evaluate((v: HTMLVideoElement) => v.currentTime);
}

/** The embedded player's clock runs: past 1 s, then +1.5 s over the next 3 s. */
async function expectVideoAdvancing(what: string): Promise<void> {
  const alert = page.getByRole('alert').filter({ hasText: 'Playback failed' });
  let start = 0;
  await expect
    .poll(
      async () => {
        if (await alert.count()) return `failed: ${await alert.innerText()}`;
        start = await videoTime();
        return start > 1 ? 'playing' : `t=${start}`;
      },
      { message: `${what}: video time passes 1 s`, timeout: 30_000 },
    )
    .toBe('playing');
  await expect.poll(videoTime, { message: `${what}: video time advances`, timeout: 10_000 }).toBeGreaterThan(start + 1.5);
  expect(await alert.count(), `${what}: no playback error`).toBe(0);
}

async function shot(name: string): Promise<string> {
  const file = join(SHOTS, `${name}.png`);
  await expect(page.getByTestId('toasts'), 'no toast over the screenshot').toBeEmpty({ timeout: 5_000 });
  // let a re-render after the last data settle (fonts are local; no network idle to wait for)
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: file });
  return file;
}

test.beforeAll(async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startConsoleServer();
  page = await openConsole(browser);
});

test.afterAll(async () => {
  kill(player);
  kill(second);
  kill(publisher);
  await page?.context().close();
  await server?.stop();
});

test('Streams lists a new stream within 2 s; its kbps and chart move without reload; Overview counts a new player', async () => {
  await page.goto(consoleUrl(server, '/streams/'));
  await expect(page.getByText('No streams', { exact: true })).toBeVisible();
  // socket.io connected: the live feed, not 2 s polling, is what should bring the row in
  await expect(page.getByRole('status').filter({ hasText: 'Live (socket.io)' })).toBeVisible({ timeout: 10_000 });
  await markDocument();

  publisher = ffmpegPublish(server.rtmpUrl('/live/e2e'), { size: '640x360', rate: 25, gop: 25 });
  await waitFor('the API lists live/e2e', async () => (await streamsOf(server)).some((s) => s.name === 'e2e' && s.publish.active), 15_000, 50);
  const listedAt = Date.now();
  const row = streamRow('live/e2e');
  await expect(row).toBeVisible({ timeout: 2_000 });
  expect(Date.now() - listedAt).toBeLessThan(2_000);
  streamId = (await row.getAttribute('data-stream-id')) ?? '';
  expect(streamId).toMatch(/\S/);

  // kbps in: from nothing (— or 0) to a positive figure, on the same page
  const kbpsIn = row.getByTestId('kbps-in');
  const seen: string[] = [];
  await expect
    .poll(
      async () => {
        const t = (await kbpsIn.textContent()) ?? '';
        if (seen[seen.length - 1] !== t) seen.push(t);
        return num(t);
      },
      { message: 'In kbps of live/e2e rises above 0', timeout: 15_000, intervals: [200] },
    )
    .toBeGreaterThan(0);
  // the publisher's uptime counts on between polls of the client list
  const uptime = row.getByTestId('uptime');
  const up0 = (await uptime.textContent()) ?? '';
  await expect(uptime).not.toHaveText(up0, { timeout: 3_000 });
  expect(await sameDocument(), 'the Streams page was not reloaded').toBe(true);
  console.log(`[console] In kbps cell went ${seen.join(' -> ')}`);

  // the stream detail's bandwidth chart gets points and its values are above 0
  await row.getByRole('link', { name: 'live/e2e', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'live/e2e' })).toBeVisible();
  const chart = page.getByTestId('chart').filter({ has: page.getByRole('img', { name: /^Stream bandwidth kbps/ }) });
  const points = async () => Number(await chart.getAttribute('data-points'));
  await expect.poll(points, { message: 'bandwidth chart has points', timeout: 10_000 }).toBeGreaterThan(2);
  const before = await points();
  await expect.poll(points, { message: 'bandwidth chart grows live', timeout: 10_000 }).toBeGreaterThan(before);
  expect(Number(await chart.getAttribute('data-max'))).toBeGreaterThan(0);
  await expect(page.getByRole('img', { name: /^Stream bandwidth kbps: In kbps \d/ })).toBeVisible();
  expect(await sameDocument()).toBe(true);

  // Overview: the connection count follows a player joining
  await nav('Overview');
  const conns = page.getByTestId('stat-connections');
  // the detail page's preview has gone: only the publisher is connected
  await waitFor('only the publisher is connected', async () => (await clientsOf(server)).length === 1, 10_000);
  await expect(conns).toHaveText('1', { timeout: 5_000 });
  player = ffmpegPlay(server.rtmpUrl('/live/e2e'));
  await expect(conns, 'Overview connections count the player').toHaveText('2', { timeout: 10_000 });
  expect(await sameDocument()).toBe(true);
});

test('the stream detail previews over HTTP-FLV and HLS', async () => {
  test.skip(!streamId, 'needs the stream of the first test');
  await nav('Streams');
  await streamRow('live/e2e').getByRole('link', { name: 'live/e2e', exact: true }).click();
  const protocol = page.getByRole('group', { name: 'Protocol' });
  await expect(protocol.getByRole('button', { name: 'HTTP-FLV' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText(new RegExp(`^${server.httpUrl('/live/e2e.flv').replace(/[.?]/g, '\\$&')}$`))).toBeVisible();
  await expectVideoAdvancing('HTTP-FLV');
  await expect(page.getByText(/^FLV ·/)).toBeVisible();

  // hls.js gives up on a playlist that is not there yet: wait for a few segments first
  await expect
    .poll(
      () => hlsSegmentCount(server.httpUrl('/live/e2e.m3u8')),
      { message: 'live/e2e.m3u8 has 3 segments', timeout: 30_000 },
    )
    .toBeGreaterThanOrEqual(3);
  await protocol.getByRole('button', { name: 'HLS' }).click();
  await expect(protocol.getByRole('button', { name: 'HLS' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText(/^HLS ·/)).toBeVisible();
  await expectVideoAdvancing('HLS');
});

test('kick a player from Clients: confirm, FFmpeg exits, the row goes, History shows it kicked', async () => {
  test.skip(!player, 'needs the player of the first test');
  const cid = (await waitFor('the RTMP player is listed', async () => (await clientsOf(server)).find((c) => c.type === 'rtmp-play' && c.url.includes('/live/e2e')), 10_000))
    .id;
  await nav('Clients');
  const row = page.locator(`tbody tr[data-client-id="${cid}"]`);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await row.getByRole('button', { name: new RegExp(`^Kick ${cid} `) }).click();

  const dialog = page.getByRole('dialog', { name: 'Kick this client?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(cid);
  // Cancel first: nothing happens
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(player!.exitCode).toBeNull();
  await expect(row).toBeVisible();

  await row.getByRole('button', { name: new RegExp(`^Kick ${cid} `) }).click();
  await dialog.getByRole('button', { name: 'Kick', exact: true }).click();
  await expect(dialog).toBeHidden();
  await exitOf(player!, 10_000);
  await expect(row).toHaveCount(0, { timeout: 5_000 });

  // History, client sessions: the player's session ended as kicked
  await waitFor(
    'the history database has the kicked session',
    async () => {
      const h = await apiGet<{ clients?: { id: string; end_reason: string | null }[] }>(server, '/api/v1/history/clients?count=100');
      return h.clients?.find((c) => c.id === cid)?.end_reason === 'kicked';
    },
    10_000,
    200,
  );
  await nav('History');
  await page.getByRole('tab', { name: 'Client sessions' }).click();
  const session = page.locator(`tbody tr[data-client-id="${cid}"]`);
  await expect(session).toBeVisible({ timeout: 10_000 });
  await expect(session.getByTestId('end-reason')).toHaveText('kicked');
  await expect(session).toContainText('play');
});

test('DVR from the Streams page: the recording is listed and its MP4 export has video and audio', async () => {
  test.skip(!streamId, 'needs the stream of the first test');
  await nav('Streams');
  const row = streamRow('live/e2e');
  await row.getByRole('button', { name: 'Start recording live/e2e' }).click();
  await expect(row.getByTitle('Recording (DVR)')).toBeVisible({ timeout: 5_000 });
  await expect(row.getByRole('button', { name: 'Stop recording live/e2e' })).toBeVisible();

  // ~4 s of recording, measured by the server
  await waitFor(
    'the recording is 4 s long',
    async () => {
      const d = await apiGet<{ dvrs?: { stream: string; duration_ms: number }[] }>(server, '/api/v1/dvrs');
      return (d.dvrs?.find((r) => r.stream === 'e2e')?.duration_ms ?? 0) >= 4_000;
    },
    15_000,
    200,
  );
  await row.getByRole('button', { name: 'Stop recording live/e2e' }).click();
  await expect(row.getByTitle('Recording (DVR)')).toHaveCount(0, { timeout: 5_000 });
  await expect(row.getByRole('button', { name: 'Start recording live/e2e' })).toBeVisible();

  await nav('Recordings');
  const rec = page.locator('tbody tr[data-recording-id]', { hasText: 'live/e2e' });
  await expect(rec).toHaveCount(1, { timeout: 10_000 });
  await expect(rec).toContainText('complete');
  await expect(rec).toContainText('FLV');

  const [download] = await Promise.all([page.waitForEvent('download'), rec.getByRole('button', { name: /as MP4$/ }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.mp4$/);
  const file = join(mkdtempSync(join(tmpdir(), 'tsrs-e2e-')), download.suggestedFilename());
  await download.saveAs(file);
  expect(statSync(file).size).toBeGreaterThan(10_000);
  const probe = await ffprobe(file);
  const types = probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();
  expect(types).toEqual(['audio:aac', 'video:h264']);
  expect(Number(probe.format.duration)).toBeGreaterThan(3);
});

test('screenshots of every page, light and dark', async () => {
  test.skip(!streamId, 'needs the stream of the first test');
  // more on the screen: a second stream and a player on the first
  second = ffmpegPublish(server.rtmpUrl('/live/studio'), { size: '1280x720', rate: 30, gop: 60 });
  player = ffmpegPlay(server.rtmpUrl('/live/e2e'));
  await waitFor('live/studio is live with a player on live/e2e', async () => {
    const s = await streamsOf(server);
    return s.some((x) => x.name === 'studio' && x.publish.active) && (s.find((x) => x.name === 'e2e')?.clients ?? 0) >= 2;
  }, 15_000);

  await nav('Streams');
  for (const name of ['live/e2e', 'live/studio']) await expect(streamRow(name).getByTestId('kbps-in')).toHaveText(/[1-9]/, { timeout: 10_000 });
  // The HLS preview's viewer session counts as a player until it expires (2 x hls_window = 20 s).
  await expect(streamRow('live/e2e').getByTestId('players')).toHaveText('1', { timeout: 30_000 });
  await expect(streamRow('live/studio')).toContainText('1280×720', { timeout: 10_000 });
  await shot('streams');

  await streamRow('live/e2e').getByRole('link', { name: 'live/e2e', exact: true }).click();
  await expectVideoAdvancing('detail preview');
  // the FFmpeg player and this page's own preview
  await expect(page.getByRole('button', { name: /^Kick player / })).toHaveCount(2, { timeout: 10_000 });
  await shot('stream-detail');

  await nav('Clients');
  await expect.poll(() => page.locator('tbody tr[data-client-id]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  await shot('clients');

  await nav('Recordings');
  await expect(page.locator('tbody tr[data-recording-id]')).toHaveCount(1);
  await shot('recordings');

  await nav('History');
  await expect(page.getByRole('tab', { name: 'Stream sessions' })).toBeVisible();
  await page.getByRole('tab', { name: 'Stream sessions' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(2, { timeout: 20_000 });
  await shot('history');
  await page.getByRole('tab', { name: 'Client sessions' }).click();
  await expect(page.locator('tbody tr').first()).toBeVisible();
  await shot('history-clients');

  await nav('Player');
  await page.getByLabel('Stream URL').fill(server.httpUrl('/live/studio.flv'));
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectVideoAdvancing('Player page');
  await shot('player');

  await nav('Publisher');
  await expect(page.getByRole('heading', { level: 1, name: 'Publisher' })).toBeVisible();
  await shot('publisher');

  await nav('Config');
  // the server's config as /api/v1/config (srs.conf text) or, without that route, SRS's raw API
  await expect(page.getByLabel('Configuration text')).toContainText(String(server.ports.api), { timeout: 10_000 });
  await shot('config');

  // Overview last: its charts have the most samples by now (they span the whole run)
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveClass(/\bdark\b/);
  await nav('Streams');
  await expect(streamRow('live/studio')).toBeVisible();
  await shot('streams-dark');
  await overviewReady();
  await shot('overview-dark');

  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
  await nav('Streams');
  await overviewReady();
  await shot('overview');
});

/** Overview with the last minute of charts, two streams and three connections (2 publishers, 1 player). */
async function overviewReady(): Promise<void> {
  await nav('Overview');
  await page.getByRole('group', { name: 'Chart window' }).getByRole('button', { name: '1 min' }).click();
  await expect(page.getByTestId('stat-streams')).toHaveText('2', { timeout: 10_000 });
  await expect(page.getByTestId('stat-connections')).toHaveText('3', { timeout: 10_000 });
  await expect.poll(async () => Number(await page.getByTestId('chart').first().getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(20);
}
