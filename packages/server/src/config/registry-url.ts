/**
 * The Redis registry's address, `cluster { registry redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; }`
 * (tsrs): HOST a name or an IP literal (IPv6 in brackets), PORT 1..65535 (default 6379), DB the
 * logical database 0..15 (default 0). `rediss://` is the same over TLS. Nothing else (a path
 * beyond /DB, a query) is accepted, so a config cannot smuggle options into the client.
 */

export const REDIS_DEFAULT_PORT = 6379;
/** Redis's default `databases 16` */
const MAX_DB = 15;

export interface RegistryUrl {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
}

/** The parsed address, or a message saying what is wrong with `text` (never echoing a password). */
export function parseRegistryUrl(text: string): RegistryUrl | string {
  if (text.length > 1024) return 'registry URL over 1024 characters';
  const m = /^(rediss?):\/\/(?:([^@/]*)@)?([^/@?#]+)(?:\/(\d{1,2})?)?$/.exec(text.trim());
  if (!m) return `expected redis://HOST[:PORT][/DB]`;
  const [, scheme, auth, hostPort, dbText] = m;
  const at = hostAndPort(hostPort);
  if (!at) return `invalid host or port '${hostPort}'`;
  const db = dbText === undefined ? 0 : Number(dbText);
  if (db > MAX_DB) return `database ${db} out of 0..${MAX_DB}`;
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    try {
      username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon)) || undefined;
      password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
    } catch {
      return 'invalid %-escape in the user or password';
    }
  }
  return { host: at.host, port: at.port, db, tls: scheme === 'rediss', username, password };
}

/** `redis://HOST:PORT/DB` for logs and answers: never the user or the password. */
export function redactRegistryUrl(u: RegistryUrl): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.tls ? 'rediss' : 'redis'}://${host}:${u.port}/${u.db}`;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; undefined for anything else. */
function hostAndPort(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const port = m[2] === undefined ? REDIS_DEFAULT_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}
