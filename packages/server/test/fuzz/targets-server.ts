/**
 * Fuzz targets that need the real server: raw request heads into its HTTP server and HTTP
 * API ports (Node's parser, then tsrs's routing, static files, stream mounts, Range, auth)
 * and JSON bodies into the API routes that read one. The server runs as a child process
 * (test/harness.ts) for the whole target; each input gets a fresh connection.
 *
 * Invariants: an answer is an HTTP response that is not a 500 (or the connection is
 * closed), the API never answers its "handler failed" code 1000, no answer carries a file
 * from outside the HTTP root, the server stays up, and its memory stays bounded.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { basicConf, startServer, type RunningServer } from '../harness.js';
import { readCorpus, type FuzzTarget } from './fuzz-helper.js';
import { assertNoRuntimeError, assertServerHealthy, rssOf } from './running-server.js';

const SECRET = 'tsrs-fuzz-secret-7f3a9c';

interface ServerCtx {
  server: RunningServer;
  rss0: number;
}

async function setup(): Promise<ServerCtx> {
  const server = await startServer((p) =>
    basicConf(p, 'dvr { enabled on; dvr_path ./objs/dvr/[app]/[stream].[timestamp].flv; } hls { enabled on; hls_path ./html; hls_fragment 1; }'),
  );
  // a file beside the HTTP root that no answer may ever contain
  writeFileSync(join(server.dir, 'secret.txt'), SECRET);
  mkdirSync(join(server.dir, 'html', 'live'), { recursive: true });
  writeFileSync(join(server.dir, 'html', 'live', 'index.html'), 'hello');
  writeFileSync(join(server.dir, 'html', 'live', 'x.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nx-1.ts\n');
  return { server, rss0: rssOf(server.proc.pid!) };
}

async function teardown(ctx: ServerCtx): Promise<void> {
  try {
    await assertServerHealthy(ctx.server, ctx.rss0);
  } finally {
    await ctx.server.stop();
  }
}

/** Sends raw bytes on a fresh connection, half-closes, and collects the answer (until closed or `waitMs`). */
function exchange(port: number, data: Buffer, waitMs = 3000): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(parts));
    };
    const timer = setTimeout(done, waitMs);
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.on('close', done);
    sock.on('error', done);
    sock.end(data);
  });
}

