/**
 * Console acceptance tests of issue 11 items 11 and 19: SRS's player URLs without an API port
 * lead to a player that finds the (random) API port, the console served by the API port plays
 * from the HTTP port, `?api=PORT` as SRS's players pass it, and a stream's page opens on full
 * charts (the server's per-stream samples). A real tsrs serving apps/console/out, FFmpeg,
 * Debian's Chromium.
 */
import type { ChildProcess } from 'node:child_process';
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { RunningServer } from '../packages/server/dist/test/harness.js';
import { consoleUrl, ffmpegPublish, kill, startConsoleServer, streamsOf, waitFor } from './console-live.js';

test.describe.configure({ mode: 'serial' });

let server: RunningServer;
let publisher: ChildProcess | undefined;
let publishedAt = 0;

async function newPage(browser: Browser): Promise<{ page: Page; apiHosts: Set<string> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[console] page error: ${e.message}`));
  // where the page sends its API and socket.io requests (host:port)
  const apiHosts = new Set<string>();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/socket.io/')) apiHosts.add(u.host);
  });
  return { page, apiHosts };
}

test.beforeAll(async () => {
  server = await startConsoleServer();
  publisher = ffmpegPublish(server.rtmpUrl('/live/p'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('live/p is published', async () => (await streamsOf(server)).some((s) => s.name === 'p' && s.publish.active), 15_000, 100);
  publishedAt = Date.now();
});

test.afterAll(async () => {
  kill(publisher);
  await server?.stop();
});

/** The player's video advances (HTTP-FLV through mpegts.js). */
async function expectPlaying(page: Page): Promise<void> {
  await expect
    .poll(async () => page.evaluate(() => document.querySelector('video')?.currentTime ?? 0), { message: 'video plays', timeout: 30_000 })
    .toBeGreaterThan(1);
}

test('an SRS srs_player.html URL naming no API port: the console player finds the API and plays', async ({ browser }) => {
  const { page, apiHosts } = await newPage(browser);
  const http = server.ports.http;
  // what SRS's console links: server and HTTP port, no api
  await page.goto(server.httpUrl(`/players/srs_player.html?vhost=__defaultVhost__&app=live&stream=p.flv&server=127.0.0.1&port=${http}&autostart=true&schema=http`));
  await expect(page).toHaveURL(/\/console\/player\/\?/);
  await expect(page.getByLabel('Stream URL')).toHaveValue(`http://127.0.0.1:${http}/live/p.flv?vhost=__defaultVhost__`);
  await expectPlaying(page);
  await expect.poll(() => [...apiHosts], { message: 'API requests go to the API port', timeout: 15_000 }).toContain(`127.0.0.1:${server.ports.api}`);
  expect([...apiHosts]).toEqual([`127.0.0.1:${server.ports.api}`]);
  await page.context().close();
});

test('the console served by the API port talks to its own origin and plays from the HTTP port', async ({ browser }) => {
  const { page, apiHosts } = await newPage(browser);
  await page.goto(server.apiUrl('/console/player/?app=live&stream=p.flv&autostart=true'));
  await expect(page.getByLabel('Stream URL')).toHaveValue(`http://127.0.0.1:${server.ports.http}/live/p.flv`);
  await expectPlaying(page);
  await expect.poll(() => [...apiHosts], { timeout: 15_000 }).toContain(`127.0.0.1:${server.ports.api}`);
  expect([...apiHosts]).toEqual([`127.0.0.1:${server.ports.api}`]);
  await page.context().close();
});

test('?api=PORT (SRS players) names the API port; without it or the server script, SRS default 1985', async ({ browser }) => {
  for (const [query, want] of [
    [`?api=${server.ports.api}`, `127.0.0.1:${server.ports.api}`],
    ['', '127.0.0.1:1985'],
  ] as const) {
    const { page, apiHosts } = await newPage(browser);
    // a console build served by something else than tsrs: no /console/tsrs-server.js
    await page.route('**/console/tsrs-server.js', (r) => r.fulfill({ status: 404, body: '' }));
    await page.goto(server.httpUrl(`/console/streams/${query}`));
    await expect.poll(() => [...apiHosts], { message: `API host with "${query}"`, timeout: 15_000 }).toContain(want);
    expect([...apiHosts]).toEqual([want]);
    if (query) await expect(page.locator('tbody tr', { has: page.getByRole('link', { name: 'live/p', exact: true }) })).toBeVisible({ timeout: 15_000 });
    await page.context().close();
  }
});

test("a stream's page opens on full charts: the server's samples of that stream", async ({ browser }) => {
  // ~20 s of the stream's samples on the server before its page is first opened
  const wait = publishedAt + 20_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const id = (await streamsOf(server)).find((s) => s.name === 'p')!.id;
  const { page } = await newPage(browser);
  await page.goto(consoleUrl(server, `/streams/detail/?id=${encodeURIComponent(id)}`));
  await expect(page.getByRole('heading', { level: 1, name: 'live/p' })).toBeVisible({ timeout: 15_000 });
  const chart = (name: RegExp) => page.getByTestId('chart').filter({ has: page.getByRole('img', { name }) });
  const bandwidth = chart(/^Stream bandwidth kbps/);
  await expect
    .poll(async () => Number(await bandwidth.getAttribute('data-initial-points')), { message: 'first paint has data', timeout: 15_000 })
    .toBeGreaterThan(0);
  const first = Number(await bandwidth.getAttribute('data-initial-points'));
  console.log(`[stream] bandwidth chart: ${first} points at first paint`);
  // 2 series (in, out) x >= 15 seconds of history
  expect(first).toBeGreaterThanOrEqual(2 * 15);
  expect(Number(await chart(/^Frames per second/).getAttribute('data-initial-points'))).toBeGreaterThanOrEqual(15);
  // and the live feed appends after them
  await expect.poll(async () => Number(await bandwidth.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(first);
  await page.context().close();
});
