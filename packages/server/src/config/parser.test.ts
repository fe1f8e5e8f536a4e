import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { tokenize } from './lexer.js';
import { parseDirectives } from './parser.js';
import { parseConfig, parseConfigText } from './config.js';
import { resolveInclude } from './parser.js';
import { repoRoot } from '../../test/paths.js';

const testdata = path.join(repoRoot(), 'packages/server/src/config/testdata');

const parse = (text: string, env = {}) => parseDirectives(text, 't.conf', { env, warnings: [] });

function throwsAt(text: string, line: number, what: RegExp): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
      assert.equal(e.line, line, e.message);
      assert.match(e.message, new RegExp(`^t\\.conf:${line}: `));
      assert.match(e.message, what);
      return true;
    },
  );
}

test('tokenize: words, punctuation, lines', () => {
  const toks = [...tokenize('listen 1935;\nvhost a{\n}', 'f')];
  assert.deepEqual(
    toks.map((t) => (t.kind === 'word' ? `${t.value}@${t.line}` : `${t.kind}@${t.line}`)),
    ['listen@1', '1935@1', ';@1', 'vhost@2', 'a@2', '{@2', '}@3', 'eof@3'],
  );
});

test('directives and blocks with file and line', () => {
  const root = parse('listen 1935 1936;\n\nvhost a.com {\n    hls { enabled on; }\n}\n');
  assert.deepEqual(root.get('listen')?.args, ['1935', '1936']);
  const v = root.get('vhost')!;
  assert.equal(v.arg0, 'a.com');
  assert.equal(v.line, 3);
  assert.equal(v.file, 't.conf');
  const en = v.get('hls')!.get('enabled')!;
  assert.equal(en.arg0, 'on');
  assert.equal(en.line, 4);
  assert.equal(root.getAll('listen').length, 1);
  assert.equal(root.get('nope'), undefined);
});

test('comments: only at the start of a token', () => {
  const root = parse('# top\ndir a#b; # trailing\nx 1;# right after ;\n  #indented ; { }\ny "#q" \'c#\';\n');
  assert.deepEqual(root.get('dir')?.args, ['a#b']);
  assert.deepEqual(root.get('x')?.args, ['1']);
  assert.deepEqual(root.get('y')?.args, ['#q', 'c#']);
  assert.equal(root.children.length, 3);
});

test('quotes: one arg with spaces and ;, no escapes, empty dropped as SRS', () => {
  const root = parse(`vf 'split [main][tmp]; [tmp] crop' "a b";\ndevice_id "";\nq "it's";`);
  assert.deepEqual(root.get('vf')?.args, ['split [main][tmp]; [tmp] crop', 'a b']);
  assert.deepEqual(root.get('device_id')?.args, []);
  assert.deepEqual(root.get('q')?.args, ["it's"]);
  // ; and { right after the closing quote are fine
  assert.deepEqual(parse(`a "x";b 'y'{}`).get('b')?.args, ['y']);
});

test('errors carry the right line', () => {
  throwsAt('listen 1935;\nmax_connections 1000\n;\n', 2, /unexpected end of line/);
  throwsAt('listen\n 1935;', 1, /unexpected end of line/);
  throwsAt('vhost a\n{\n}', 1, /unexpected end of line/);
  throwsAt('listen 1935;\n\n;\n', 3, /unexpected ';'/);
  throwsAt('listen 1935;\n{ x; }\n', 2, /unexpected '\{'/);
  throwsAt('listen 1935;\nvhost a {\n}\n}\n', 4, /unexpected '\}'/);
  throwsAt('vhost a {\n  hls {\n    enabled on;\n  }\n', 1, /block 'vhost a' is not closed \(no '\}' before the end of the file at line 5\)/);
  throwsAt('vhost a {\n  hls {\n    enabled on;\n', 2, /block 'hls' is not closed/);
  throwsAt('vhost a {\n  enabled on }\n', 2, /unexpected '\}'/);
  throwsAt('vhost a {\n  enabled on}\n}\n', 2, /unexpected end of line/);
  throwsAt('listen 1935', 1, /unexpected end of file/);
  throwsAt('x 1;\na "b"c;', 2, /unexpected 'c' after a quoted string/);
  throwsAt('x 1;\na "b\n c";', 2, /end of line inside a quoted string/);
  throwsAt('x 1;\n\na "b;', 3, /unterminated quoted string/);
  throwsAt('x 1;\ninclude;\n', 2, /include needs/);
  throwsAt('x 1;\ninclude a.conf { }\n', 2, /include cannot be a block/);
  throwsAt('x 1;\ninclude nope-not-here.conf;\n', 2, /include file 'nope-not-here.conf' not found/);
});

test('includes: nested, relative to the including file, spliced in place at any level', () => {
  const files: string[] = [];
  const root = parseDirectives(
    'listen 1935;\ninclude inc/global.conf;\nvhost a.com {\n  include inc/vhost-body.conf inc/empty.conf;\n}\n',
    path.join(testdata, 'main.conf'),
    { files, cwd: '/' },
  );
  assert.deepEqual(root.children.map((d) => d.name), ['listen', 'http_api', 'max_connections', 'vhost']);
  const max = root.get('max_connections')!;
  assert.equal(max.arg0, '77');
  assert.equal(max.file, path.join(testdata, 'inc/nested.conf'));
  assert.equal(max.line, 1);
  assert.equal(root.get('vhost')!.get('hls')!.get('enabled')!.arg0, 'on');
  assert.deepEqual(files.map((f) => path.relative(testdata, f)), [
    'main.conf', 'inc/global.conf', 'inc/nested.conf', 'inc/vhost-body.conf', 'inc/empty.conf',
  ]);
});

