import path from 'node:path';

export const DEFAULT_DATABASE_PATH = './objs/tsrs.db';

/**
 * Where the SQLite file lives, as an absolute path.
 * Order: DATABASE_URL (env, so operators can override the config file), then the server's
 * `database` directive, then ./objs/tsrs.db. Relative paths resolve against the process cwd
 * (like SRS's objs/ paths). Accepts `file:` URLs (`file:./objs/tsrs.db`) or plain paths.
 */
export function resolveDatabasePath(
  configured?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  const raw = env.DATABASE_URL?.trim() || configured?.trim() || DEFAULT_DATABASE_PATH;
  let file = raw;
  if (file.startsWith('file://')) file = new URL(file).pathname;
  else if (file.startsWith('file:')) file = file.slice('file:'.length);
  // Connection parameters (file:x.db?mode=...) are not used here.
  const q = file.indexOf('?');
  if (q >= 0) file = file.slice(0, q);
  if (!file || file === ':memory:') throw new Error(`unsupported database url: ${raw}`);
  return path.resolve(cwd, file);
}
