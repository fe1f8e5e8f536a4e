/**
 * vhost forward: a stream published on server A is pushed by A's forwarders to other tsrs
 * servers; bad destinations (a closed port, a socket that never reads, a server that stops
 * reading) cost the publisher, A's players and the good destination nothing; a restarted
 * destination gets the stream again; SRS 5's backend picks destinations per stream; reload
 * removal stops a forwarder; a forward to the same stream on the same server is refused.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@tsrs/api-types';
import { clients, startHookServer, streams } from './api-helpers.js';
import { watchHealthyPlayer } from './healthy-player.js';
import { CLI, basicConf, exitOf, ffmpegPublish, ffprobe, freePort, kill, rssKiB, sleep, startServer, tempDir, waitFor, type Ports, type RunningServer } from './harness.js';
import { srsConfDir } from './paths.js';

const PROXY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'stall-proxy.py');

const forwarders = async (s: RunningServer): Promise<Client[]> => (await clients(s)).filter((c) => c.type === 'rtmp-forwarder');
const forwarderTo = async (s: RunningServer, port: number): Promise<Client | undefined> =>
  (await forwarders(s)).find((c) => c.forward?.destination.startsWith(`rtmp://127.0.0.1:${port}/`));
const published = async (s: RunningServer, name: string): Promise<boolean> => (await streams(s)).some((x) => x.name === name && x.publish.active);

/** both tracks as FFmpeg published them, read by ffprobe from `url` */
async function probeBoth(url: string): Promise<void> {
  const probe = await waitFor(`${url} plays`, () => ffprobe(url).catch(() => undefined), 30_000, 500);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  assert.equal(video?.codec_name, 'h264', `video of ${url}`);
  assert.equal(`${video?.width}x${video?.height}`, '640x360');
  assert.equal(audio?.codec_name, 'aac', `audio of ${url}`);
}

test('forward: both tracks reach B; a closed port, a socket that never reads and a stalled server cost A and B nothing', { timeout: 120_000 }, async (t) => {
  const b = await startServer((p) => basicConf(p));
  t.after(() => b.stop());
  const closed = await freePort();
  // accepts the connection, never reads a byte
  const held: Socket[] = [];
  const sink = createServer((s) => {
    s.pause();
    held.push(s);
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of held) s.destroy();
    sink.close();
  });
  const sinkPort = (sink.address() as { port: number }).port;
  // passes a forward through to B until told to stop reading it
  const proxyPort = await freePort();
  const proxy = spawn('python3', [PROXY, String(proxyPort), String(b.ports.rtmp), 'upstream'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => proxy.kill());
  await new Promise((r) => proxy.stdout!.once('data', r));

  const dests = [`127.0.0.1:${b.ports.rtmp}`, `127.0.0.1:${closed}`, `127.0.0.1:${sinkPort}`, `rtmp://127.0.0.1:${proxyPort}/[app]/[stream]_slow`];
  const a = await startServer((p) => basicConf(p, `forward { enabled on; queue_length 2; destination ${dests.join(' ')}; }`));
  t.after(() => a.stop());
  const pub = ffmpegPublish(a.rtmpUrl('/live/cam'), { size: '640x360', cbr: '8M', gop: 25 });
  t.after(() => kill(pub));

  await probeBoth(b.httpUrl('/live/cam.flv'));
  await waitFor('cam_slow on B', () => published(b, 'cam_slow'), 20_000);
  const onA = await watchHealthyPlayer(a.httpUrl('/live/cam.flv'));
  t.after(() => onA.close());
  const onB = await watchHealthyPlayer(b.httpUrl('/live/cam.flv'));
  t.after(() => onB.close());

  // the slow destination stops reading: A's forwarder queue fills and drops to keyframes
  proxy.stdin!.write('stall\n');
  const rss0 = rssKiB(a.proc.pid!);
  const slow = await waitFor('the stalled forwarder drops', async () => {
    const f = await forwarderTo(a, proxyPort);
    return f?.forward && f.forward.dropped > 0 && f;
  }, 30_000, 500);
  await sleep(3000);
  onA.assertAdvancing();
  onB.assertAdvancing();
  const growth = rssKiB(a.proc.pid!) - rss0;
  assert.ok(growth < 64 * 1024, `A's RSS grew ${growth} KiB with a stalled destination`);
  assert.equal(slow.forward!.state, 'forwarding', 'stalled, not yet given up');
  assert.equal(slow.forward!.reconnects, 0, 'the drops are the queue bound at work, not a reconnect');

  // the good destination is forwarding; the closed port and the silent socket are retried
  const good = await forwarderTo(a, b.ports.rtmp);
  assert.equal(good?.forward?.state, 'forwarding');
  assert.equal(good?.forward?.reconnects, 0);
  assert.ok((good?.forward?.send_bytes ?? 0) > 100_000, `bytes to B: ${good?.forward?.send_bytes}`);
  assert.equal(good?.url, '/live/cam');
  const refused = await waitFor('the closed port retried', async () => {
    const f = await forwarderTo(a, closed);
    return f?.forward && f.forward.reconnects >= 2 && f;
  }, 20_000, 500);
  assert.notEqual(refused.forward!.state, 'forwarding');
  assert.match(refused.forward!.error, /ECONNREFUSED/);
  const silent = await waitFor('the silent socket timed out and retried', async () => {
    const f = await forwarderTo(a, sinkPort);
    return f?.forward && f.forward.reconnects >= 1 && f;
  }, 30_000, 500);
  assert.match(silent.forward!.error, /timed out/);
  assert.equal((await forwarders(a)).length, 4);
  onA.assertAdvancing();
  onB.assertAdvancing();

  // unpublish: every forwarder goes, B's stream ends
  kill(pub);
  await waitFor('forwarders gone', async () => (await forwarders(a)).length === 0, 15_000);
  await waitFor('B unpublished', async () => !(await published(b, 'cam')), 15_000);
});

