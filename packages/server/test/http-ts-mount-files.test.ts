/**
 * A live HTTP-TS mount on one vhost and HLS .ts segments of another vhost in the same directory:
 * a request for an existing segment is served as the file (as SRS serves files before its live
 * mounts), not taken for a live stream named after the segment that would never come.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

let server: RunningServer;

before(async () => {
  server = await startServer((p) => `
listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen ${p.api}; }
http_server { enabled on; listen ${p.http}; dir ./html; }
vhost __defaultVhost__ {
  http_remux { enabled on; mount [vhost]/[app]/[stream].ts; }
}
vhost other.vhost {
  hls { enabled on; hls_fragment 1; hls_window 4; hls_path ./html; hls_ctx off; }
}
`);
});

after(async () => {
  await server.stop();
});

test("another vhost's HLS segment is served as a file, not waited for as a live .ts stream", async () => {
  const pub = ffmpegPublish(server.rtmpUrl('/live/s?vhost=other.vhost'), { gop: 25 });
  try {
    const seg = await waitFor('a segment', async () => {
      const r = await fetchBytes(server.httpUrl('/live/s.m3u8'));
      return r.status === 200 ? r.body.toString().split('\n').find((l) => l.endsWith('.ts')) : undefined;
    }, 30_000, 250);
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 5000);
    try {
      const r = await fetch(server.httpUrl(`/live/${seg}`), { signal: ac.signal });
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(r.status, 200);
      assert.ok(body.length > 188 && body[0] === 0x47, `a TS file (${body.length} bytes)`);
      assert.equal(r.headers.get('content-length'), String(body.length), 'a file, with its length');
    } finally {
      clearTimeout(t);
    }
  } finally {
    kill(pub);
  }
});
