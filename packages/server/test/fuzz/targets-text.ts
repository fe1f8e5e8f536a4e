/**
 * Fuzz targets of text that comes from outside: srs.conf (lexer + parser + validation), the
 * pieces of an HTTP request head tsrs parses itself (path segments, routes, mounts, Range,
 * Authorization, query parameters), and file paths rendered from client-chosen names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { BadParam, pageAndRange } from '../../src/api/query-params.js';
import { basicAuthOk, ownsPath } from '../../src/api/handler.js';
import { historyQuery } from '../../src/api/routes-history.js';
import { buildRoutes, page, type ApiDeps } from '../../src/api/routes.js';
import { matchRoute, type Method } from '../../src/api/router.js';
import { joinTemplate, renderSafePath } from '../../src/app/safe-name.js';
import { renderDvrPath, templateRoot, dvrTemplate } from '../../src/app/dvr/dvr-path.js';
import { ConfigError, parseConfigText, tokenize } from '../../src/config/index.js';
import { paramWithoutCtx } from '../../src/http/hls-routes.js';
import { parseRange } from '../../src/http/range.js';
import { decodePathSegments, joinInside } from '../../src/http/safe-path.js';
import { compileMount } from '../../src/http/stream-mount.js';
import type { FuzzTarget } from './fuzz-helper.js';

// --- srs.conf ----------------------------------------------------------------

const CONF_WORDS = [
  'listen', '1935', 'max_connections', 'daemon', 'off', 'on', 'vhost', '__defaultVhost__', 'http_api', 'http_server',
  'enabled', 'dir', './objs', 'hls', 'hls_path', 'hls_m3u8_file', '[app]/[stream].m3u8', 'dvr', 'dvr_path', 'dvr_plan',
  'session', 'segment', 'http_hooks', 'on_publish', 'http://127.0.0.1:8085/api', 'include', 'security', 'allow', 'deny',
  'publish', 'play', 'all', '127.0.0.1', 'chunk_size', '60000', 'gop_cache', 'tcp_nodelay', 'mw_latency', 'min_latency',
  'http_remux', 'mount', '[vhost]/[app]/[stream].flv', 'srs_log_tank', 'console', '$SRS_X', '${SRS_Y}', '"quoted ; {}"',
  "'single'", '-1', '99999999999999999999', '0x10', '1e3', 'auth', 'username', 'password', 'raw_api', 'allow_reload',
];
const CONF_PUNCT = [';', '{', '}', '\n', ' ', '\t', '#', '"', "'", '\\', '\r\n', '\0'];

/** srs.conf-like text: directive words, values and punctuation in random order. */
const confText = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CONF_WORDS) }, { weight: 2, arbitrary: fc.constantFrom(...CONF_PUNCT) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), { maxLength: 120 })
  .map((parts) => Buffer.from(parts.join(' ').replace(/ ?(\n) ?/g, '$1')));

const CONF_FILE = 'fuzz.conf';
let confDir: string | undefined;

export const configTarget: FuzzTarget = {
  name: 'config',
  description: 'srs.conf text: parse + validation throw only ConfigError naming FILE:LINE, never hang',
  errors: [ConfigError],
  text: true,
  seeds: () => [Buffer.from('listen 1935;\nvhost __defaultVhost__ { hls { enabled on; } }\n')],
  generators: () => [confText],
  run(input) {
    const text = input.toString('utf8');
    const lines = text.split('\n').length;
    // includes resolve in an empty directory: only missing files, never a real one
    confDir ??= mkdtempSync(join(tmpdir(), 'tsrs-fuzz-conf-'));
    try {
      for (const t of tokenize(text, CONF_FILE)) void t;
      const r = parseConfigText(text, CONF_FILE, { env: { SRS_X: '1', SRS_Y: 'on' }, cwd: confDir });
      // the views every listener reads
      r.config.vhostNames().forEach((v) => r.config.getVhost(v));
      return r.config;
    } catch (err) {
      if (err instanceof ConfigError) {
        assert.match(err.message, /^[^\n]*:\d+: /, 'a ConfigError starts with FILE:LINE:');
        if (err.file === CONF_FILE) assert.ok(err.line >= 0 && err.line <= lines + 1, `line ${err.line} of ${lines}`);
      }
      throw err;
    }
  },
};

// --- HTTP request heads (what tsrs parses itself) ------------------------------

