/**
 * API auth (Basic auth on every path the API owns: `/`, every /api/ path, `/metrics`; GETs and
 * the POST/DELETE/reload actions alike), the exporter listener with its allow-list, HTTP
 * conventions (CORS, JSONP, 302, 404, 405) and bad input (malformed JSON, huge bodies, missing
 * ids, garbage): SRS-style answers, and the server still serves a stream afterwards.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { get } from 'node:http';
import { basicConf, ffmpegPublish, freePort, kill, sleep, startServer, waitFor, type RunningServer } from './harness.js';
import { api } from './api-helpers.js';

let server: RunningServer;
let exporterPort: number;
const AUTH = { Authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` };

before(async () => {
  exporterPort = await freePort();
  server = await startServer((p) =>
    basicConf(
      p,
      '',
      `http_api { enabled on; listen ${p.api}; crossdomain on; auth { enabled on; username admin; password s3cret; } raw_api { enabled on; allow_reload on; } }\n` +
        `exporter { enabled on; listen ${exporterPort}; label cn-test; tag edge; allow 127.0.0.2 10.9.0.0/16; }`,
    )
      // basicConf already has an http_api block: keep only ours (the last one would not win)
      .replace(`http_api { enabled on; listen ${p.api}; }\n`, ''),
  );
});

after(async () => {
  await server.stop();
});

async function documentedPaths(): Promise<string[]> {
  const doc = (await api<{ paths: Record<string, unknown> }>(server, '/api/v1/openapi.json', { headers: AUTH })).json;
  return Object.keys(doc.paths).map((p) => p.replace('{id}', 'someid'));
}

test('without credentials every /api/ route answers 401 with WWW-Authenticate; with them 200', { timeout: 120_000 }, async () => {
  const paths = await documentedPaths();
  assert.ok(paths.length > 20);
  for (const p of paths.filter((x) => x.includes('/api/'))) {
    const no = await api(server, p);
    assert.equal(no.status, 401, p);
    assert.match(no.headers.get('www-authenticate') ?? '', /^Basic/, p);
    assert.equal(no.text, '', p);
    const wrong = await api(server, p, { headers: { Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401, p);
    const yes = await api(server, p, { headers: AUTH });
    assert.equal(yes.status, p === '/api/v1/tests/redirects' ? 301 : 200, p);
  }
  // Unlike SRS 5 (only paths with /api/), the API root and /metrics need them too:
  // /metrics names every live stream.
  for (const p of ['/', '/metrics', '/api', '/api/v2/', '/api/v1/streams']) {
    const no = await api(server, p);
    assert.equal(no.status, 401, p);
    assert.match(no.headers.get('www-authenticate') ?? '', /^Basic/, p);
  }
  assert.equal((await api(server, '/', { headers: AUTH })).status, 200);
  const metrics = await api(server, '/metrics', { headers: AUTH });
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /^srs_streams[{ ]/m);
  assert.equal((await api(server, '/api/v1/streams', { headers: AUTH })).status, 302);
  // a CORS preflight carries no credentials: it is answered, with nothing in it
  const pre = await api(server, '/metrics', { method: 'OPTIONS', headers: { Origin: 'http://x.test' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.text, '');
});

test('without credentials the actions do nothing: kick, DVR start, recording delete, raw reload, JSONP ?method=DELETE', { timeout: 120_000 }, async () => {
  const bad = { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` };
  const pub = ffmpegPublish(server.rtmpUrl('/live/guarded'));
  try {
    type C = { id: string; name: string; publish: boolean };
    const publisher = async () =>
      (await api<{ clients: C[] }>(server, '/api/v1/clients/', { headers: AUTH })).json.clients.find((c) => c.name === 'guarded' && c.publish);
    const c = await waitFor('publisher listed', publisher, 15_000);

    // kick
    for (const headers of [{}, bad]) {
      assert.equal((await api(server, `/api/v1/clients/${c.id}`, { method: 'DELETE', headers })).status, 401);
      assert.equal((await api(server, `/api/v1/clients/${c.id}?callback=cb&method=DELETE`, { headers })).status, 401);
    }
    // DVR start
    const start = JSON.stringify({ app: 'live', stream: 'guarded', action: 'start' });
    for (const headers of [{}, bad]) {
      assert.equal((await api(server, '/api/v1/dvrs', { method: 'POST', body: start, headers: { ...headers, 'Content-Type': 'application/json' } })).status, 401);
    }
    assert.deepEqual((await api<{ dvrs: unknown[] }>(server, '/api/v1/dvrs', { headers: AUTH })).json.dvrs, []);
    // raw reload
    const reloads = () => server.output().split('config reloaded').length;
    const before = reloads();
    for (const headers of [{}, bad]) assert.equal((await api(server, '/api/v1/raw?rpc=reload', { headers })).status, 401);
    await sleep(300);
    assert.equal(reloads(), before, 'no reload happened');
    assert.equal((await publisher())?.id, c.id, 'the publisher was not kicked');

    // with credentials: record a moment, then the recording cannot be deleted without them
    const rec = await api<{ id: string }>(server, '/api/v1/dvrs', { method: 'POST', body: start, headers: { ...AUTH, 'Content-Type': 'application/json' } });
    assert.equal(rec.json.code, 0);
    await waitFor('recording file open', async () => {
      const d = (await api<{ dvrs: { path: string }[] }>(server, '/api/v1/dvrs', { headers: AUTH })).json.dvrs;
      return d.length === 1 && d[0].path !== '';
    }, 15_000);
    await sleep(1000);
    const stop = JSON.stringify({ app: 'live', stream: 'guarded', action: 'stop' });
    assert.equal((await api(server, '/api/v1/dvrs', { method: 'POST', body: stop, headers: { ...AUTH, 'Content-Type': 'application/json' } })).json.code, 0);
    const id = rec.json.id;
    await waitFor('recording row closed', async () => {
      const r = await api<{ recording?: { end: number | null } }>(server, `/api/v1/recordings/${id}`, { headers: AUTH });
      return r.json.recording?.end != null;
    }, 20_000);
    for (const headers of [{}, bad]) assert.equal((await api(server, `/api/v1/recordings/${id}`, { method: 'DELETE', headers })).status, 401);
    assert.equal((await api(server, `/api/v1/recordings/${id}`, { headers: AUTH })).json.code, 0, 'still there');
    assert.equal((await api(server, `/api/v1/recordings/${id}`, { method: 'DELETE', headers: AUTH })).json.code, 0);

    // and the kick with them works
    assert.equal((await api(server, `/api/v1/clients/${c.id}`, { method: 'DELETE', headers: AUTH })).json.code, 0);
    await waitFor('kicked', async () => (await publisher())?.id !== c.id, 10_000);
  } finally {
    kill(pub);
  }
});

/** GET on the exporter port from a given loopback address. */
function exporterGet(path: string, localAddress: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: exporterPort, path, localAddress, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

test('exporter: /metrics on its own port for its allow-list, without API credentials', { timeout: 120_000 }, async () => {
  const allowed = await exporterGet('/metrics', '127.0.0.2');
  assert.equal(allowed.status, 200);
  assert.match(allowed.text, /^srs_build_info\{.*label="cn-test",tag="edge"\} 1$/m);
  assert.equal((await exporterGet('/metrics', '127.0.0.1')).status, 403, 'not in the allow-list');
  assert.equal((await exporterGet('/api/v1/streams/', '127.0.0.2')).status, 404, 'nothing else there');
});

test('CORS: OPTIONS 200 empty, Origin gets the SRS headers', async () => {
  const pre = await api(server, '/api/v1/streams/', { method: 'OPTIONS', headers: { Origin: 'http://x.test' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.text, '');
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  const got = await api(server, '/api/v1/versions', { headers: { ...AUTH, Origin: 'http://x.test' } });
  assert.equal(got.headers.get('access-control-allow-origin'), '*');
  assert.equal(got.headers.get('access-control-allow-credentials'), 'false');
});

test('JSONP with ?method= override; bad callbacks refused', async () => {
  const r = await api(server, '/api/v1/clients/nosuch?callback=cb_1.x&method=DELETE', { headers: AUTH });
  assert.equal(r.headers.get('content-type'), 'text/javascript');
  assert.equal(r.text, 'cb_1.x({"code":2049})');
  assert.equal((await api(server, '/api/v1/versions?callback=alert(1)', { headers: AUTH })).status, 400);
});

test('unknown routes 404, wrong methods 405, bare collections 302 keeping the query', async () => {
  assert.equal((await api(server, '/api/v1/nope', { headers: AUTH })).status, 404);
  assert.equal((await api(server, '/api/v1/perf', { headers: AUTH })).status, 404, 'perf is listed but has no handler (SRS)');
  assert.equal((await api(server, '/api/v2/', { headers: AUTH })).status, 404);
  assert.equal((await api(server, '/api/v1/versions', { method: 'POST', body: '{}', headers: AUTH })).status, 405);
  assert.equal((await api(server, '/api/v1/streams/', { method: 'DELETE', headers: AUTH })).status, 405);
  const redirect = await api(server, '/api/v1/clients?start=0&count=20', { headers: AUTH });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), '/api/v1/clients/?start=0&count=20');
  assert.equal(redirect.text, 'Redirect to /api/v1/clients/?start=0&count=20');
});

test('missing ids and bad input give SRS error codes with HTTP 200', async () => {
  const code = async (path: string, init: RequestInit = {}) => {
    const r = await api(server, path, { ...init, headers: { ...AUTH, ...(init.headers as object) } });
    assert.equal(r.status, 200, path);
    assert.deepEqual(Object.keys(r.json), ['code'], path);
    return r.json.code;
  };
  assert.equal(await code('/api/v1/streams/vid-nothere'), 2048);
  assert.equal(await code('/api/v1/clients/nothere0'), 2049);
  assert.equal(await code('/api/v1/clients/nothere0', { method: 'DELETE' }), 2049);
  assert.equal(await code('/api/v1/vhosts/vid-nothere'), 2014);
  assert.equal(await code('/api/v1/streams/%E0%A4%A'.replace('%A', '%ZZ')), 2048);
  assert.equal(await code('/api/v1/tests/errors'), 100);
  assert.equal(await code('/api/v1/raw'), 1060);
  assert.equal(await code('/api/v1/raw?rpc=query'), 1060);
  assert.equal(await code('/api/v1/raw?rpc=reload'), 0);
  const fetchReload = await api<{ data: { err: number; rid: string } }>(server, '/api/v1/raw?rpc=reload-fetch', { headers: AUTH });
  assert.equal(fetchReload.json.data.err, 0);
  assert.match(fetchReload.json.data.rid, /^[0-9a-z]{7}$/);
  // malformed JSON body
  assert.equal(await code('/api/v1/clusters', { method: 'POST', body: '{"vhost":', headers: { 'Content-Type': 'application/json' } }), 3063);
  // a huge body (2 MiB) is refused, not buffered
  assert.equal(await code('/api/v1/clusters', { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 0x20) }), 4003);
  // an empty POST (origin-cluster discovery) is fine
  const c = await api<{ data: { origin: unknown } }>(server, '/api/v1/clusters?vhost=__defaultVhost__&app=live&stream=x', { method: 'POST', headers: AUTH });
  assert.equal(c.json.code, 0);
  assert.equal(c.json.data.origin, null);
});

test('garbage on the API port gets 400 and the server keeps serving streams', async () => {
  await new Promise<void>((resolve) => {
    const s = connect(server.ports.api, '127.0.0.1', () => s.write('\x00\x01 NOT HTTP\r\n\r\n'));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  // a request head that declares a body far over the cap is answered at once
  const huge = await api(server, '/api/v1/clusters', {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: Buffer.alloc(1024 * 1024 + 1, 0x20),
  });
  assert.equal(huge.json.code, 4003);

  const pub = ffmpegPublish(server.rtmpUrl('/live/after'));
  try {
    await waitFor('stream after bad input', async () => {
      const r = await api<{ streams: { name: string; publish: { active: boolean } }[] }>(server, '/api/v1/streams/', { headers: AUTH });
      return r.json.streams.some((s) => s.name === 'after' && s.publish.active);
    }, 15_000);
  } finally {
    kill(pub);
  }
  assert.equal(server.proc.exitCode, null, 'server alive');
});
