/**
 * Abuse of the HTTP port: oversized headers and thousands of idle connections
 * are answered or closed, and the server keeps serving streams. (max_connections and
 * the handshake timeout under floods: limits-connections.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { playFlv } from './http-players.js';

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;

before(async () => {
  // Room for every idle connection of the test below: here Node itself holds them.
  server = await startServer((p) => basicConf(p, '', 'max_connections 12000;'));
  publisher = ffmpegPublish(server.rtmpUrl('/live/s'), { gop: 25 });
  await waitFor('stream live', () => server.output().includes('rtmp publish'), 10_000);
});

after(async () => {
  kill(publisher);
  await server.stop();
});

async function streamStillPlays(): Promise<void> {
  assert.equal(server.proc.exitCode, null, 'server still running');
  const p = await playFlv(server.httpUrl('/live/s.flv'));
  await waitFor('frames', () => p.videoTags > 5, 15_000);
  p.close();
}

test('a 10 MB request header is refused (431) or cut, not buffered', async () => {
  const result = await new Promise<string>((resolve) => {
    const s = connect(server.ports.http, '127.0.0.1');
    let data = '';
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(data));
    s.write('GET /live/s.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < 10 * 1024 * 1024 && !s.destroyed) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      if (!s.destroyed) s.end('\r\n\r\n');
    };
    pump();
  });
  if (result) assert.match(result, /^HTTP\/1\.1 431/);
  await streamStillPlays();
});

/** The process's open-file limit (the test and the server each hold one end of every connection). */
function fdLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || 1024;
  } catch {
    return 1024;
  }
}

test('10,000 idle connections (or as many as ulimit -n allows, 724 at 1024) do not stop the server', async (t) => {
  const limit = fdLimit();
  // Debian's default shell has ulimit -n 1024: hold what that allows (the test and the server
  // each keep one end of every connection), at least 500.
  const wanted = Math.min(10_000, limit - 300);
  assert.ok(wanted >= 500, `ulimit -n is ${limit}: too low for this test (needs 800)`);
  const sockets: Socket[] = [];
  let closedByServer = 0;
  let failed = 0;
  let closedWhileHeld = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      const s = connect(server.ports.http, '127.0.0.1');
      s.once('connect', () => resolve());
      s.once('error', () => {
        failed++;
        resolve();
      });
      s.once('close', () => closedByServer++);
      s.on('data', () => undefined);
      sockets.push(s);
    });
  try {
    for (let i = 0; i < wanted; i += 500) await Promise.all(Array.from({ length: Math.min(500, wanted - i) }, open));
    assert.ok(failed < wanted * 0.01, `${failed} of ${wanted} connections failed`);
    // while they are open, a player still gets the stream and files are served
    await streamStillPlays();
    const r = await fetch(server.httpUrl('/nope'));
    assert.equal(r.status, 404);
  } finally {
    closedWhileHeld = closedByServer;
    for (const s of sockets) s.destroy();
  }
  await sleep(500);
  await streamStillPlays();
  t.diagnostic(`ulimit -n ${limit}: held ${wanted} idle connections, the server closed ${closedWhileHeld} of them while held`);
});
