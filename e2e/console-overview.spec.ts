/**
 * Console acceptance tests of issue 11 (items 19 and 10): the Overview is full on first paint
 * (the server's 10-minute history), the charts zoom and show tooltips, fps does not overshoot at
 * start, HLS viewers are marked, tables stay usable at phone width, Reload is offered only when
 * raw_api allows it, and WebRTC is not offered by a tsrs that does not serve it.
 * A real tsrs serving apps/console/out, FFmpeg publishers, Debian's Chromium.
 */
import type { ChildProcess } from 'node:child_process';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../packages/server/dist/test/harness.js';
import { apiGet, clientsOf, consoleUrl, ffmpegPublish, kill, startConsoleServer, streamsOf, waitFor } from './console-live.js';

test.describe.configure({ mode: 'serial' });

let server: RunningServer;
let startedAt = 0;
let publisher: ChildProcess | undefined;
let second: ChildProcess | undefined;

async function newPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log(`[console] page error: ${e.message}`));
  return p;
}

test.beforeAll(async () => {
  server = await startConsoleServer();
  startedAt = Date.now();
  publisher = ffmpegPublish(server.rtmpUrl('/live/h'), { size: '320x240', rate: 25, gop: 25 });
  await waitFor('live/h is published', async () => (await streamsOf(server)).some((s) => s.name === 'h' && s.publish.active), 15_000, 100);
});

test.afterAll(async () => {
  kill(second);
  kill(publisher);
  await server?.stop();
});

test('the Overview opens on full charts: the server sends its last minutes on connect', async ({ browser }) => {
  // ~20 s of samples in the server's ring before the console is opened for the first time
  const wait = startedAt + 21_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const page = await newPage(browser);
  await page.goto(consoleUrl(server, '/'));
  const bandwidth = page.getByTestId('chart').filter({ has: page.getByRole('img', { name: /^Bandwidth in kbps/ }) });
  // data-initial-points: the points of the chart's first paint that had data (before any live update)
  await expect
    .poll(async () => Number(await bandwidth.getAttribute('data-initial-points')), { message: 'first paint has data', timeout: 15_000 })
    .toBeGreaterThan(0);
  const first = Number(await bandwidth.getAttribute('data-initial-points'));
  console.log(`[overview] bandwidth chart: ${first} points at first paint`);
  // 2 series (in, out) x >= 15 seconds of history
  expect(first).toBeGreaterThanOrEqual(2 * 15);
  const conns = page.getByTestId('chart').filter({ has: page.getByRole('img', { name: /^Connections/ }) });
  expect(Number(await conns.getAttribute('data-initial-points'))).toBeGreaterThanOrEqual(15);
  // the same history is what the socket sends
  await page.context().close();
});

test('charts zoom on a drag, reset, and show a tooltip on hover', async ({ browser }) => {
  const page = await newPage(browser);
  await page.goto(consoleUrl(server, '/'));
  const chart = page.getByTestId('chart').first();
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(10);
  const over = chart.locator('.u-over');
  const box = (await over.boundingBox())!;
  // tooltip
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  const tooltip = chart.getByTestId('chart-tooltip');
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText('In kbps');
  await expect(tooltip).toContainText(/\d{2}:\d{2}:\d{2}/);
  // drag to zoom: live scrolling pauses, Reset zoom resumes it
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(chart).toHaveAttribute('data-zoomed', 'true');
  await chart.getByRole('button', { name: 'Reset zoom' }).click();
  await expect(chart).toHaveAttribute('data-zoomed', 'false');
  await page.context().close();
});

test('fps of a new 25 fps publisher never reads above 25 in its first seconds', async ({ browser }) => {
  const page = await newPage(browser);
  await page.goto(consoleUrl(server, '/streams/'));
  await expect(page.getByRole('status').filter({ hasText: 'Live (socket.io)' })).toBeVisible({ timeout: 10_000 });
  second = ffmpegPublish(server.rtmpUrl('/live/fps'), { size: '320x240', rate: 25, gop: 25 });
  const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'live/fps', exact: true }) });
  await expect(row).toBeVisible({ timeout: 15_000 });
  const seen: number[] = [];
  const end = Date.now() + 8_000;
  while (Date.now() < end) {
    const m = /([\d.]+) fps/.exec((await row.textContent()) ?? '');
    if (m) seen.push(Number(m[1]));
    await page.waitForTimeout(200);
  }
  console.log(`[streams] fps of live/fps over its first 8 s: ${[...new Set(seen)].join(', ')}`);
  expect(seen.length).toBeGreaterThan(0);
  expect(Math.max(...seen)).toBeLessThanOrEqual(25);
  expect(seen[seen.length - 1]).toBeGreaterThanOrEqual(24);
  kill(second);
  second = undefined;
  await page.context().close();
});

