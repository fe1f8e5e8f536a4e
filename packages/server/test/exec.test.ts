/**
 * SRS's exec: `exec { enabled on; publish CMD [vars]; }` runs a command per published stream with
 * SRS's variables substituted in each argument (no shell), lists it in /api/v1/processes and
 * stops it on unpublish; a reload applies a changed exec block to running streams; no child
 * outlives the server, SIGKILL included.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients } from './api-helpers.js';
import { alive, processes } from './processes.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, tempDir, waitFor, type Ports } from './harness.js';

/** A dir with bin/cmd: appends its argv (tab separated, one run a line) to argv.log, then sleeps. */
function execDir(): { dir: string; runs: () => string[][] } {
  const dir = tempDir('tsrs-exec-');
  mkdirSync(join(dir, 'bin'));
  const log = join(dir, 'argv.log');
  writeFileSync(join(dir, 'bin', 'cmd'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\t' "$a"; done >> '${log}'\nprintf '\\n' >> '${log}'\nexec sleep 300\n`);
  chmodSync(join(dir, 'bin', 'cmd'), 0o755);
  const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, -1)) : []);
  return { dir, runs };
}

const EXEC = 'exec { enabled on; publish ./bin/cmd [vhost] [app] [stream] [tcUrl] [port] literal-[nope] [url] [stream]-[2006][01][02]-[15][04][05].[999] [timestamp]; }';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

test('exec runs the publish command with SRS variables per argument and stops it on unpublish', async (t) => {
  const { dir, runs } = execDir();
  const server = await startServer((p) => basicConf(p, EXEC), { dir });
  t.after(() => server.stop());
  const before = Date.now();
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'));
  t.after(() => kill(pub));
  const run = await waitFor('exec run', () => runs()[0], 20_000);
  const port = String(server.ports.rtmp);
  assert.deepEqual(run.slice(0, 7), ['__defaultVhost__', 'live', 'cam', `rtmp://127.0.0.1:${port}/live`, port, 'literal-[nope]', `rtmp://127.0.0.1:${port}/live/cam`]);
  // SRS's date variables: the publish's start, local time (utc_time off)
  const ts = Number(run[8]);
  assert.ok(ts >= before && ts <= Date.now(), `[timestamp] ${run[8]}`);
  const d = new Date(ts);
  const date = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  assert.equal(run[7], `cam-${date}`);
  assert.equal(run.length, 9);
  const proc = await waitFor('listed', async () => (await processes(server)).find((p) => p.state === 'running' && p.pid > 0), 20_000);
  assert.equal(proc.stream, '/live/cam');
  assert.equal(proc.name, 'exec /live/cam');
  assert.deepEqual(proc.args.slice(0, 3), ['__defaultVhost__', 'live', 'cam']);
  assert.ok(alive(proc.pid), 'the command runs');
  kill(pub);
  await waitFor('command stopped on unpublish', () => !alive(proc.pid), 10_000);
  await waitFor('unlisted', async () => (await processes(server)).length === 0, 10_000);
  await sleep(1500);
  assert.equal(runs().length, 1, 'not started again after unpublish');
});

test('hostile stream names are one literal argument: nothing else runs', async (t) => {
  const { dir, runs } = execDir();
  const server = await startServer((p) => basicConf(p, 'exec { enabled on; publish ./bin/cmd [stream]; }'), { dir });
  t.after(() => server.stop());
  // no spaces (an RTMP URL ends there): ${IFS} is one for a shell
  const names = ['$(touch${IFS}pwned)', 'a;touch${IFS}pwned2', '`touch${IFS}pwned3`'];
  for (const name of names) {
    const pub = ffmpegPublish(server.rtmpUrl(`/live/${name}`), { duration: 60 });
    t.after(() => kill(pub));
  }
  await waitFor('three runs', () => runs().length >= 3, 30_000);
  assert.deepEqual(runs().map((r) => r.join(' ')).sort(), [...names].sort());
  for (const f of ['pwned', 'pwned2', 'pwned3']) {
    assert.ok(!existsSync(join(dir, f)) && !existsSync(join(dir, 'bin', f)), `${f} was not created`);
  }
  assert.equal((await processes(server)).length, 3);
});

test('no exec child outlives the server: graceful stop and SIGKILL', async (t) => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const { dir } = execDir();
    const server = await startServer((p) => basicConf(p, EXEC), { dir });
    t.after(() => server.stop());
    const pub = ffmpegPublish(server.rtmpUrl('/live/cam'));
    t.after(() => kill(pub));
    const proc = await waitFor('running', async () => (await processes(server)).find((p) => p.pid > 0), 20_000);
    assert.ok(alive(proc.pid));
    await server.stop(signal);
    await waitFor(`child gone after ${signal}`, () => !alive(proc.pid), 10_000);
    kill(pub);
  }
});

