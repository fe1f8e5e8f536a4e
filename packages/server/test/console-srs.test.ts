/**
 * SRS's web console next to tsrs's (item 11): SRS 5 serves `<http_server.dir>/console` at
 * /console/ on the API port, and its pages link to /players/*.html. A fake SRS console (a few
 * html/js files) in the server's dir and a fake tsrs console build (TSRS_CONSOLE_DIR) show which
 * file each port serves, where SRS's player URLs lead, and that no path leaves its root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { basicConf, startServer, tempDir, type RunningServer } from './harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as given (fetch would resolve `..` before sending). */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SRS_INDEX = '<html><body>SRS console index</body></html>';
const SRS_NG = '<html><body>SRS console ng_index</body></html>';
const SRS_JS = 'var srs_console = "srs.console.js";\n';
const SRS_PLAYER = '<html><body>SRS srs_player</body></html>';
const TSRS_INDEX = '<html><body>tsrs console overview</body></html>';
const TSRS_PLAYER = '<html><body>tsrs console player</body></html>';
const SECRET = 'never-served-secret';

let server: RunningServer;
let html: string;

before(async () => {
  const build = tempDir('tsrs-console-build-');
  mkdirSync(join(build, 'player'), { recursive: true });
  mkdirSync(join(build, 'publisher'), { recursive: true });
  writeFileSync(join(build, 'index.html'), TSRS_INDEX);
  writeFileSync(join(build, 'player', 'index.html'), TSRS_PLAYER);
  writeFileSync(join(build, 'publisher', 'index.html'), '<html><body>tsrs console publisher</body></html>');
  const dir = tempDir('tsrs-console-srs-');
  html = join(dir, 'html');
  mkdirSync(join(html, 'console', 'js'), { recursive: true });
  mkdirSync(join(html, 'players'), { recursive: true });
  writeFileSync(join(html, 'console', 'index.html'), SRS_INDEX);
  writeFileSync(join(html, 'console', 'ng_index.html'), SRS_NG);
  writeFileSync(join(html, 'console', 'js', 'srs.console.js'), SRS_JS);
  writeFileSync(join(html, 'players', 'srs_player.html'), SRS_PLAYER);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  // a symlink out of the console dir must not be followed
  symlinkSync(dir, join(html, 'console', 'up'));
  server = await startServer((p) => basicConf(p), { dir, env: { TSRS_CONSOLE_DIR: build } });
});

after(async () => {
  await server?.stop();
});

test('API port: /console/ serves SRS console files from http_server.dir, tsrs fills in the rest', async () => {
  const api = server.ports.api;
  const index = await get(api, '/console/');
  assert.equal(index.status, 200);
  assert.equal(index.body, SRS_INDEX);
  const ng = await get(api, '/console/ng_index.html');
  assert.equal(ng.status, 200);
  assert.equal(ng.body, SRS_NG);
  assert.match(String(ng.headers['content-type']), /^text\/html/);
  const js = await get(api, '/console/js/srs.console.js?v=1');
  assert.equal(js.status, 200);
  assert.equal(js.body, SRS_JS);
  assert.match(String(js.headers['content-type']), /javascript/);
  // a path SRS's console lacks comes from tsrs's
  const player = await get(api, '/console/player/?app=live&stream=s');
  assert.equal(player.status, 200);
  assert.equal(player.body, TSRS_PLAYER);
  const bare = await get(api, '/console?x=1');
  assert.equal(bare.status, 302);
  assert.equal(bare.headers.location, '/console/?x=1');
  assert.equal((await get(api, '/console/nothing-here.html')).status, 404);
  // the API itself is unchanged, `/` included
  const root = await get(api, '/');
  assert.equal(root.status, 200);
  assert.equal(JSON.parse(root.body).code, 0);
  assert.equal(JSON.parse((await get(api, '/api/v1/versions')).body).code, 0);
});

test('HTTP port: tsrs console keeps /console/, SRS console files fill in', async () => {
  const http = server.ports.http;
  const index = await get(http, '/console/');
  assert.equal(index.status, 200);
  assert.equal(index.body, TSRS_INDEX);
  const ng = await get(http, '/console/ng_index.html');
  assert.equal(ng.status, 200);
  assert.equal(ng.body, SRS_NG);
  assert.equal((await get(http, '/console/js/srs.console.js')).body, SRS_JS);
  assert.equal((await get(http, '/console/player/')).body, TSRS_PLAYER);
});

test('the pages learn the API and HTTP ports from /console/tsrs-server.js on either port', async () => {
  for (const [port, servedBy] of [
    [server.ports.api, 'api'],
    [server.ports.http, 'http'],
  ] as const) {
    const r = await get(port, '/console/tsrs-server.js');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /javascript/);
    const m = /^window\.__TSRS_SERVER__=(\{.*\});\n$/.exec(r.body);
    assert.ok(m, r.body);
    assert.deepEqual(JSON.parse(m[1]), { served_by: servedBy, api_port: server.ports.api, http_port: server.ports.http, rtmp_port: server.ports.rtmp });
  }
});

test('SRS player URLs: the SRS page when the dir has it, else a redirect that lands on a page', async () => {
  const q = '?vhost=__defaultVhost__&app=live&stream=s.flv&server=127.0.0.1&port=8080&autostart=true&schema=http&api=1985';
  for (const port of [server.ports.api, server.ports.http]) {
    const srs = await get(port, `/players/srs_player.html${q}`);
    assert.equal(srs.status, 200, `port ${port}`);
    assert.equal(srs.body, SRS_PLAYER);
  }
  // without SRS's players (read per request): the console's player, query kept, on both ports
  rmSync(join(html, 'players'), { recursive: true });
  for (const port of [server.ports.api, server.ports.http]) {
    for (const [page, target] of [
      ['srs_player.html', '/console/player/'],
      ['rtc_player.html', '/console/player/'],
      ['rtc_publisher.html', '/console/publisher/'],
    ]) {
      const r = await get(port, `/players/${page}${q}`);
      assert.equal(r.status, 302, `port ${port} ${page}`);
      assert.equal(r.headers.location, `${target}${q}`);
      const landed = await get(port, String(r.headers.location));
      assert.equal(landed.status, 200, `port ${port}: ${r.headers.location}`);
      assert.match(landed.body, /tsrs console (player|publisher)/);
    }
  }
});

test('no path leaves the console or players dirs (403/404, never the file)', async () => {
  const attempts = [
    '/console/../secret.txt',
    '/console/%2e%2e/secret.txt',
    '/console/..%2fsecret.txt',
    '/console/js/..%2f..%2f..%2fsecret.txt',
    '/console/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/console/..\\..\\secret.txt',
    '/console/up/secret.txt',
    '/players/../secret.txt',
    '/players/%2e%2e/%2e%2e/secret.txt',
    '/console/tsrs-server.js/../../secret.txt',
  ];
  for (const port of [server.ports.api, server.ports.http]) {
    for (const path of attempts) {
      const r = await get(port, path);
      assert.ok(r.status === 403 || r.status === 404, `port ${port} ${path}: ${r.status}`);
      assert.ok(!r.body.includes(SECRET), `port ${port} ${path} leaked the file`);
    }
  }
});

test('API port without an SRS console in the dir: tsrs console at /console/', async () => {
  rmSync(join(html, 'console'), { recursive: true });
  const r = await get(server.ports.api, '/console/');
  assert.equal(r.status, 200);
  assert.equal(r.body, TSRS_INDEX);
});
