/** Where tests find the repository and the real SRS configs, from src/ or dist/ alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the first directory upwards that has turbo.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'turbo.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (turbo.json) not found');
    dir = up;
  }
  return dir;
}

/** Real SRS configs, in a `shared/srs-conf` folder beside the checkout (absent on some machines). */
export const srsConfDir = (): string => join(repoRoot(), '..', 'shared', 'srs-conf');
