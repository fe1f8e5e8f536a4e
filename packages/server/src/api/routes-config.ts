/**
 * `GET /api/v1/config` (tsrs): the running config, as the srs.conf text tsrs understood
 * (after includes and legacy rewrites) and as the typed view with every default filled in.
 * Secrets (API password, SRT passphrase, HTTPS keys) are masked.
 */
import type { Config } from '../config/index.js';
import type { Directive } from '../config/index.js';
import { ConfigResponse } from '@tsrs/api-types';
import { ok, type Route } from './router.js';

const SECRET = new Set(['password', 'passphrase', 'key', 'secret', 'token']);
const MASK = '******';

/** A copy of the directive tree with secret values masked. */
function maskedText(root: Directive): string {
  const lines = root.children.map((c) => c.toString());
  return lines
    .join('\n')
    .replace(new RegExp(`^(\\s*(?:${[...SECRET].join('|')})\\s+)[^;]*;`, 'gm'), `$1${MASK};`);
}

function maskValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskValues);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET.has(k) && typeof v === 'string' && v ? MASK : maskValues(v);
    return out;
  }
  return value;
}

export function configRoutes(d: { config: () => Config }): Route[] {
  return [
    {
      path: '/api/v1/config',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: 'The running config: srs.conf text and the typed view with defaults (secrets masked)',
          response: ConfigResponse,
          handle: () => {
            const c = d.config();
            const vhosts: Record<string, unknown> = {};
            for (const name of c.vhostNames()) vhosts[name] = maskValues(c.getVhost(name));
            return ok({ file: c.file, text: maskedText(c.root), config: { global: maskValues(c.global), vhosts } });
          },
        },
      },
    },
  ];
}
