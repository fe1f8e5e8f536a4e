/**
 * Long fuzz runs: `npm run fuzz -- --minutes N [--target name[,name]] [--seed S]`.
 *
 * Each target runs for N minutes (a random seed unless --seed) in a worker thread with a
 * memory limit, after replaying its corpus. The worker copies each input into shared
 * memory before running it, so an input that hangs the parser (no progress for 20 s) or
 * makes it run out of memory is saved too: a failing input lands in
 * `packages/server/fuzz-corpus/<target>/{crash,slow,memory,hang,oom}-<sha1>` and is printed.
 * Exit code 1 when anything was found. Every saved input should also become a plain test.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { FuzzTarget } from './fuzz-helper.js';
import { fuzzTarget, saveToCorpus, showInput } from './fuzz-helper.js';

const MAX_INPUT = 1 << 20;
const HANG_MS = 20_000;
const SETUP_MS = 120_000;

async function allTargets(): Promise<FuzzTarget<never>[]> {
  const [{ RTMP_TARGETS }, { MEDIA_TARGETS }, { TEXT_TARGETS }, { SERVER_TARGETS }, { KERNEL_TARGETS }, { RTC_TARGETS }] = await Promise.all([
    import('./targets-rtmp.js'),
    import('./targets-media.js'),
    import('./targets-text.js'),
    import('./targets-server.js'),
    import('./targets-kernel.js'),
    import('./targets-rtc.js'),
  ]);
  return [...RTMP_TARGETS, ...MEDIA_TARGETS, ...TEXT_TARGETS, ...SERVER_TARGETS, ...KERNEL_TARGETS, ...RTC_TARGETS] as FuzzTarget<never>[];
}

interface Job {
  target: string;
  minutes: number;
  seed: number;
  /** [0]: heartbeat, [1]: length of the current input; then the input bytes */
  shared: SharedArrayBuffer;
}

/** Worker side: fuzz one target, publishing every input before running it. */
async function work(job: Job): Promise<void> {
  const t = (await allTargets()).find((x) => x.name === job.target)!;
  const head = new Int32Array(job.shared, 0, 2);
  const bytes = new Uint8Array(job.shared, 8);
  const publish = (input: Buffer) => {
    const n = Math.min(input.length, MAX_INPUT);
    bytes.set(input.subarray(0, n));
    Atomics.store(head, 1, n);
    Atomics.add(head, 0, 1);
  };
  // wrap run so every input, from the corpus or generated, is published first
  const watched: FuzzTarget<never> = {
    ...t,
    run(input, ctx) {
      publish(input);
      return t.run(input, ctx);
    },
    afterGarbage: t.afterGarbage
      ? (valid, garbage, ctx) => {
          publish(Buffer.concat([valid, garbage]));
          return t.afterGarbage!(valid, garbage, ctx);
        }
      : undefined,
  };
  const r = await fuzzTarget(watched, { seed: job.seed, numRuns: Number.MAX_SAFE_INTEGER, timeLimitMs: job.minutes * 60_000, save: true, log: (l) => console.log(l) });
  parentPort!.postMessage(r);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const minutes = Number(arg('minutes') ?? '1');
  if (!(minutes > 0)) throw new Error('--minutes N: N > 0');
  const targets = await allTargets();
  const wanted = arg('target')?.split(',');
  // todo targets (known failures) run only when named
  const selected = wanted ? targets.filter((t) => wanted.includes(t.name)) : targets.filter((t) => !t.todo);
  if (wanted && selected.length !== wanted.length) {
    throw new Error(`unknown target in ${wanted.join(',')}; targets: ${targets.map((t) => t.name).join(', ')}`);
  }
  let found = 0;
  for (const t of selected) {
    const seed = arg('seed') !== undefined ? Number(arg('seed')) : Math.floor(Math.random() * 2 ** 31);
    console.log(`== ${t.name}: ${minutes} min, seed ${seed}${t.todo ? ` (todo: ${t.todo})` : ''}`);
    const shared = new SharedArrayBuffer(8 + MAX_INPUT);
    const head = new Int32Array(shared, 0, 2);
    const current = () => Buffer.from(new Uint8Array(shared, 8, Atomics.load(head, 1)));
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: { target: t.name, minutes, seed, shared } satisfies Job,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    const outcome = await new Promise<string | undefined>((resolve) => {
      let last = -1;
      let still = 0;
      const watchdog = setInterval(() => {
        const beat = Atomics.load(head, 0);
        if (beat !== last) {
          last = beat;
          still = 0;
          return;
        }
        still += 1000;
        // before the first input the target may be starting a server: a longer wait
        if (still >= (beat === 0 ? SETUP_MS : HANG_MS)) {
          clearInterval(watchdog);
          const input = current();
          void worker.terminate();
          resolve(`no progress for ${HANG_MS / 1000} s on input ${showInput(input)}\n  saved as ${saveToCorpus(t.name, 'hang', input)}`);
        }
      }, 1000);
      worker.on('message', (r: { ok: boolean; message?: string; runs: number; stats: { slowestMs: number } }) => {
        clearInterval(watchdog);
        console.log(`${t.name}: ${r.runs} inputs, slowest ${r.stats.slowestMs.toFixed(1)} ms`);
        resolve(r.ok ? undefined : r.message);
      });
      worker.on('error', (err) => {
        clearInterval(watchdog);
        const input = current();
        const kind = /out of memory/i.test(String(err)) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash';
        resolve(`${String(err)} on input ${showInput(input)}\n  saved as ${saveToCorpus(t.name, kind, input)}`);
      });
      worker.on('exit', () => resolve(undefined));
    });
    if (outcome) {
      found++;
      console.log(`FOUND ${t.name}: ${outcome}`);
    }
  }
  console.log(found ? `${found} target(s) found a failing input (saved in fuzz-corpus/)` : 'no failing input found');
  process.exitCode = found ? 1 : 0;
}

if (isMainThread) await main();
else await work(workerData as Job);
