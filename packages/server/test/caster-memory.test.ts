/**
 * Memory of ended caster publishes does not linger with HLS on: HLS keeps its stream for
 * hls_dispose (120 s) after the publisher left, and nothing the stream keeps may hold the ended
 * publish's input buffers (an FLV POST stopped inside an 8 MiB tag, a TS sender's partial PES).
 * Measured through /metrics (tsrs_array_buffers_bytes: Buffers live in the server) after a full
 * garbage collection, which a heap snapshot (node's --heapsnapshot-signal) forces.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { api } from './api-helpers.js';
import { basicConf, freePort, sleep, startServer, waitFor, type RunningServer } from './harness.js';

let server: RunningServer;
let caster: number;

before(async () => {
  caster = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      'hls { enabled on; hls_fragment 2; hls_window 10; hls_path ./html; hls_dispose 120; }',
      `stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen ${caster}; }`,
    ),
    { env: { NODE_OPTIONS: '--heapsnapshot-signal=SIGUSR2' } },
  );
});

after(async () => {
  await server.stop();
});

async function arrayBuffers(): Promise<number> {
  const r = await api<string>(server, '/metrics');
  const text = r.text;
  const m = /^tsrs_array_buffers_bytes (\d+)/m.exec(text);
  assert.ok(m, 'tsrs_array_buffers_bytes in /metrics');
  return Number(m[1]);
}

/** An FLV POST that sends the FLV header, then all but one byte of an 8 MiB video tag. */
function unfinishedPost(name: string): Promise<Socket> {
  const size = 8 * 1024 * 1024 - 1;
  const header = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
  const tagHead = Buffer.from([9, (size >> 16) & 255, (size >> 8) & 255, size & 255, 0, 0, 0, 0, 0, 0, 0]);
  const body = Buffer.alloc(size - 1);
  body[0] = 0x17;
  return new Promise((resolve, reject) => {
    const s = connect(caster, '127.0.0.1', () => {
      s.write(`POST /live/${name}.flv HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n`);
      s.write(Buffer.concat([header, tagHead]));
      s.write(body, () => resolve(s));
    });
    s.on('error', reject);
  });
}

test('FLV POSTs that end inside an 8 MiB tag: their buffers are released within seconds of their end, with HLS on', { timeout: 120_000 }, async () => {
  const base = await arrayBuffers();
  const n = 8;
  const socks: Socket[] = [];
  for (let i = 0; i < n; i++) socks.push(await unfinishedPost(`big${i}`));
  // the server holds the partial tags while the POSTs are open
  await waitFor('the partial tags arrived', async () => (await arrayBuffers()) > base + n * 6 * 1024 * 1024, 30_000, 250);
  for (const s of socks) s.destroy();
  await waitFor('every POST unpublished', () => (server.output().match(/flv caster: unpublish/g) ?? []).length >= n, 20_000);
  // a full GC (the heap snapshot's), then nowhere near n x 8 MiB is left
  server.proc.kill('SIGUSR2');
  const snapshot = await waitFor('the heap snapshot written', () => readdirSync(server.dir).find((f) => f.endsWith('.heapsnapshot')), 60_000, 250);
  let size = -1;
  await waitFor('the heap snapshot complete', async () => {
    const now = statSync(join(server.dir, snapshot)).size;
    const done = now > 0 && now === size;
    size = now;
    await sleep(500);
    return done;
  }, 60_000, 100);
  const now = await arrayBuffers();
  assert.ok(now < base + 16 * 1024 * 1024, `array buffers ${now} bytes after the POSTs ended (before: ${base})`);
});
