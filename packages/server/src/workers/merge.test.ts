import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ROWS_PER_WORKER, mergeLists, mergeMetrics, mergeSummaries, parseObject, workerListQuery } from './merge.js';
import { workerShare } from './worker.js';
import { restartDelayMs } from './primary.js';

const answer = (worker: number, ids: string[]) => ({ worker, json: { code: 0, pid: `${worker}00`, clients: ids.map((id) => ({ id, name: 's' })) } });

test('mergeLists: every worker\'s rows marked with their worker, in id order, paged as SRS', () => {
  const a = answer(1, ['b', 'd', 'f']);
  const b = answer(2, ['a', 'c', 'e']);
  const all = mergeLists([a, b], 'clients', new URLSearchParams('count=100'));
  assert.deepEqual((all.clients as { id: string; worker: number }[]).map((c) => `${c.id}${c.worker}`), ['a2', 'b1', 'c2', 'd1', 'e2', 'f1']);
  assert.equal(all.pid, '100', 'the envelope is the first answer\'s');
  const paged = mergeLists([a, b], 'clients', new URLSearchParams('start=4&count=10'));
  assert.deepEqual((paged.clients as { id: string }[]).map((c) => c.id), ['e', 'f']);
  // an answer without the list adds nothing
  assert.equal((mergeLists([a, { worker: 2, json: { code: 0 } }], 'clients', new URLSearchParams()).clients as unknown[]).length, 3);
});

test('workerListQuery: each worker is asked for the first start + count rows, bounded', () => {
  const q = workerListQuery(new URLSearchParams('start=30&count=20&x=1'));
  assert.equal(q.get('start'), '0');
  assert.equal(q.get('count'), '50');
  assert.equal(q.get('x'), '1');
  assert.equal(workerListQuery(new URLSearchParams()).get('count'), '10');
  assert.equal(workerListQuery(new URLSearchParams(`count=${10 * MAX_ROWS_PER_WORKER}`)).get('count'), String(MAX_ROWS_PER_WORKER));
});

test('mergeSummaries: per-process figures summed, machine figures kept', () => {
  const s = (w: number, mem: number, cpu: number, conns: number) => ({
    worker: w,
    json: { code: 0, data: { ok: true, self: { pid: w, mem_kbyte: mem, cpu_percent: cpu, mem_percent: 0.01 }, system: { cpus: 2, conn_srs: conns, srs_send_bytes: 1000 * w, srs_recv_bytes: 10 } } },
  });
  const m = mergeSummaries([s(1, 100, 0.1, 7), s(2, 50, 0.25, 3)]) as { data: { self: Record<string, number>; system: Record<string, number> } };
  assert.deepEqual(m.data.self, { pid: 1, mem_kbyte: 150, cpu_percent: 0.35, mem_percent: 0.02 });
  assert.deepEqual(m.data.system, { cpus: 2, conn_srs: 10, srs_send_bytes: 3000, srs_recv_bytes: 20 });
});

test('parseObject: JSON objects only', () => {
  assert.deepEqual(parseObject(Buffer.from('{"code":0}')), { code: 0 });
  assert.equal(parseObject(Buffer.from('[1]')), undefined);
  assert.equal(parseObject(Buffer.from('nope')), undefined);
});

test('restartDelayMs: 0.5 s doubling to 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 7, 8, 100].map(restartDelayMs), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
});

test('mergeMetrics: each family declared once, every worker\'s samples labelled with it', () => {
  const one = '# HELP srs_clients Clients\n# TYPE srs_clients gauge\nsrs_clients 3\n# HELP tsrs_kbps Kbps\n# TYPE tsrs_kbps gauge\ntsrs_kbps{direction="recv"} 10\ntsrs_kbps{direction="send"} 20\n';
  const two = '# HELP srs_clients Clients\n# TYPE srs_clients gauge\nsrs_clients 4\n# HELP tsrs_kbps Kbps\n# TYPE tsrs_kbps gauge\ntsrs_kbps{direction="recv",note="a}b"} 1\n# a comment\nnot a sample line\n';
  const text = mergeMetrics([{ worker: 1, text: one }, { worker: 2, text: two }]);
  assert.equal(text, [
    '# HELP srs_clients Clients',
    '# TYPE srs_clients gauge',
    'srs_clients{worker="1"} 3',
    'srs_clients{worker="2"} 4',
    '# HELP tsrs_kbps Kbps',
    '# TYPE tsrs_kbps gauge',
    'tsrs_kbps{worker="1",direction="recv"} 10',
    'tsrs_kbps{worker="1",direction="send"} 20',
    'tsrs_kbps{worker="2",direction="recv",note="a}b"} 1',
    '',
  ].join('\n'));
});

test('workerShare: the shares of max_connections add up to it, each at least 1', () => {
  for (const [limit, workers] of [[10, 2], [11, 3], [1000, 7], [3, 3]]) {
    const shares = Array.from({ length: workers }, (_, i) => workerShare(limit, workers, i + 1));
    assert.equal(shares.reduce((a, b) => a + b, 0), limit, `${limit} over ${workers}: ${shares}`);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
  }
  assert.equal(workerShare(1, 2, 2), 1, 'never 0: a worker without a share could not answer the primary');
});