test('an HLS viewer (hls_ctx session) is marked HLS in Clients', async ({ browser }) => {
  // a viewer as a player makes it: the master playlist, its per-viewer variant, one segment
  const m3u8 = server.httpUrl('/live/h.m3u8');
  let variant = '';
  await waitFor(
    'live/h.m3u8 has a segment',
    async () => {
      const master = await (await fetch(m3u8)).text();
      variant = /^#EXT-X-STREAM-INF:.*\n(.+)$/m.exec(master)?.[1] ?? '';
      if (!variant) return false;
      const media = await (await fetch(new URL(variant, m3u8))).text();
      const seg = media.split('\n').find((l) => l && !l.startsWith('#'));
      if (!seg) return false;
      const r = await fetch(new URL(seg, new URL(variant, m3u8)));
      await r.arrayBuffer();
      return r.ok;
    },
    30_000,
    500,
  );
  const hls = await waitFor('the API lists the hls-play client', async () => (await clientsOf(server)).find((c) => c.type === 'hls-play'), 10_000, 200);
  const page = await newPage(browser);
  await page.goto(consoleUrl(server, '/clients/'));
  const row = page.locator(`tbody tr[data-client-id="${hls.id}"]`);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row.getByTestId('client-type')).toHaveAttribute('data-type', 'hls-play');
  await expect(row.getByTestId('client-type').getByText('HLS', { exact: true })).toBeVisible();
  // the publisher is not marked HLS
  const rtmp = page.locator('tbody tr', { hasText: 'fmle-publish' }).first();
  await expect(rtmp.getByText('HLS', { exact: true })).toHaveCount(0);
  await page.context().close();
});

test('at phone width (390x844) the streams and clients tables keep their key columns reachable', async ({ browser }) => {
  const page = await newPage(browser, { width: 390, height: 844 });
  await page.goto(consoleUrl(server, '/streams/'));
  const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'live/h', exact: true }) });
  await expect(row).toBeVisible({ timeout: 15_000 });
  const headers = page.locator('thead th');
  const names = (await headers.allInnerTexts()).map((t) => t.trim().toLowerCase());
  console.log(`[phone] streams columns: ${names.join(' | ')}`);
  // every header and the row's kbps, players and actions can be scrolled into view (none hidden)
  for (const cell of [row.getByTestId('kbps-in'), row.getByTestId('players'), row.getByRole('button', { name: 'Kick the publisher of live/h' })]) {
    await cell.scrollIntoViewIfNeeded();
    await expect(cell).toBeVisible();
    await expect(cell).toBeInViewport();
    // the row's name stays in view while the table scrolls sideways (sticky first column)
    await expect(row.getByRole('link', { name: 'live/h', exact: true })).toBeInViewport();
  }
  for (let i = 0; i < (await headers.count()); i++) {
    const h = headers.nth(i);
    expect(await h.evaluate((el) => getComputedStyle(el).display), `column ${i} is displayed`).not.toBe('none');
  }
  // the table scrolls inside its card; the page itself does not get wider than the phone
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients', exact: true }).click();
  const client = page.locator('tbody tr[data-client-id]', { hasText: 'fmle-publish' }).first();
  await expect(client).toBeVisible({ timeout: 10_000 });
  for (const cell of [client.getByTestId('client-type'), client.getByRole('button', { name: /^Kick / })]) {
    await cell.scrollIntoViewIfNeeded();
    await expect(cell).toBeInViewport();
    await expect(client.locator('td').first()).toBeInViewport();
  }
  const clientHeaders = page.locator('thead th');
  for (let i = 0; i < (await clientHeaders.count()); i++)
    expect(await clientHeaders.nth(i).evaluate((el) => getComputedStyle(el).display)).not.toBe('none');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: 'e2e/screenshots/phone-clients.png' });
  await page.context().close();
});