/** Start tsrs on given ports (a restart keeps its ports and dir). */
async function startOn(ports: Ports, dir: string, vhostExtra = ''): Promise<RunningServer> {
  const s = await startServer(() => basicConf(ports, vhostExtra), { dir });
  return { ...s, ports, rtmpUrl: (p) => `rtmp://127.0.0.1:${ports.rtmp}${p}`, httpUrl: (p) => `http://127.0.0.1:${ports.http}${p}`, apiUrl: (p) => `http://127.0.0.1:${ports.api}${p}` };
}

test('forward: B restarted -> forwarding resumes within 5 s; reload removal stops it; a forward to itself is refused', { timeout: 120_000 }, async (t) => {
  const bPorts = { rtmp: await freePort(), http: await freePort(), api: await freePort() };
  const bDir = tempDir('tsrs-fwd-b-');
  let b = await startOn(bPorts, bDir);
  t.after(() => b.stop());
  const aPorts = { rtmp: await freePort(), http: await freePort(), api: await freePort() };
  const aDir = tempDir('tsrs-fwd-a-');
  const fwd = (on: boolean) => `forward { enabled ${on ? 'on' : 'off'}; destination 127.0.0.1:${bPorts.rtmp} 127.0.0.1:${aPorts.rtmp}; }`;
  const a = await startOn(aPorts, aDir, fwd(true));
  t.after(() => a.stop());
  const pub = ffmpegPublish(a.rtmpUrl('/live/re'), { size: '640x360' });
  t.after(() => kill(pub));
  await probeBoth(b.httpUrl('/live/re.flv'));
  // A's own port and stream: a loop, skipped
  assert.equal((await forwarders(a)).length, 1);
  assert.match(a.output(), /forward loop/);

  await b.stop();
  await waitFor('A sees B gone', async () => (await forwarderTo(a, bPorts.rtmp))?.forward?.state !== 'forwarding', 10_000);
  // B is away for a while: A keeps retrying at its longest backoff
  await sleep(6000);
  b = await startOn(bPorts, bDir);
  const back = Date.now();
  await waitFor('B has the stream again', () => published(b, 're'), 5000, 100);
  assert.ok(Date.now() - back <= 5000);
  const f = await forwarderTo(a, bPorts.rtmp);
  assert.equal(f?.forward?.state, 'forwarding');
  assert.ok((f?.forward?.reconnects ?? 0) >= 2, `reconnects ${f?.forward?.reconnects}`);
  const player = await watchHealthyPlayer(b.httpUrl('/live/re.flv'));
  t.after(() => player.close());
  await sleep(3000);
  player.assertAdvancing();

  // reload with forward off: the forwarder stops, B's stream ends, A's publisher goes on
  writeFileSync(join(aDir, 'test.conf'), basicConf(aPorts, fwd(false)));
  a.proc.kill('SIGHUP');
  await waitFor('forwarder gone', async () => (await forwarders(a)).length === 0, 10_000);
  await waitFor('B unpublished', async () => !(await published(b, 're')), 10_000);
  assert.ok(await published(a, 're'), 'A still has its publisher');
});