let routes: ReturnType<typeof buildRoutes> | undefined;
/** The API's real route table (building it touches no dependency). */
function apiRoutes(): ReturnType<typeof buildRoutes> {
  routes ??= buildRoutes({ config: () => { throw new Error('not used'); } } as unknown as ApiDeps);
  return routes;
}
const MOUNTS = ['[vhost]/[app]/[stream].flv', '[app]/[stream].ts', '/live/[stream].aac', '[vhost]/[app]/[stream].mp3'].map((m) => compileMount(m)!);
const ROOT = resolve('/srv/tsrs-fuzz/html');

const HEAD_SEEDS = [
  'GET /live/livestream.flv?vhost=v&token=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'GET /api/v1/recordings?limit=10&offset=5&from=2024-01-01T00:00:00Z&to=1700000000000&format=flv&complete=true HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n',
  'GET /api/v1/history/streams?start=1&count=20&vhost=v&app=live HTTP/1.1\r\n\r\n',
  'GET /api/v1/recordings/abc%2F..%2Fx/download?format=mp4 HTTP/1.1\r\nRange: bytes=100-\r\n\r\n',
  'GET /live/x.m3u8?hls_ctx=abc&a=b HTTP/1.1\r\nRange: bytes=-500\r\n\r\n',
  'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n',
  'POST /api/v1/dvrs?callback=cb&method=DELETE HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}',
];

const METHODS: Method[] = ['GET', 'POST', 'PUT', 'DELETE'];

export const httpHeadTarget: FuzzTarget = {
  name: 'http-head',
  description: 'request line and headers through safe-path, the API router, stream mounts, Range, Basic auth, query readers: only BadParam',
  errors: [BadParam],
  text: true,
  seeds: () => HEAD_SEEDS.map((s) => Buffer.from(s)),
  generators: () => [
    fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
        fc.array(fc.oneof(fc.constantFrom('api', 'v1', 'streams', 'recordings', 'live', '..', '.', '%2e%2e', '%2F', '%5c', '%00', '%', '%zz', '', '{id}', 'download'), fc.string({ maxLength: 6 })), { maxLength: 8 }),
        fc.array(fc.tuple(fc.constantFrom('limit', 'offset', 'start', 'count', 'from', 'to', 'format', 'complete', 'vhost', 'hls_ctx', 'callback'), fc.string({ maxLength: 12 })), { maxLength: 5 }),
        fc.constantFrom('', 'bytes=0-', 'bytes=-0', 'bytes=5-1', 'bytes=99999999999999999999-', 'bytes= 1 - 2 ', 'items=1-2', 'bytes=1-2,3-4'),
      )
      .map(([m, segs, q, range]) => Buffer.from(`${m} /${segs.join('/')}${q.length ? '?' + q.map(([k, v]) => `${k}=${v}`).join('&') : ''} HTTP/1.1\r\nRange: ${range}\r\n\r\n`)),
  ],
  run(input) {
    const head = input.toString('latin1');
    const [requestLine, ...headerLines] = head.split('\r\n');
    const [method = 'GET', target = '/'] = requestLine.split(' ');
    const header = (name: string) => headerLines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
    let url: URL;
    try {
      url = new URL(target, 'http://fuzz.invalid'); // as the handlers do; a TypeError there is answered 400
    } catch (err) {
      if (err instanceof TypeError) return undefined;
      throw err;
    }
    for (const p of [url.pathname, target.split('?')[0]]) {
      const segs = decodePathSegments(p);
      if (segs) {
        const file = joinInside(ROOT, segs);
        assert.ok(file !== undefined, `decoded segments ${JSON.stringify(segs)} leave the root`);
        assert.ok(file === ROOT || file.startsWith(ROOT + sep));
      }
    }
    ownsPath(url.pathname, true);
    const m = matchRoute(apiRoutes(), (METHODS.includes(method as Method) ? method : 'GET') as Method, url.pathname, url.search);
    if (m.kind === 'redirect') assert.ok(m.location.startsWith('/'), 'redirect inside the server');
    for (const mount of MOUNTS) {
      const got = mount.match(url.pathname, (v) => v.length % 2 === 0);
      if (got) assert.ok(got.stream.length > 0);
    }
    const size = input.length * 1000 + 1;
    const r = parseRange(header('range'), size);
    if (r && r !== 'unsatisfiable') assert.ok(Number.isSafeInteger(r.start) && r.start >= 0 && r.start <= r.end && r.end < size, `range ${JSON.stringify(r)}`);
    basicAuthOk(header('authorization'), 'admin', 'admin');
    paramWithoutCtx(url.search);
    page([1, 2, 3], url.searchParams);
    const q = historyQuery(url.searchParams);
    pageAndRange(url.searchParams);
    assert.ok(Number.isSafeInteger(q.limit) || q.limit === Infinity || Number.isFinite(q.limit), `limit ${q.limit}`);
    return m;
  },
};

