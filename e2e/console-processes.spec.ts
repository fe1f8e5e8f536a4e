/**
 * The console's stream page shows the stream's child processes (kind, pid, uptime, restarts,
 * state) and its forwarders (destination, state, reconnects, bytes) from /api/v1/processes and
 * /api/v1/clients: a real tsrs with an exec command per publish and a forward to a dead port.
 */
import { expect, test } from '@playwright/test';
import { basicConf, freePort, startServer } from '../packages/server/dist/test/harness.js';
import { apiGet, consoleUrl, ffmpegPublish, kill, streamsOf, waitFor } from './console-live.js';

interface ApiProcess {
  pid: number;
  name: string;
  state: string;
}

test("a stream's page lists its exec process and its forwarder to a dead destination", async ({ browser }) => {
  const dead = await freePort();
  const server = await startServer((p) =>
    basicConf(p, `exec { enabled on; publish sleep 300; } forward { enabled on; destination 127.0.0.1:${dead}; }`),
  );
  const publisher = ffmpegPublish(server.rtmpUrl('/live/fw'), { size: '320x240' });
  try {
    const id = await waitFor('published', async () => (await streamsOf(server)).find((s) => s.name === 'fw' && s.publish.active)?.id, 20_000);
    const proc = await waitFor('the exec process runs', async () => {
      const { processes } = await apiGet<{ processes: ApiProcess[] }>(server, '/api/v1/processes');
      return processes.find((p) => p.pid > 0 && p.state === 'running');
    }, 20_000);
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await page.goto(consoleUrl(server, `/streams/detail/?id=${encodeURIComponent(id)}`));
    await expect(page.getByRole('heading', { level: 1, name: 'live/fw' })).toBeVisible({ timeout: 20_000 });

    const procs = page.locator('table', { has: page.locator('caption', { hasText: 'Processes' }) });
    const row = procs.locator('tbody tr', { hasText: 'exec /live/fw' });
    await expect(row).toBeVisible({ timeout: 15_000 });
    const cells = row.locator('td');
    await expect(cells.nth(0)).toHaveText('exec');
    await expect(cells.nth(2)).toHaveText(String(proc.pid));
    await expect(cells.nth(4)).toHaveText('0');
    await expect(cells.nth(5)).toHaveText('running');
    // the uptime advances with the polls
    const uptime = await cells.nth(3).innerText();
    await expect.poll(async () => cells.nth(3).innerText(), { message: 'uptime advances', timeout: 15_000 }).not.toBe(uptime);

    const fwd = page.locator('table', { has: page.locator('caption', { hasText: 'Forwarders' }) });
    const frow = fwd.locator('tbody tr', { hasText: `rtmp://127.0.0.1:${dead}/live/fw` });
    await expect(frow).toBeVisible({ timeout: 15_000 });
    const f = frow.locator('td');
    await expect(f.nth(1)).toHaveText(/retrying|connecting/);
    await expect.poll(async () => Number(await f.nth(2).innerText()), { message: 'reconnects counted', timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await expect(f.nth(4)).toContainText('ECONNREFUSED');
    await page.screenshot({ path: 'e2e/screenshots/stream-processes.png', fullPage: true });
    await page.context().close();
  } finally {
    kill(publisher);
    await server.stop();
  }
});
