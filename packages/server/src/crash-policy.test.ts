import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Runs `body` in a child with the policy installed; resolves its exit code and output. */
async function withPolicy(body: string): Promise<{ code: number; out: string }> {
  const policy = new URL('./crash-policy.js', import.meta.url).href;
  const log = new URL('./log.js', import.meta.url).href;
  const script = `
    import { installCrashPolicy } from ${JSON.stringify(policy)};
    import { createLogger } from ${JSON.stringify(log)};
    const errno = (code) => Object.assign(new Error('boom ' + code), { code });
    const backoffs = [];
    installCrashPolicy(createLogger(), { resourceError: (err, where) => (backoffs.push(where), backoffs.length === 1) });
    ${body}`;
  const r = await execFileP(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }).catch((e) => e);
  return { code: typeof r.code === 'number' ? r.code : 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

test('a resource error nobody caught is survived and logged once per episode', { timeout: 30_000 }, async () => {
  const r = await withPolicy(`
    let n = 0;
    const t = setInterval(() => { if (++n <= 5) throw errno('EMFILE'); }, 10);
    Promise.reject(errno('ENOSPC'));
    setTimeout(() => { clearInterval(t); console.log('alive after', n, 'ticks;', backoffs.length, 'backoffs'); }, 200);`);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /alive after \d+ ticks; 6 backoffs/);
  assert.equal(r.out.match(/a resource error was not handled where it happened/g)?.length, 1, r.out);
});

test('any other uncaught error is a bug: logged, and the process exits 1', { timeout: 30_000 }, async () => {
  for (const body of [`setTimeout(() => { throw new TypeError('a real bug'); }, 10);`, `Promise.reject(new RangeError('a real bug'));`]) {
    const r = await withPolicy(`${body} setTimeout(() => console.log('still here'), 300);`);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /uncaught error: exiting/);
    assert.match(r.out, /a real bug/);
    assert.doesNotMatch(r.out, /still here/);
  }
});
