import { resolve } from 'node:path';
import { checkConfigFile } from './config/index.js';
import { releaseEarlySignals } from './early-signals.js';
import { installCrashPolicy } from './crash-policy.js';
import { TsrsServer } from './main.js';
import { SRS_COMPAT_VERSION, VERSION } from './version.js';
import { MAX_WORKERS } from './workers/edge-safe.js';
import { runPrimary } from './workers/primary.js';
import { reportReady, watchPrimary, workerIndex } from './workers/worker.js';

const USAGE = `Usage: tsrs [-h] [-v|-V] [-t] -c <config file> | -e
  -c FILE   run with the config file (srs.conf syntax), in the foreground
  --workers N  with -c: N processes share the listening ports (edge configs only; the
            API port answers for all of them)
  -e        run from SRS_* environment variables alone, without a file (as srs -e)
  -t        test the config file and exit (0 = ok, 1 = errors)
  -v, -V    print the versions (tsrs's, and SRS's whose interfaces it matches)
  -h        this help
Signals: SIGTERM/SIGINT graceful stop, SIGQUIT fast stop, SIGHUP reload the config.`;

interface Args {
  config?: string;
  envOnly: boolean;
  test: boolean;
  version: boolean;
  help: boolean;
  /** --workers N: run N worker processes (edges only) */
  workers?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { envOnly: false, test: false, version: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--config') args.config = argv[++i];
    else if (a === '-t' || a === '--test') args.test = true;
    else if (a === '-v' || a === '-V' || a === '--version') args.version = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '-e') args.envOnly = true;
    else if (a === '--workers' || a.startsWith('--workers=')) {
      const v = a === '--workers' ? argv[++i] : a.slice('--workers='.length);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new Error(`--workers takes a number of processes from 1 to ${MAX_WORKERS}, not '${v ?? ''}'`);
      args.workers = n;
    }
    else throw new Error(`unknown argument '${a}'`);
  }
  if (!args.envOnly) args.config ??= process.env.SRS_CONFIG_FILE;
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`tsrs: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(`tsrs ${VERSION} (SRS ${SRS_COMPAT_VERSION} compatible)`);
    return 0;
  }
  const worker = workerIndex();
  if (worker !== undefined) return serve(args.config && resolve(args.config), worker);
  if (args.workers !== undefined && (args.envOnly || args.test || !args.config)) {
    console.error(`tsrs: --workers needs a config file (-c) and runs it; it does not go with -e or -t\n${USAGE}`);
    return 2;
  }
  if (args.envOnly && !args.test) {
    if (args.config) console.error(`tsrs: -e given, the config file ${args.config} is not read`);
    return serve(undefined);
  }
  if (!args.config) {
    console.error(`tsrs: no config file (-c)\n${USAGE}`);
    return 2;
  }
  const file = resolve(args.config);
  if (args.test) {
    const r = checkConfigFile(file);
    for (const w of r.warnings) console.error(`warn: ${w}`);
    for (const e of r.errors) console.error(`error: ${e}`);
    if (r.ok) console.log(`the config file ${args.config} syntax is ok`);
    else console.error(`the config file ${args.config} test failed`);
    return r.ok ? 0 : 1;
  }
  if (args.workers !== undefined) return runPrimary({ configPath: file, workers: args.workers });
  return serve(file);
}

/**
 * Starts the server in the foreground; resolves -1 while it runs, 1 when it cannot start.
 * Signal handlers are installed before the server starts: "tsrs started" is logged inside
 * start(), and a SIGTERM that follows it at once must still stop the server gracefully
 * (exit 0), not kill the process by the default action.
 */
async function serve(file: string | undefined, worker?: number): Promise<number> {
  let server: TsrsServer | undefined;
  let pendingStop: boolean | undefined;
  const stop = (graceful: boolean) => {
    if (!server) {
      pendingStop = pendingStop === false ? false : graceful;
      return;
    }
    void server.stop(graceful).then(() => process.exit(0));
    // A graceful stop that hangs still ends.
    setTimeout(() => process.exit(0), graceful ? 5000 : 500).unref();
  };
  process.on('SIGTERM', () => stop(true));
  process.on('SIGINT', () => stop(true));
  process.on('SIGQUIT', () => stop(false));
  process.on('SIGHUP', () => server?.reload());
  releaseEarlySignals();
  try {
    server = await TsrsServer.start({ configPath: file, worker });
  } catch (err) {
    console.error(`tsrs: ${(err as Error).message}`);
    return 1;
  }
  installCrashPolicy(server.log, server.connections);
  if (worker !== undefined) {
    // A worker whose primary is gone (even by SIGKILL) stops at once.
    watchPrimary(() => {
      server?.log.warn('the primary is gone, this worker stops');
      stop(false);
    });
    reportReady(server.api?.addresses()[0]?.port);
  }
  if (pendingStop !== undefined) stop(pendingStop);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