function checkAnswer(answer: Buffer, where: string): void {
  if (answer.length === 0) return; // closed without an answer: fine for garbage
  const text = answer.toString('latin1');
  assert.ok(!text.includes(SECRET), `${where}: an answer carries a file from outside the HTTP root`);
  for (const m of text.matchAll(/HTTP\/1\.[01] (\d{3})/g)) assert.notEqual(m[1], '500', `${where}: 500 answer\n${text.slice(0, 400)}`);
  for (const m of text.matchAll(/\{"code":(\d+)/g)) assert.notEqual(m[1], '1000', `${where}: the API handler failed\n${text.slice(0, 400)}`);
}

const HEADS = [
  'GET /live/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'GET /live/x.m3u8 HTTP/1.1\r\nHost: h\r\nRange: bytes=3-\r\n\r\n',
  'GET /live/x.m3u8?hls_ctx=abc HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /live/livestream.flv?vhost=__defaultVhost__ HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /api/v1/streams/?start=0&count=5 HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /api/v1/recordings?limit=5&from=2020-01-01&complete=true HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /api/v1/recordings/x/download?format=mp4 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n',
  'GET /api/v1/clients/?callback=cb&method=DELETE HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /../secret.txt HTTP/1.1\r\nHost: h\r\n\r\n',
  'GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: h\r\n\r\n',
  'OPTIONS /api/v1/vhosts/ HTTP/1.1\r\nHost: h\r\nOrigin: http://o\r\n\r\n',
  'POST /api/v1/dvrs HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 53\r\n\r\n{"app":"live","stream":"s","action":"start","x":[1]}\n',
];

export const httpServerTarget: FuzzTarget<ServerCtx> = {
  name: 'http-server',
  description: 'raw request heads into the real HTTP server and API ports: no 500, no file outside the root, server stays up',
  errors: [],
  text: true,
  maxMs: 7000,
  ciRuns: 120,
  maxRetainedBytes: () => 64 * 1024 * 1024,
  seeds: () => HEADS.map((h) => Buffer.from(h)),
  generators: () => [
    fc
      .tuple(
        fc.constantFrom(...HEADS),
        fc.constantFrom('..', '%2e%2e', '%2f', '%5c', '%00', '\u00ff', '%', '//', '?a=%', '#', ' ', '\r\n', '\n\n', 'Range: bytes=-1\r\n', 'Content-Length: 99999999999\r\n', 'Transfer-Encoding: chunked\r\n'),
        fc.nat(),
      )
      .map(([h, piece, at]) => {
        const p = at % (h.length + 1);
        return Buffer.from(h.slice(0, p) + piece + h.slice(p), 'latin1');
      }),
  ],
  setup,
  teardown,
  async run(input, ctx) {
    assert.equal(ctx.server.proc.exitCode, null, `the server died:\n${ctx.server.output().slice(-2000)}`);
    const [a, b] = await Promise.all([exchange(ctx.server.ports.http, input), exchange(ctx.server.ports.api, input)]);
    checkAnswer(a, 'http_server');
    checkAnswer(b, 'http_api');
    return undefined;
  },
};

const BODIES = [
  '{"app":"live","stream":"livestream","action":"start"}',
  '{"app":"live","stream":"livestream","action":"stop","vhost":"__defaultVhost__","format":"mp4"}',
  '{"app":"../..","stream":"..","action":"start","format":"flv"}',
  '{"app":["live"],"stream":{"a":1},"action":null}',
  '[]',
  'null',
  '"x"',
  '{"__proto__":{"x":1},"app":"live","stream":"s","action":"start"}',
];

const json: fc.Arbitrary<Buffer> = fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

export const apiJsonTarget: FuzzTarget<ServerCtx> = {
  name: 'api-json',
  description: 'JSON (and not-JSON) bodies into the API routes that read one: an SRS error code, never a failed handler',
  errors: [],
  text: true,
  maxMs: 7000,
  ciRuns: 120,
  maxRetainedBytes: () => 64 * 1024 * 1024,
  seeds: () => BODIES.map((b) => Buffer.from(b)),
  generators: () => [
    json,
    fc
      .record({ app: fc.oneof(fc.string(), fc.jsonValue()), stream: fc.oneof(fc.string(), fc.jsonValue()), action: fc.constantFrom('start', 'stop', 'x', 1), vhost: fc.option(fc.string()), format: fc.option(fc.constantFrom('flv', 'mp4', 'avi')) }, { requiredKeys: [] })
      .map((o) => Buffer.from(JSON.stringify(o))),
  ],
  setup,
  teardown,
  async run(input, ctx) {
    assert.equal(ctx.server.proc.exitCode, null, `the server died:\n${ctx.server.output().slice(-2000)}`);
    for (const path of ['/api/v1/dvrs', '/api/v1/clusters?vhost=v&app=a&stream=s']) {
      const res = await fetch(ctx.server.apiUrl(path), { method: 'POST', body: new Uint8Array(input), headers: { 'Content-Type': 'application/json' }, signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
      const body = JSON.parse(text) as { code: unknown };
      assert.equal(typeof body.code, 'number', `${path}: ${text.slice(0, 200)}`);
      assert.notEqual(body.code, 1000, `${path}: the handler failed`);
    }
    // stop what a valid body started, so recordings do not pile up
    await fetch(ctx.server.apiUrl('/api/v1/dvrs'), { method: 'POST', body: input.toString().replace('"start"', '"stop"') }).then((r) => r.text()).catch(() => '');
    return undefined;
  },
};

/**
 * Raw RTMP client bytes (FFmpeg's publish and play, mutated) into the real server's RTMP
 * port: the session, then the app behind it (hub, sources, codec info, HLS and DVR muxers).
 * The server must stay up and log no JavaScript runtime error.
 */
export const rtmpServerTarget: FuzzTarget<ServerCtx> = {
  name: 'rtmp-server',
  description: 'raw RTMP client bytes into the real server (session, hub, HLS, DVR): no runtime error, server stays up',
  errors: [],
  maxMs: 7000,
  ciRuns: 120,
  maxRandomLength: 4000,
  maxRetainedBytes: () => 64 * 1024 * 1024,
  seeds: () => readCorpus('session').map((c) => c.data),
  setup,
  teardown,
  async run(input, ctx) {
    assert.equal(ctx.server.proc.exitCode, null, `the server died:\n${ctx.server.output().slice(-2000)}`);
    const before = ctx.server.output().length;
    await exchange(ctx.server.ports.rtmp, input, 500);
    // what the server logged about this connection, once it has handled the close
    await new Promise((r) => setTimeout(r, 5));
    assertNoRuntimeError(ctx.server, before);
    return undefined;
  },
};

export const SERVER_TARGETS = [httpServerTarget, apiJsonTarget, rtmpServerTarget] as FuzzTarget<never>[];
