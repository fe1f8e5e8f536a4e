import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../log.js';
import { ProcessSupervisor, findExecutable } from './process-supervisor.js';

function capture() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: createLogger({ format: 'text', destination: out, level: 'info' }) };
}

const NODE = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('arguments are passed as they are, never through a shell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-sup-'));
  const { lines, log } = capture();
  const sup = new ProcessSupervisor(log);
  try {
    const p = sup.start({
      name: 'argv',
      command: NODE,
      args: ['-e', 'console.error(JSON.stringify(process.argv.slice(1)))', '$(touch pwned)', 'a;touch pwned2', '`touch pwned3`'],
      cwd: dir,
      restart: false,
      contextId: 'ctx12345',
    });
    await until('exit', () => p.state === 'stopped');
    await until('argv line', () => lines.find((l) => l.includes('[argv]')));
    const line = lines.find((l) => l.includes('[argv]'))!;
    assert.ok(line.includes('[ctx12345]'), line);
    assert.ok(line.includes('$(touch pwned)') && line.includes('a;touch pwned2') && line.includes('`touch pwned3`'), line);
    for (const f of ['pwned', 'pwned2', 'pwned3']) assert.equal(existsSync(join(dir, f)), false, f);
    assert.equal(p.lastExit?.code, 0);
  } finally {
    await sup.close();
  }
});

test('a child that dies is restarted with a doubling backoff, capped', async () => {
  const { lines, log } = capture();
  const sup = new ProcessSupervisor(log, { backoffMinMs: 50, backoffMaxMs: 200, stableMs: 60_000 });
  try {
    const p = sup.start({ name: 'crasher', command: NODE, args: ['-e', 'process.exit(3)'] });
    await until('4 restarts', () => p.restarts >= 4, 15_000);
    assert.equal(p.lastExit?.code, 3);
    const delays = lines.map((l) => /restart in (\d+) ms/.exec(l)?.[1]).filter(Boolean).map(Number);
    assert.deepEqual(delays.slice(0, 4), [50, 100, 200, 200]);
    assert.equal(sup.list().length, 1);
    assert.equal(sup.list()[0].restarts, p.restarts);
  } finally {
    await sup.close();
  }
  assert.equal(sup.list().length, 0);
});

test('stop: SIGTERM to the whole group, SIGKILL after the grace period, no restart', async () => {
  // ignores SIGTERM and has a child of its own (the group must go too)
  const script = "process.on('SIGTERM',()=>{}); const c=require('child_process').spawn('sleep',['1000']); console.error('grandchild '+c.pid); setInterval(()=>{},1000)";
  const { lines, log } = capture();
  const sup = new ProcessSupervisor(log, { stopGraceMs: 300 });
  try {
    const p = sup.start({ name: 'stubborn', command: NODE, args: ['-e', script] });
    const line = await until('grandchild pid', () => lines.find((x) => /grandchild \d+/.test(x)));
    const grandchild = Number(/grandchild (\d+)/.exec(line)![1]);
    const pid = p.pid!;
    assert.ok(alive(pid) && alive(grandchild));
    const t0 = Date.now();
    await p.stop();
    assert.ok(Date.now() - t0 >= 250, 'waited for the grace period before SIGKILL');
    assert.equal(p.state, 'stopped');
    assert.equal(p.lastExit?.signal, 'SIGKILL');
    await until('group gone', () => !alive(pid) && !alive(grandchild), 3000);
    await sleep(200);
    assert.equal(sup.list().length, 0, 'not restarted');
  } finally {
    await sup.close();
  }
});

test('children do not outlive tsrs killed with SIGKILL', { skip: !findExecutable('setpriv') && 'setpriv (util-linux) not installed' }, async () => {
  const mod = new URL('./process-supervisor.js', import.meta.url).href;
  const logMod = new URL('../log.js', import.meta.url).href;
  const parent = spawn(NODE, ['--input-type=module', '-e', `
    import { ProcessSupervisor } from '${mod}';
    import { createLogger } from '${logMod}';
    const sup = new ProcessSupervisor(createLogger({ destination: process.stderr }));
    const p = sup.start({ name: 'orphan', command: 'sleep', args: ['1000'] });
    setTimeout(() => console.log(p.pid), 300);
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (d) => (out += d));
  const childPid = Number(await until('child pid', () => (/^\d+/.test(out) ? out.trim() : undefined)));
  assert.ok(alive(childPid));
  parent.kill('SIGKILL');
  await until('child killed with its parent', () => !alive(childPid), 5000);
});

test('stderr is bounded: long lines are cut, lines over the per-second budget are counted', async () => {
  const { lines, log } = capture();
  const sup = new ProcessSupervisor(log, { maxLineBytes: 100, maxLinesPerSecond: 10 });
  try {
    const script = "process.stderr.write('x'.repeat(100000)+'\\n'); for (let i=0;i<500;i++) process.stderr.write('line '+i+'\\n')";
    const p = sup.start({ name: 'noisy', command: NODE, args: ['-e', script], restart: false });
    await until('exit', () => p.state === 'stopped');
    await until('dropped report', () => lines.find((l) => /stderr lines not logged/.test(l)));
    const logged = lines.filter((l) => l.includes('[noisy]'));
    assert.ok(logged.length <= 20, `${logged.length} lines logged`);
    assert.ok(logged.every((l) => l.length < 400), 'long lines cut');
    const dropped = lines.map((l) => /(\d+) stderr lines not logged/.exec(l)?.[1]).filter(Boolean).map(Number);
    assert.ok(dropped.reduce((a, b) => a + b, 0) >= 400, `dropped ${dropped}`);
  } finally {
    await sup.close();
  }
});

test('a missing program is refused by name; the number of children is capped', async () => {
  const { log } = capture();
  const sup = new ProcessSupervisor(log, { maxProcesses: 1 });
  try {
    assert.throws(() => sup.start({ name: 'x', command: 'tsrs-no-such-program', args: [] }), /tsrs-no-such-program: not found/);
    sup.start({ name: 'one', command: 'sleep', args: ['1000'] });
    assert.throws(() => sup.start({ name: 'two', command: 'sleep', args: ['1000'] }), /max_child_processes 1/);
  } finally {
    await sup.close();
  }
});