test('forward backend: the backend picks the destination per stream; only that stream goes there', { timeout: 120_000 }, async (t) => {
  const b = await startServer((p) => basicConf(p));
  t.after(() => b.stop());
  const hook = await startHookServer((call) =>
    JSON.stringify({ code: 0, data: { urls: call.body.stream === 'one' ? [`rtmp://127.0.0.1:${b.ports.rtmp}/routed/one_b`] : [] } }),
  );
  t.after(() => hook.close());
  // the backend wins over destination (SRS)
  const a = await startServer((p) => basicConf(p, `forward { enabled on; destination 127.0.0.1:${b.ports.rtmp}; backend ${hook.url}/api/v1/forward; }`));
  t.after(() => a.stop());
  const one = ffmpegPublish(a.rtmpUrl('/live/one?token=x'), { size: '640x360' });
  t.after(() => kill(one));
  const two = ffmpegPublish(a.rtmpUrl('/live/two'), { size: '640x360' });
  t.after(() => kill(two));
  await probeBoth(b.httpUrl('/routed/one_b.flv'));
  await waitFor('both asked', () => hook.calls.length >= 2, 10_000);
  const call = hook.calls.find((c) => c.body.stream === 'one')!;
  assert.equal(call.path, '/api/v1/forward');
  assert.equal(call.body.action, 'on_forward');
  assert.equal(call.body.vhost, '__defaultVhost__');
  assert.equal(call.body.app, 'live');
  assert.equal(call.body.param, '?token=x');
  assert.match(String(call.body.tcUrl), /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
  assert.match(String(call.body.server_id), /^vid-/);
  assert.equal(typeof call.body.client_id, 'string');
  await sleep(2000);
  const names = (await streams(b)).filter((s) => s.publish.active).map((s) => `${s.app}/${s.name}`);
  assert.deepEqual(names, ['routed/one_b'], 'only the stream the backend named reached B');
  assert.equal((await forwarders(a)).length, 1);
});

test("SRS's forward.master.conf forwards to forward.slave.conf (ports moved)", { timeout: 90_000 }, async (t) => {
  const dir = srsConfDir();
  const masterFile = join(dir, 'forward.master.conf');
  let master: string;
  try {
    master = readFileSync(masterFile, 'utf8');
  } catch {
    t.skip(`SKIPPED: ${masterFile} not found`);
    return;
  }
  const slavePort = await freePort();
  const masterPort = await freePort();
  const run = (file: string, listen: number, cwd: string) => {
    const proc = spawn(process.execPath, [CLI, '-c', file], {
      cwd,
      env: { ...process.env, SRS_LISTEN: String(listen), SRS_SRS_LOG_TANK: 'console', SRS_DAEMON: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    t.after(() => proc.kill('SIGKILL'));
    return { proc, out: () => out };
  };
  const slave = run(join(dir, 'forward.slave.conf'), slavePort, tempDir('tsrs-slave-'));
  // the master's destination (127.0.0.1:19350) moved to the slave's free port
  const masterDir = tempDir('tsrs-master-');
  const adapted = join(masterDir, 'forward.master.conf');
  assert.match(master, /destination\s+127\.0\.0\.1:19350;/);
  writeFileSync(adapted, master.replace('127.0.0.1:19350', `127.0.0.1:${slavePort}`));
  const m = run(adapted, masterPort, masterDir);
  await waitFor('both started', () => / tsrs \S+ started/.test(slave.out()) && / tsrs \S+ started/.test(m.out()), 30_000);
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${masterPort}/live/livestream`, { size: '640x360' });
  t.after(() => kill(pub));
  const probe = await waitFor('the slave plays it', () => ffprobe(`rtmp://127.0.0.1:${slavePort}/live/livestream`).catch(() => undefined), 40_000, 1000);
  assert.deepEqual(probe.streams.map((s) => s.codec_type).filter((k) => k !== 'data').sort(), ['audio', 'video']);
});

test('forward backend fails: the publish is refused, as SRS 5 (status, code, junk, no answer); [] publishes without forwarding; a reload to a dead backend keeps the forwarders', { timeout: 120_000 }, async (t) => {
  const b = await startServer((p) => basicConf(p));
  t.after(() => b.stop());
  const hook = await startHookServer((call) => {
    switch (call.body.stream) {
      case 'status': return { status: 500, body: '{"code":0,"data":{"urls":[]}}' };
      case 'code': return '{"code":1,"data":{"urls":[]}}';
      case 'junk': return 'not json';
      case 'nourls': return '{"code":0,"data":{}}';
      case 'none': return '{"code":0,"data":{"urls":[]}}';
      default: return JSON.stringify({ code: 0, data: { urls: [`rtmp://127.0.0.1:${b.ports.rtmp}/live/[stream]_b`.replace('[stream]', String(call.body.stream))] } });
    }
  });
  t.after(() => hook.close());
  const dead = await freePort();
  const fwd = (backend: string) => `forward { enabled on; backend ${backend}; }`;
  const a = await startServer((p) => basicConf(p, fwd(`${hook.url}/forward`)));
  t.after(() => a.stop());

  const ok = ffmpegPublish(a.rtmpUrl('/live/ok'), { size: '640x360' });
  t.after(() => kill(ok));
  await probeBoth(b.httpUrl('/live/ok_b.flv'));
  const none = ffmpegPublish(a.rtmpUrl('/live/none'));
  t.after(() => kill(none));
  await waitFor('none published', () => published(a, 'none'), 20_000);

  for (const name of ['status', 'code', 'junk', 'nourls']) {
    const pub = ffmpegPublish(a.rtmpUrl(`/live/${name}`), { duration: 60 });
    t.after(() => kill(pub));
    const code = await exitOf(pub, 30_000);
    assert.notEqual(code, 0, `${name}: FFmpeg's publish was refused`);
    assert.equal(await published(a, name), false, `${name} is not published`);
    assert.ok(hook.calls.some((c) => c.body.stream === name), `${name}: the backend was asked`);
  }
  assert.match(a.output(), /backend \S+ failed \(status 500\): publish refused/);
  assert.match(a.output(), /backend \S+ failed \(code 1\): publish refused/);
  assert.equal((await forwarders(a)).length, 1, 'only ok is forwarded');

  // the backend goes away: a reload asks it again and fails; the running forwarder stays ...
  writeFileSync(join(a.dir, 'test.conf'), basicConf(a.ports, fwd(`http://127.0.0.1:${dead}/forward`)));
  a.proc.kill('SIGHUP');
  await waitFor('the reload asked the dead backend', () => /failed \([^)]*\): the forwarders stay as they are/.test(a.output()), 15_000);
  assert.equal((await forwarderTo(a, b.ports.rtmp))?.forward?.state, 'forwarding');
  assert.ok(await published(b, 'ok_b'));
  // ... and a new publish is refused (no answer)
  const late = ffmpegPublish(a.rtmpUrl('/live/late'), { duration: 60 });
  t.after(() => kill(late));
  assert.notEqual(await exitOf(late, 30_000), 0);
  assert.equal(await published(a, 'late'), false);
  assert.ok(await published(a, 'ok') && await published(a, 'none'), 'the publishers stay');
});

test('forwarders count against max_connections: one over the cap is refused, logged and retried until there is room', { timeout: 120_000 }, async (t) => {
  const b = await startServer((p) => basicConf(p));
  t.after(() => b.stop());
  const dests = `rtmp://127.0.0.1:${b.ports.rtmp}/live/[stream]_1 rtmp://127.0.0.1:${b.ports.rtmp}/live/[stream]_2`;
  const conf = (p: Ports, max: number) => basicConf(p, `forward { enabled on; destination ${dests}; }`, `max_connections ${max};`);
  // the publisher and one forwarder fill it
  const a = await startServer((p) => conf(p, 2));
  t.after(() => a.stop());
  const pub = ffmpegPublish(a.rtmpUrl('/live/cam'));
  t.after(() => kill(pub));
  const onB = async () => (await streams(b)).filter((s) => s.publish.active).map((s) => s.name).sort();
  const first = await waitFor('one forward reaches B', async () => {
    const names = await onB();
    return names.length === 1 && names[0];
  }, 20_000);
  assert.match(first, /^cam_[12]$/);
  await waitFor('the other refused, logged', () => /max_connections reached/.test(a.output()) && /forward \S+ -> \S+: max_connections reached \(2\): not connected; retrying/.test(a.output()), 10_000);
  await sleep(4000);
  assert.deepEqual(await onB(), [first], 'still only one: the other keeps being refused');
  assert.equal(pub.exitCode, null, 'the publisher goes on');

  // room again (a reload raises the cap): the refused forwarder gets in on its next retry
  writeFileSync(join(a.dir, 'test.conf'), conf(a.ports, 10));
  a.proc.kill('SIGHUP');
  await waitFor('both forwards reach B', async () => (await onB()).join() === 'cam_1,cam_2', 15_000);
  const refused = (await forwarders(a)).find((f) => f.forward?.destination.endsWith(first === 'cam_1' ? '_2' : '_1'));
  assert.equal(refused?.forward?.state, 'forwarding');
  assert.ok((refused?.forward?.reconnects ?? 0) >= 2, `retried: ${refused?.forward?.reconnects}`);
  assert.match(refused?.forward?.error ?? '', /max_connections/);
});