test('reload while publishing: a changed exec block stops the old commands and starts the new ones; unchanged stays; off stops them; the publisher stays', { timeout: 90_000 }, async (t) => {
  const { dir, runs } = execDir();
  const conf = (p: Ports, exec: string) => basicConf(p, exec);
  const server = await startServer((p) => conf(p, 'exec { enabled on; publish ./bin/cmd one [stream]; }'), { dir });
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { duration: 120 });
  t.after(() => kill(pub));
  const first = await waitFor('the first command', async () => (await processes(server)).find((p) => p.pid > 0 && p.state === 'running'), 20_000);
  assert.deepEqual(first.args, ['one', 'cam']);
  const publisher = (await clients(server)).find((c) => c.publish && c.url === '/live/cam');
  assert.ok(publisher);
  const reload = (exec: string) => {
    writeFileSync(join(dir, 'test.conf'), conf(server.ports, exec));
    server.proc.kill('SIGHUP');
  };

  // the same block again (spelled differently): nothing restarts
  reload('exec {  enabled on;  publish ./bin/cmd one [stream];  }');
  await waitFor('reloaded', () => (server.output().match(/config reloaded/g) ?? []).length >= 1, 10_000);
  await sleep(1500);
  assert.deepEqual((await processes(server)).map((p) => p.pid), [first.pid]);

  // a changed block: the old command stops, the new set starts with the publish's variables
  reload('exec { enabled on; publish ./bin/cmd two [stream] [app]; publish ./bin/cmd three; }');
  await waitFor('the old command stopped', () => !alive(first.pid), 15_000);
  const now = await waitFor('the new commands', async () => {
    const ps = (await processes(server)).filter((p) => p.pid > 0 && p.state === 'running');
    return ps.length === 2 && ps;
  }, 20_000);
  assert.deepEqual(now.map((p) => p.args.join(' ')).sort(), ['three', 'two cam live']);
  await waitFor('both ran', () => runs().length === 3, 10_000);
  assert.deepEqual(runs().map((r) => r.join(' ')).sort(), ['one cam', 'three', 'two cam live']);

  // exec off: every command stops, none starts
  reload('exec { enabled off; publish ./bin/cmd four; }');
  await waitFor('all stopped', async () => (await processes(server)).length === 0 && now.every((p) => !alive(p.pid)), 15_000);
  await sleep(1500);
  assert.equal(runs().length, 3);
  assert.equal(pub.exitCode, null, 'the publisher goes on');
  assert.equal((await clients(server)).find((c) => c.publish && c.url === '/live/cam')?.id, publisher.id, 'the same publisher');

  // on again: the running stream gets its command
  reload('exec { enabled on; publish ./bin/cmd five [stream]; }');
  const five = await waitFor('started by the reload', async () => (await processes(server)).find((p) => p.pid > 0 && p.state === 'running'), 15_000);
  assert.deepEqual(five.args, ['five', 'cam']);
});

test('max_child_processes: a start past it is refused and logged, the publish goes on; a reload raises it for the next start', { timeout: 90_000 }, async (t) => {
  const { dir, runs } = execDir();
  const conf = (max: number) => (p: Ports) => basicConf(p, 'exec { enabled on; publish ./bin/cmd [stream]; }', `max_child_processes ${max};`);
  const server = await startServer(conf(1), { dir });
  t.after(() => server.stop());
  const a = ffmpegPublish(server.rtmpUrl('/live/a'));
  t.after(() => kill(a));
  await waitFor('the first command', () => runs().length === 1, 20_000);
  const b = ffmpegPublish(server.rtmpUrl('/live/b'));
  t.after(() => kill(b));
  await waitFor('the refusal logged', () => /child processes already run \(max_child_processes 1\)/.test(server.output()), 20_000);
  await waitFor('b is published', async () => (await clients(server)).some((c) => c.publish && c.name === 'b'), 20_000);
  assert.deepEqual(runs().map((r) => r[0]), ['a'], 'only one command runs');
  assert.equal((await processes(server)).length, 1);
  // raised by a reload: the next publish gets its command
  writeFileSync(join(dir, 'test.conf'), conf(4)(server.ports));
  server.proc.kill('SIGHUP');
  await waitFor('reloaded', () => /config reloaded/.test(server.output()), 20_000);
  const c = ffmpegPublish(server.rtmpUrl('/live/c'));
  t.after(() => kill(c));
  await waitFor('the third command', () => runs().some((r) => r[0] === 'c'), 20_000);
});
