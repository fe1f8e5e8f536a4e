/**
 * Every real SRS config (shared/srs-conf, beside the clone) and every tsrs config (conf/) must
 * parse and validate; warnings are allowed. Files that are only include targets of another file
 * in the same directory (include.vhost.conf) are checked as fragments: SRS would not start with
 * them alone either (no `listen`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, validate, type Config } from './config.js';
import { repoRoot, srsConfDir as srsConfPath } from '../../test/paths.js';


const root = repoRoot();
const srsConfDir = srsConfPath();
const tsrsConfDir = path.join(root, 'conf');

function checkDir(dir: string): Map<string, Config> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();
  assert.ok(files.length > 0, `no .conf files in ${dir}`);
  const configs = new Map<string, Config>();
  // An empty env and a cwd outside the tree keep the result independent of the machine.
  for (const f of files) configs.set(f, parseConfig(undefined, path.join(dir, f), { env: {}, cwd: '/' }).config);
  const included = new Set<string>();
  for (const c of configs.values()) for (const f of c.files.slice(1)) included.add(path.resolve(f));
  for (const [f, c] of configs) {
    const v = validate(c, { fragment: included.has(path.resolve(dir, f)) });
    assert.deepEqual(v.errors.map((e) => e.message), [], `${f} must validate`);
  }
  return configs;
}

test('every SRS config in shared/srs-conf parses and validates', (t) => {
  if (!existsSync(srsConfDir)) {
    t.skip(`${srsConfDir} not found (CI puts shared/ beside the clone)`);
    return;
  }
  const configs = checkDir(srsConfDir);
  // spot checks that the real files read as SRS reads them
  const srs = configs.get('srs.conf');
  if (srs) {
    assert.deepEqual(srs.listen, [{ port: 1935 }]);
    assert.deepEqual(srs.rtc_server.candidate, ['*']); // $CANDIDATE unset
    assert.equal(srs.getVhost('any.host')!.http_remux.enabled, true);
  }
  const include = configs.get('include.conf');
  if (include) assert.equal(include.getVhost('include.srs.com')!.hls.enabled, true);
  const full = configs.get('full.conf');
  if (full) {
    assert.equal(full.getVhost('include.srs.com')!.http_remux.enabled, true); // ./conf/include.vhost.conf
    assert.equal(full.getVhost('security.srs.com')!.security.rules.length, 2);
    const warnings = validate(full).warnings;
    assert.deepEqual(warnings.filter((w) => w.includes('unknown directive')), [], 'full.conf uses only known directives');
    // and names each section tsrs does not run yet (full.conf turns many on)
    assert.ok(warnings.every((w) => /does not run|is not run by tsrs/.test(w)), warnings.join('\n'));
  }
});

test('every tsrs config in conf/ parses and validates', () => {
  const configs = checkDir(tsrsConfDir);
  const main = configs.get('srs.conf')!;
  assert.deepEqual(main.listen, [{ port: 1935 }]);
  assert.equal(main.global.daemon, false);
  assert.equal(main.global.srs_log_tank, 'console');
  assert.deepEqual([main.http_api.enabled, main.http_api.listen.port], [true, 1985]);
  assert.deepEqual([main.http_server.enabled, main.http_server.listen.port, main.http_server.dir], [true, 8080, './objs/nginx/html']);
  const v = main.getVhost('__defaultVhost__')!;
  assert.deepEqual([v.http_remux.enabled, v.http_remux.mount, v.hls.enabled], [true, '[vhost]/[app]/[stream].flv', true]);
  for (const c of configs.values()) assert.deepEqual(validate(c).warnings, [], `${c.file} has no warnings`);
});
