/**
 * history_max_rows bounds the history database: cheap requests (HTTP-FLV GETs of a stream nobody
 * publishes, each a client session with events) cannot make it grow without end. Pruning runs at
 * start and every minute; open sessions and recordings are never pruned.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import type { HistoryClientSession } from '@tsrs/api-types';
import { basicConf, sleep, startServer, waitFor } from './harness.js';
import { api } from './api-helpers.js';

type Page = { clients: HistoryClientSession[]; total: number };

test('history_max_rows: the oldest ended client sessions go, the newest stay', { timeout: 90_000 }, async () => {
  const conf = (max: number) => (p: Parameters<typeof basicConf>[0]) => basicConf(p, '', `history_max_rows ${max};`);
  let server = await startServer(conf(0));
  // 30 players of an unpublished stream, each gone after 300 ms
  for (let i = 0; i < 30; i++) {
    await new Promise<void>((resolve) => {
      const req = get(server.httpUrl(`/live/nobody${i}.flv`), () => undefined);
      req.on('error', () => resolve());
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  }
  await waitFor('30 ended sessions', async () => (await api<Page>(server, '/api/v1/history/clients?limit=100')).json.total >= 30, 15_000);
  await server.stop();
  server = await startServer(conf(10), { dir: server.dir });
  try {
    const page = await waitFor('pruned', async () => {
      const p = (await api<Page>(server, '/api/v1/history/clients?limit=100')).json;
      return p.total <= 10 && p;
    }, 15_000);
    assert.equal(page.total, 10);
    // the newest ones stayed
    assert.ok(page.clients.every((c) => /nobody(2\d)\.flv/.test(c.url)), page.clients.map((c) => c.url).join(' '));
    assert.match(server.output(), /history: oldest rows pruned \(history_max_rows\)/);
    await sleep(10);
  } finally {
    await server.stop();
  }
});