test('WebRTC is not offered without rtc_server: features.tsrs.rtc is false, and the console says why', async ({ browser }) => {
  const f = await apiGet<{ data: { tsrs: { rtc: boolean; rtc_reason: string } } }>(server, '/api/v1/features');
  expect(f.data.tsrs.rtc).toBe(false);
  expect(f.data.tsrs.rtc_reason).toMatch(/rtc_server is not enabled/);

  const page = await newPage(browser);
  const id = (await streamsOf(server)).find((s) => s.name === 'h')!.id;
  await page.goto(consoleUrl(server, `/streams/detail/?id=${encodeURIComponent(id)}`));
  const protocol = page.getByRole('group', { name: 'Protocol' });
  await expect(protocol.getByRole('button', { name: 'HTTP-FLV' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('rtc-unavailable')).toContainText('rtc_server is not enabled');
  await expect(protocol.getByRole('button', { name: 'WebRTC' })).toHaveCount(0);

  // the Publisher says so and cannot start
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Publisher', exact: true }).click();
  await expect(page.getByTestId('rtc-off')).toContainText('WebRTC is not enabled on this server');
  await expect(page.getByRole('button', { name: 'Start publishing' })).toBeDisabled();

  // Copy URLs lists no webrtc:// or WHEP URL
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Streams', exact: true }).click();
  const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'live/h', exact: true }) });
  await row.getByRole('button', { name: /URLs/ }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Play URLs' });
  await expect(dialog.getByLabel('HTTP-FLV URL')).toBeVisible();
  await expect(dialog.getByLabel('WebRTC URL')).toHaveCount(0);
  await expect(dialog.getByLabel('WHEP URL')).toHaveCount(0);
  await expect(dialog.getByTestId('rtc-unavailable')).toContainText('rtc_server is not enabled');

  // an SRS rtc_player.html link lands on the Player with the reason, not a failed WHEP attempt
  await page.goto(server.httpUrl(`/players/rtc_player.html?autostart=true&app=live&stream=h&api=${encodeURIComponent(`http://127.0.0.1:${server.ports.api}`)}`));
  await expect(page.getByTestId('rtc-unavailable')).toContainText('rtc_server is not enabled', { timeout: 15_000 });
  // and offers the same stream over HTTP-FLV: WebRTC is neither selected nor listed
  await expect(page.getByLabel('Protocol')).toHaveValue('flv');
  await expect(page.getByLabel('Protocol').locator('option', { hasText: 'WHEP' })).toHaveCount(0);
  await expect(page.getByLabel('Stream URL')).toHaveValue(/\/live\/h\.flv$/);
  await page.context().close();
});

test('Config offers Reload only when raw_api enabled and allow_reload are on', async ({ browser }) => {
  // this server: no raw_api section (off)
  const page = await newPage(browser);
  await page.goto(consoleUrl(server, '/config/'));
  await expect(page.getByTestId('reload-off')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('button', { name: 'Reload config' })).toHaveCount(0);
  // the config card's badge reports what is served, not what rtc_server says
  await expect(page.getByText('WebRTC off', { exact: true })).toBeVisible();
  await page.context().close();

  const conf = (allowReload: boolean) => (p: { rtmp: number; api: number; http: number }) => `
listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; raw_api { enabled on; allow_reload ${allowReload ? 'on' : 'off'}; } }
http_server { enabled on; listen ${p.http}; dir ./html; }
vhost __defaultVhost__ { }
`;
  for (const allow of [false, true]) {
    const s = await startServer(conf(allow));
    try {
      const p = await newPage(browser);
      await p.goto(consoleUrl(s, '/config/'));
      await expect(p.getByLabel('Configuration text')).toBeVisible({ timeout: 15_000 });
      if (allow) {
        await expect(p.getByRole('button', { name: 'Reload config' })).toBeVisible({ timeout: 10_000 });
        await p.getByRole('button', { name: 'Reload config' }).click();
        await expect(p.getByRole('status').filter({ hasText: 'The server reloaded its config.' })).toBeVisible({ timeout: 10_000 });
      } else {
        await expect(p.getByTestId('reload-off')).toBeVisible({ timeout: 10_000 });
        await expect(p.getByRole('button', { name: 'Reload config' })).toHaveCount(0);
      }
      await p.context().close();
    } finally {
      await s.stop();
    }
  }
});