test('includes: relative to cwd first, then the file dir, then the basename there', () => {
  const main = path.join(testdata, 'main.conf');
  // cwd wins when the path exists there
  assert.equal(resolveInclude('inc/nested.conf', '/elsewhere/x.conf', testdata), path.join(testdata, 'inc/nested.conf'));
  // SRS-style ./conf/x.conf, found by basename beside the including file
  assert.equal(resolveInclude('./conf/nested.conf', path.join(testdata, 'inc/global.conf'), '/'), path.join(testdata, 'inc/nested.conf'));
  assert.equal(resolveInclude('inc/global.conf', main, '/'), path.join(testdata, 'inc/global.conf'));
  assert.equal(resolveInclude('missing.conf', main, '/'), undefined);
  // loading the fixture file works from any cwd
  const { config } = parseConfig(undefined, main, { cwd: '/' });
  assert.equal(config.global.max_connections, 77);
  assert.equal(config.files.length, 5);
});

test('includes: a cycle is an error naming the include line', () => {
  const a = path.join(testdata, 'cycle/a.conf');
  const { errors } = parseConfig(undefined, a, { cwd: '/' });
  assert.equal(errors.length, 1);
  const e = errors[0];
  assert.ok(e instanceof ConfigError);
  assert.equal(e.file, path.join(testdata, 'cycle/b.conf'));
  assert.equal(e.line, 2);
  assert.match(e.message, /include cycle: a\.conf -> b\.conf -> a\.conf/);
});

test('env: $VAR and ${VAR} in any arg; unset kept with a warning; candidate falls back to *', () => {
  const warnings: string[] = [];
  const root = parseDirectives(
    'listen $PORT;\ndir ${BASE}/html;\nx $NOPE;\nrtc_server { candidate $CANDIDATE; }\ns { candidate ${CANDIDATE}; }\n',
    't.conf',
    { env: { PORT: '19350', BASE: '/srv' }, warnings },
  );
  assert.deepEqual(root.get('listen')?.args, ['19350']);
  assert.deepEqual(root.get('dir')?.args, ['/srv/html']);
  assert.deepEqual(root.get('x')?.args, ['$NOPE']);
  assert.equal(root.get('rtc_server')!.get('candidate')!.arg0, '*');
  assert.equal(root.get('s')!.get('candidate')!.arg0, '*');
  assert.deepEqual(warnings, [`t.conf:3: environment variable 'NOPE' is not set, '$NOPE' kept as is`]);
  const set = parseDirectives('rtc_server { candidate $CANDIDATE; }', 't.conf', { env: { CANDIDATE: '10.0.0.1' } });
  assert.equal(set.get('rtc_server')!.get('candidate')!.arg0, '10.0.0.1');
});

test('legacy forms are rewritten on load, with warnings', () => {
  const { config, warnings } = parseConfigText(`
listen 1935;
http_stream { enabled on; listen 8081; }
rtc_server { enabled on; perf_stat on; queue_length 10; }
vhost old.com {
    http { enabled on; mount [vhost]/; }
    gop_cache off;
    queue_length 5;
    time_jitter zero;
    mw_latency 100;
    atc on;
    mr { enabled on; latency 200; }
    publish_1stpkt_timeout 3000;
    publish_normal_timeout 4000;
    forward 127.0.0.1:1936 127.0.0.1:1937;
    mode remote;
    origin 127.0.0.1:19350;
    token_traverse on;
    refer github.com;
    refer_play a.com;
    nack { enabled off; no_copy off; }
    twcc { enabled off; }
    http_remux { enabled on; hstrs on; }
    play { mix_correct on; }
}
`);
  assert.equal(config.root.get('http_server')?.get('listen')?.arg0, '8081');
  assert.equal(config.http_server.enabled, true);
  assert.equal(config.http_server.listen.port, 8081);
  assert.equal(config.root.get('rtc_server')!.get('perf_stat'), undefined);
  const d = config.root.find('vhost', 'old.com')!;
  // the existing play block (later in the file) receives the moved directives, as SRS's get_or_create
  assert.equal(d.getAll('play').length, 1);
  assert.equal(d.get('http_remux')!.get('hstrs'), undefined);
  const v = config.getVhost('old.com')!;
  assert.equal(v.http_static.enabled, true);
  assert.equal(v.play.gop_cache, false);
  assert.equal(v.play.queue_length, 5);
  assert.equal(v.play.time_jitter, 'zero');
  assert.equal(v.play.mw_latency, 100);
  assert.equal(v.play.atc, true);
  assert.equal(v.play.mix_correct, true);
  assert.deepEqual([v.publish.mr, v.publish.mr_latency], [true, 200]);
  assert.deepEqual([v.publish.firstpkt_timeout, v.publish.normal_timeout], [3000, 4000]);
  assert.deepEqual([v.forward.enabled, v.forward.destination], [true, ['127.0.0.1:1936', '127.0.0.1:1937']]);
  assert.equal(v.cluster.mode, 'remote');
  assert.deepEqual(v.cluster.origin, ['127.0.0.1:19350']);
  assert.equal(v.cluster.token_traverse, true);
  assert.deepEqual([v.refer.enabled, v.refer.all, v.refer.play], [true, ['github.com'], ['a.com']]);
  assert.deepEqual([v.rtc.nack, v.rtc.nack_no_copy, v.rtc.twcc], [false, false, false]);
  assert.ok(warnings.some((w) => /^inline\.conf:3: legacy 'http_stream'/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /^inline\.conf:7: legacy vhost 'gop_cache'/.test(w)), warnings.join('\n'));
});
