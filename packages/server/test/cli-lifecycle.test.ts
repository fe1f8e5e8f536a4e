/**
 * The process around the server, as SRS users run it: `tsrs -e` from SRS_* variables alone,
 * `work_dir` and the `pid` file, a second server on the same files refused before it touches the
 * first one's history, a bind error naming its listener, a graceful stop that ends sessions as
 * normal, and the log lines at start (where to go) and at stop.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { HistoryClientSession } from '@tsrs/api-types';

type ClientSessionsPage = { clients: HistoryClientSession[]; total: number };
import { CLI, basicConf, exitOf, ffmpegPublish, freePort, kill, startServer, tempDir, waitFor } from './harness.js';
import { api, streams } from './api-helpers.js';

interface Proc {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Proc {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

test('tsrs -e runs from SRS_* variables alone with the default vhost', { timeout: 60_000 }, async () => {
  const dir = tempDir('tsrs-env-');
  const [rtmp, apiPort, http] = [await freePort(), await freePort(), await freePort()];
  const p = run(['-e'], {
    cwd: dir,
    env: {
      SRS_LISTEN: String(rtmp), SRS_HTTP_API_ENABLED: 'on', SRS_HTTP_API_LISTEN: String(apiPort),
      SRS_HTTP_SERVER_ENABLED: 'on', SRS_HTTP_SERVER_LISTEN: String(http),
      SRS_VHOST_HTTP_REMUX_ENABLED: 'on', SRS_SRS_LOG_TANK: 'console',
    },
  });
  let publisher: ChildProcess | undefined;
  try {
    await waitFor('tsrs -e started', () => / tsrs \S+ started/.test(p.output()) || p.proc.exitCode !== null, 15_000);
    assert.equal(p.proc.exitCode, null, p.output());
    const summary = await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/vhosts/`)).json() as { vhosts: { name: string }[] };
    assert.deepEqual(summary.vhosts.map((v) => v.name), ['__defaultVhost__']);
    publisher = ffmpegPublish(`rtmp://127.0.0.1:${rtmp}/live/env`, { audio: false });
    await waitFor('published', async () => {
      const r = await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/streams/`)).json() as { streams: { name: string; publish: { active: boolean } }[] };
      return r.streams.some((s) => s.name === 'env' && s.publish.active);
    }, 15_000);
    // the printed play URLs are the real ports
    assert.match(p.output(), new RegExp(`publish: rtmp://127\\.0\\.0\\.1:${rtmp}/live/livestream`));
    assert.match(p.output(), new RegExp(`console: http://127\\.0\\.0\\.1:${http}/console/`));
  } finally {
    kill(publisher);
    p.proc.kill('SIGTERM');
    await p.exited;
  }
  assert.match(p.output(), /tsrs stopped/);
});

test('work_dir and pid: relative paths resolve in work_dir, the pid file names the process and goes at stop', { timeout: 60_000 }, async () => {
  const work = tempDir('tsrs-work-');
  const server = await startServer((p) => basicConf(p, '', `work_dir ${work};\npid ./objs/tsrs-test.pid;`));
  const pidFile = join(work, 'objs', 'tsrs-test.pid');
  try {
    assert.ok(existsSync(pidFile), 'pid file in work_dir');
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(server.proc.pid));
    assert.ok(existsSync(join(work, 'objs', 'tsrs.db')), 'history database under work_dir');
    assert.ok(!existsSync(join(server.dir, 'objs', 'tsrs-test.pid')), 'nothing in the start directory');
  } finally {
    await server.stop();
  }
  assert.ok(!existsSync(pidFile), 'pid file removed at stop');
});

test('a second tsrs on the same files is refused before it touches the history; a bind error names the listener', { timeout: 90_000 }, async () => {
  const server = await startServer((p) => basicConf(p));
  const publisher = ffmpegPublish(server.rtmpUrl('/live/first'), { audio: false });
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'first' && s.publish.active), 15_000);
    await waitFor('open history row', async () => (await api<ClientSessionsPage>(server, '/api/v1/history/clients?active=1')).json.total === 1, 10_000);
    // same directory (pid file, database), other ports
    const again = run(['-c', join(server.dir, 'test.conf')], { cwd: server.dir, env: { SRS_LISTEN: String(await freePort()), SRS_HTTP_API_LISTEN: String(await freePort()), SRS_HTTP_SERVER_LISTEN: String(await freePort()) } });
    assert.equal(await exitOf(again.proc, 15_000), 1, again.output());
    assert.match(again.output(), new RegExp(`another tsrs \\(pid ${server.proc.pid}\\) is running`));
    // its own pid file, the same database (and other ports): refused by the database's lock
    const ownPid = run(['-c', join(server.dir, 'test.conf')], {
      cwd: server.dir,
      env: { SRS_PID: './objs/second.pid', SRS_LISTEN: String(await freePort()), SRS_HTTP_API_LISTEN: String(await freePort()), SRS_HTTP_SERVER_LISTEN: String(await freePort()) },
    });
    assert.equal(await exitOf(ownPid.proc, 15_000), 1, ownPid.output());
    assert.match(ownPid.output(), new RegExp(`another tsrs \\(pid ${server.proc.pid}\\) uses the history database`));
    assert.doesNotMatch(ownPid.output(), /unclean shutdown/);
    // the first server's live session was left alone (no crash repair by the second)
    const open = await api<ClientSessionsPage>(server, '/api/v1/history/clients?active=1');
    assert.equal(open.json.total, 1, JSON.stringify(open.json));
    // other files, same ports: the error names the listener and the port
    const other = tempDir('tsrs-second-');
    mkdirSync(join(other, 'objs'), { recursive: true });
    const bind = run(['-c', join(server.dir, 'test.conf')], { cwd: other });
    assert.equal(await exitOf(bind.proc, 15_000), 1, bind.output());
    assert.match(bind.output(), new RegExp(`rtmp listener cannot start: address already in use.*${server.ports.rtmp}`));
  } finally {
    kill(publisher);
    await server.stop();
  }
});

test('a graceful stop ends the publisher and player sessions as normal; the log says stopped', { timeout: 90_000 }, async () => {
  let server = await startServer((p) => basicConf(p));
  const publisher = ffmpegPublish(server.rtmpUrl('/live/stopme'), { audio: false });
  try {
    await waitFor('published', async () => (await streams(server)).some((s) => s.name === 'stopme' && s.publish.active), 15_000);
    await waitFor('open history row', async () => (await api<ClientSessionsPage>(server, '/api/v1/history/clients?active=1')).json.total === 1, 10_000);
    assert.equal(await server.stop('SIGTERM'), 0);
    assert.match(server.output(), /tsrs stopped/);
  } finally {
    kill(publisher);
  }
  server = await startServer((p) => basicConf(p), { dir: server.dir });
  try {
    const rows = (await api<ClientSessionsPage>(server, '/api/v1/history/clients')).json.clients;
    const pub = rows.find((r) => r.kind === 'publish');
    assert.ok(pub, JSON.stringify(rows));
    assert.equal(pub.end_reason, 'normal');
  } finally {
    await server.stop();
  }
});

test('a SIGTERM while the server is still starting stops it gracefully once started (exit 0), not by the default signal action', { timeout: 60_000 }, async () => {
  const dir = tempDir('tsrs-early-term-');
  const [rtmp, apiPort, http] = [await freePort(), await freePort(), await freePort()];
  const p = run(['-e'], {
    cwd: dir,
    env: {
      SRS_LISTEN: String(rtmp), SRS_HTTP_API_ENABLED: 'on', SRS_HTTP_API_LISTEN: String(apiPort),
      SRS_HTTP_SERVER_ENABLED: 'on', SRS_HTTP_SERVER_LISTEN: String(http), SRS_SRS_LOG_TANK: 'console',
    },
  });
  // The first log line comes from inside start(): signal then, before "started" is printed.
  await waitFor('first log line', () => p.output().length > 0 || p.proc.exitCode !== null, 15_000);
  p.proc.kill('SIGTERM');
  const code = await p.exited;
  assert.equal(code, 0, `exit ${code} (signal ${p.proc.signalCode}):\n${p.output()}`);
  assert.match(p.output(), / tsrs \S+ started/);
  assert.match(p.output(), /tsrs stopped/);
});

test('a SIGINT while tsrs is still loading its modules is held: the server starts, then stops gracefully (exit 0, "tsrs stopped")', { timeout: 60_000 }, async () => {
  const dir = tempDir('tsrs-loading-int-');
  // A module hook makes loading main.js (the server's module graph) take 3 s and marks when it
  // begins: the signal then lands where loading takes time on a busy machine.
  const marker = join(dir, 'loading');
  const hooks = `import { writeFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.endsWith('/dist/src/main.js')) {
    writeFileSync(${JSON.stringify(marker)}, '');
    await new Promise((r) => setTimeout(r, 3000));
  }
  return next(url, context);
}`;
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});\n`);
  const [rtmp, apiPort] = [await freePort(), await freePort()];
  const p = run(['-e'], {
    cwd: dir,
    nodeArgs: ['--import', pathToFileURL(register).href],
    env: { SRS_LISTEN: String(rtmp), SRS_HTTP_API_ENABLED: 'on', SRS_HTTP_API_LISTEN: String(apiPort), SRS_SRS_LOG_TANK: 'console' },
  });
  await waitFor('main.js loading', () => existsSync(marker) || p.proc.exitCode !== null, 30_000, 20);
  assert.equal(p.output().includes('started'), false, 'no log line yet');
  p.proc.kill('SIGINT');
  const code = await p.exited;
  assert.equal(code, 0, `exit ${code} (signal ${p.proc.signalCode}):\n${p.output()}`);
  assert.match(p.output(), / tsrs \S+ started/);
  assert.match(p.output(), /tsrs stopped graceful=true/);
});