// --- paths rendered from names -------------------------------------------------------

const DVR_TEMPLATES = [
  './objs/nginx/html/[app]/[stream].[timestamp].flv',
  '/data/dvr/[vhost]/[app]/[stream]/[2006][01][02].[timestamp].mp4',
  './rec-[stream].flv',
  './objs/dvr',
];

/** Which configured template: the template is the operator's (srs.conf), never the client's. */
function templateIndex(t: string, n: number): number {
  const i = Number.parseInt(t, 10);
  return Number.isFinite(i) ? Math.abs(i) % n : 0;
}

/** template index \n vhost \n app \n stream: names as a client sends them in tcUrl/publish. */
export const pathRenderTarget: FuzzTarget = {
  name: 'path-render',
  description: 'renderDvrPath: a path rendered from client names stays under its root or is refused',
  errors: [],
  text: true,
  seeds: () => [
    Buffer.from('0\n__defaultVhost__\nlive\nlivestream'),
    Buffer.from('1\nv\n../../..\n..'),
    Buffer.from('2\nv\nlive/../../x\n..%2f..%2fetc'),
    Buffer.from('3\n..\\..\nlive/sub\ns\u0000x'),
  ],
  generators: () => [
    fc
      .tuple(fc.nat({ max: DVR_TEMPLATES.length - 1 }), ...[0, 1, 2].map(() => fc.array(fc.constantFrom('..', '.', '/', '\\', 'a', '%2e', '\0', '\n', '~', ''), { maxLength: 8 }).map((p) => p.join(''))))
      .map(([t, v, a, s]) => Buffer.from(`${t}\n${v}\n${a}\n${s}`)),
  ],
  run(input) {
    const [t = '0', vhost = '', app = '', stream = ''] = input.toString('utf8').split('\n');
    const template = DVR_TEMPLATES[templateIndex(t, DVR_TEMPLATES.length)];
    const { template: tpl } = dvrTemplate(template);
    const root = templateRoot(tpl);
    // a path, or a refusal (undefined, or { ok: false } from the safe-path renderer)
    const r = renderDvrPath(tpl, { vhost, app, stream, time: new Date(0), utc: true }) as unknown;
    const file = typeof r === 'string' ? r : (r as { ok?: boolean; path?: string } | undefined)?.ok ? (r as { path: string }).path : undefined;
    if (file !== undefined) {
      assert.ok(isAbsolute(file));
      const rel = relative(root, file);
      assert.ok(rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel), `${file} is outside ${root}`);
    }
    return file;
  },
};

const HLS_TEMPLATES = ['[app]/[stream].m3u8', '[vhost]/[app]/[stream]-[seq].ts', '[app]/[stream]/[2006][01][02]/[timestamp].m4s', 'x.m3u8'];

/** The same names into HLS's hls_path + hls_m3u8_file / hls_ts_file, as hls-output.ts joins them. */
export const hlsPathTarget: FuzzTarget = {
  name: 'hls-path',
  description: 'renderSafePath under hls_path: a path rendered from client names stays under hls_path or is refused',
  errors: [],
  text: true,
  seeds: pathRenderTarget.seeds,
  generators: pathRenderTarget.generators,
  run(input) {
    const [t = '0', vhost = '', app = '', stream = ''] = input.toString('utf8').split('\n');
    const template = HLS_TEMPLATES[templateIndex(t, HLS_TEMPLATES.length)];
    const root = resolve('/srv/tsrs-fuzz/hls');
    // as hls-output.ts does: hls_path + '/' + template, names checked, result under the root
    const r = renderSafePath(joinTemplate(root, template), { vhost, app, stream, time: new Date(0), utc: true, seq: 1, duration: 2 });
    if (!r.ok) return undefined;
    const rel = relative(root, r.path);
    assert.ok(rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel), `${JSON.stringify(r.path)} leaves hls_path`);
    return r.path;
  },
};

export const TEXT_TARGETS = [configTarget, httpHeadTarget, pathRenderTarget, hlsPathTarget];
