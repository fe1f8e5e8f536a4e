/**
 * The HTTP server's files: MIME types, ranges, HEAD, CORS, directories, and
 * path traversal attempts sent as raw request lines (no client normalisation).
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { basicConf, startServer, type RunningServer } from './harness.js';
import { fetchBytes } from './http-players.js';

let server: RunningServer;
const SECRET = 'top-secret-outside-the-root';
const DATA = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));

before(async () => {
  server = await startServer((p) =>
    basicConf(p, 'hls { enabled on; hls_path ./hlsout; }').replace('dir ./html;', 'dir ./html; crossdomain on;'),
  );
  const html = join(server.dir, 'html');
  mkdirSync(join(html, 'sub'), { recursive: true });
  mkdirSync(join(server.dir, 'hlsout/live'), { recursive: true });
  writeFileSync(join(html, 'index.html'), '<h1>tsrs</h1>');
  writeFileSync(join(html, 'sub/index.html'), 'sub');
  writeFileSync(join(html, 'app.js'), 'let a = 1;');
  writeFileSync(join(html, 'style.css'), 'b{}');
  writeFileSync(join(html, 'seg.m4s'), 'x');
  writeFileSync(join(html, 'video.mp4'), 'x');
  writeFileSync(join(html, 'rec.flv'), 'x');
  writeFileSync(join(html, 'data.ts'), DATA);
  writeFileSync(join(server.dir, 'secret.txt'), SECRET);
  symlinkSync(join(server.dir, 'secret.txt'), join(html, 'link.txt'));
  symlinkSync(join(html, 'data.ts'), join(html, 'inside.ts'));
  writeFileSync(join(server.dir, 'hlsout/live/other.m3u8'), '#EXTM3U\n');
});

after(async () => {
  await server.stop();
});

/** A raw HTTP/1.1 request line, exactly as written; resolves the status and body. */
function raw(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(server.ports.http, '127.0.0.1');
    let data = '';
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0), text: data }));
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

test('MIME types', async () => {
  const types: Record<string, string> = {
    '/index.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/seg.m4s': 'video/iso.segment',
    '/video.mp4': 'video/mp4',
    '/rec.flv': 'video/x-flv',
    '/data.ts': 'video/mp2t',
    '/live/other.m3u8': 'application/vnd.apple.mpegurl',
  };
  for (const [path, type] of Object.entries(types)) {
    const r = await fetchBytes(server.httpUrl(path));
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), type, path);
  }
});

test('HLS files from hls_path when it is not the server dir', async () => {
  const r = await fetchBytes(server.httpUrl('/live/other.m3u8'));
  assert.equal(r.body.toString(), '#EXTM3U\n');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
});

test('ranges: 206 with Content-Range, suffix ranges, 416, HEAD', async () => {
  let r = await fetchBytes(server.httpUrl('/data.ts'), { headers: { Range: 'bytes=10-19' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), 'bytes 10-19/1000');
  assert.deepEqual(r.body, DATA.subarray(10, 20));
  r = await fetchBytes(server.httpUrl('/data.ts'), { headers: { Range: 'bytes=-5' } });
  assert.deepEqual(r.body, DATA.subarray(995));
  r = await fetchBytes(server.httpUrl('/data.ts'), { headers: { Range: 'bytes=5000-' } });
  assert.equal(r.status, 416);
  assert.equal(r.headers.get('content-range'), 'bytes */1000');
  r = await fetchBytes(server.httpUrl('/data.ts'), { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-length'), '1000');
  assert.equal(r.headers.get('accept-ranges'), 'bytes');
  assert.equal(r.body.length, 0);
});

test('directories: redirect to the slash, then index.html; missing files 404', async () => {
  const r = await fetch(server.httpUrl('/sub'), { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/sub/');
  assert.equal((await fetchBytes(server.httpUrl('/sub/'))).body.toString(), 'sub');
  assert.equal((await fetchBytes(server.httpUrl('/'))).body.toString(), '<h1>tsrs</h1>');
  assert.equal((await fetchBytes(server.httpUrl('/nope.html'))).status, 404);
});

test('CORS with crossdomain on: headers and OPTIONS preflight', async () => {
  const r = await fetchBytes(server.httpUrl('/index.html'), { headers: { Origin: 'http://example.com' } });
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const pre = await fetchBytes(server.httpUrl('/live/s.flv'), {
    method: 'OPTIONS',
    headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /range/);
});

test('path traversal attempts never leave the root', async () => {
  const attempts = [
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E/%2e%2e/etc/passwd',
    '/sub/..%2f..%2fsecret.txt',
    '/sub/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/sub\\..\\..\\secret.txt',
    '/secret.txt%00.html',
    '/link.txt',
    '//etc/passwd',
    '/.%2e/secret.txt',
  ];
  for (const path of attempts) {
    const r = await raw(path);
    assert.ok([400, 403, 404].includes(r.status), `${path} -> ${r.status}`);
    assert.ok(!r.text.includes(SECRET) && !r.text.includes('root:x:0'), `${path} leaked`);
  }
  // a symlink that stays inside the root is fine
  assert.equal((await fetchBytes(server.httpUrl('/inside.ts'))).status, 200);
});
