/**
 * Child processes under pressure: reload storms, hostile names and kill -9 of tsrs. Each test
 * drives the real server with real FFmpeg and checks /proc and /api/v1/processes.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { api } from './api-helpers.js';
import { alive, processes } from './processes.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, tempDir, waitFor, type Ports } from './harness.js';

/** basicConf with the raw API's reload on. */
const rawConf = (p: Ports, extra: string) =>
  basicConf(p, extra).replace(`http_api { enabled on; listen ${p.api}; }`, `http_api { enabled on; listen ${p.api}; raw_api { enabled on; allow_reload on; } }`);

const ingest = (file: string) => `ingest cam {
    enabled on;
    input { type file; url ./${file}; }
    ffmpeg /usr/bin/ffmpeg;
    engine { enabled off; output rtmp://127.0.0.1:[port]/live/cam; }
  }`;

test('a storm of reloads that change an ingest leaves one FFmpeg for it, and removing it leaves none', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('tsrs-ingest-storm-');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '30',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-f', 'flv', join(dir, 'a.flv')]);
  copyFileSync(join(dir, 'a.flv'), join(dir, 'b.flv'));
  const server = await startServer((p) => rawConf(p, ingest('a.flv')), { dir });
  t.after(() => server.stop());
  const first = await waitFor('ingest running', async () => (await processes(server)).find((p) => p.name === 'ingest cam' && p.pid > 0), 20_000);
  const seen = new Set<number>([first.pid]);
  t.after(() => {
    for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const reload = () => api<{ code: number }>(server, '/api/v1/raw?rpc=reload');
  // each round changes the ingest and reloads several times at once: the first reload stops
  // the old FFmpeg (which takes a moment), the others come while it stops
  for (const file of ['b.flv', 'a.flv', 'b.flv']) {
    writeFileSync(join(server.dir, 'test.conf'), rawConf(server.ports, ingest(file)));
    const answers = await Promise.all([reload(), reload(), reload(), reload()]);
    for (const a of answers) assert.equal(a.json.code, 0);
    await sleep(1_500);
    for (const p of await processes(server)) if (p.pid > 0) seen.add(p.pid);
  }
  await sleep(2_000);
  const ingests = (await processes(server)).filter((p) => p.name === 'ingest cam');
  assert.equal(ingests.length, 1, `one ingest FFmpeg after the storm: ${JSON.stringify(ingests.map((p) => [p.pid, p.state, p.args.join(' ')]))}`);
  assert.ok(ingests[0].args.includes('./b.flv'), ingests[0].args.join(' '));
  for (const p of await processes(server)) if (p.pid > 0) seen.add(p.pid);
  // removed: nothing of it runs
  writeFileSync(join(server.dir, 'test.conf'), rawConf(server.ports, ''));
  assert.equal((await reload()).json.code, 0);
  await waitFor('no child after the removal', async () => (await processes(server)).length === 0 && [...seen].every((pid) => !alive(pid)), 15_000);
});

/** The pids of a process group, zombies left out (a zombie has ended). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('kill -9 of tsrs: what an exec command started in the background dies too, not only the command', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('tsrs-exec-kids-');
  // a command that leaves a child running in the background, as a wrapper script does
  const script = join(dir, 'kids.sh');
  writeFileSync(script, '#!/bin/sh\nsleep 3600 &\nsleep 3601\n');
  chmodSync(script, 0o755);
  const server = await startServer((p) => basicConf(p, `exec { enabled on; publish ${script} [stream]; }`), { dir });
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/kids'));
  t.after(() => kill(pub));
  const cmd = await waitFor('the exec command runs', async () => (await processes(server)).find((p) => p.name === 'exec /live/kids' && p.pid > 0), 30_000);
  const members = await waitFor('the command and both sleeps', () => {
    const m = groupMembers(cmd.pid);
    return m.length >= 3 && m;
  }, 15_000);
  t.after(() => {
    for (const pid of members) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  await server.stop('SIGKILL');
  await waitFor('nothing of the exec command left after kill -9', () => groupMembers(cmd.pid).length === 0, 10_000);
});

test("/api/v1/processes does not show a password of an ingest's input URL", { timeout: 60_000 }, async (t) => {
  const conf = `ingest cam {
    enabled on;
    input { type stream; url rtmp://admin:s3cret-pw@127.0.0.1:1/live/cam; }
    ffmpeg /usr/bin/ffmpeg;
    engine { enabled off; output rtmp://127.0.0.1:[port]/live/cam; }
  }`;
  const server = await startServer((p) => basicConf(p, conf));
  t.after(() => server.stop());
  const proc = await waitFor('the ingest is listed', async () => (await processes(server)).find((p) => p.name === 'ingest cam'), 20_000);
  const text = (await api(server, '/api/v1/processes')).text;
  assert.ok(!text.includes('s3cret-pw'), text);
  assert.ok(proc.args.includes('rtmp://admin:***@127.0.0.1:1/live/cam'), proc.args.join(' '));
});

test('a storm of reloads that change exec and transcode of a running stream leaves one child of each, and the unpublish stops them', { timeout: 180_000 }, async (t) => {
  const vhost = (n: number) => `exec { enabled on; publish /usr/bin/ffmpeg -v error -re -f lavfi -i testsrc=size=64x64:rate=${n} -f null -; }
  transcode live {
    enabled on;
    ffmpeg /usr/bin/ffmpeg;
    engine ld { enabled on; vcodec libx264; vwidth 160; vheight ${90 + (n % 2) * 2}; vpreset ultrafast; vthreads 1; acodec an;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]; }
  }`;
  const server = await startServer((p) => rawConf(p, vhost(5)));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '320x180', audio: false });
  t.after(() => kill(pub));
  const seen = new Set<number>();
  t.after(() => {
    for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const mine = async () => (await processes(server)).filter((p) => p.stream === '/live/cam');
  await waitFor('exec and transcode run', async () => (await mine()).filter((p) => p.pid > 0).length === 2, 30_000);
  const reload = () => api<{ code: number }>(server, '/api/v1/raw?rpc=reload');
  for (const n of [6, 7, 8, 9]) {
    writeFileSync(join(server.dir, 'test.conf'), rawConf(server.ports, vhost(n)));
    const answers = await Promise.all([reload(), reload(), reload(), reload()]);
    for (const a of answers) assert.equal(a.json.code, 0);
    await sleep(1_000);
    for (const p of await processes(server)) if (p.pid > 0) seen.add(p.pid);
  }
  const settled = await waitFor('one exec and one transcode, of the last config', async () => {
    const ps = await mine();
    return ps.length === 2 && ps.every((p) => p.state === 'running' && p.pid > 0) && ps;
  }, 20_000).catch(async () => assert.fail(`not settled: ${JSON.stringify((await mine()).map((p) => [p.name, p.state, p.pid]))}`));
  assert.ok(settled.find((p) => p.name.startsWith('exec'))?.args.includes('testsrc=size=64x64:rate=9'));
  assert.ok(settled.find((p) => p.name.startsWith('transcode'))?.args.includes('160x92'));
  for (const p of settled) seen.add(p.pid);
  kill(pub);
  await waitFor('nothing left after the unpublish', async () => (await processes(server)).length === 0 && [...seen].every((pid) => !alive(pid)), 20_000);
});
