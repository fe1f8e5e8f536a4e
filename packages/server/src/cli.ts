#!/usr/bin/env node
import { resolve } from 'node:path';
import { checkConfigFile } from './config/index.js';
import { TsrsServer } from './main.js';
import { VERSION } from './version.js';

const USAGE = `Usage: tsrs [-h] [-v|-V] [-t] -c <config file>
  -c FILE   run with the config file (srs.conf syntax), in the foreground
  -t        test the config file and exit (0 = ok, 1 = errors)
  -v, -V    print the version
  -h        this help
Signals: SIGTERM/SIGINT graceful stop, SIGQUIT fast stop, SIGHUP reload the config.`;

interface Args {
  config?: string;
  test: boolean;
  version: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { test: false, version: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--config') args.config = argv[++i];
    else if (a === '-t' || a === '--test') args.test = true;
    else if (a === '-v' || a === '-V' || a === '--version') args.version = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '-e') continue; // SRS's env-only mode: tsrs always reads SRS_* env overrides
    else throw new Error(`unknown argument '${a}'`);
  }
  args.config ??= process.env.SRS_CONFIG_FILE;
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
    console.log(VERSION);
    return 0;
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
  let server: TsrsServer;
  try {
    server = await TsrsServer.start({ configPath: file });
  } catch (err) {
    console.error(`tsrs: ${(err as Error).message}`);
    return 1;
  }
  const stop = (graceful: boolean) => {
    void server.stop(graceful).then(() => process.exit(0));
    // A graceful stop that hangs still ends.
    setTimeout(() => process.exit(0), graceful ? 5000 : 500).unref();
  };
  process.on('SIGTERM', () => stop(true));
  process.on('SIGINT', () => stop(true));
  process.on('SIGQUIT', () => stop(false));
  process.on('SIGHUP', () => server.reload());
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
