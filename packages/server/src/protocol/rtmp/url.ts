/**
 * RTMP URL discovery: tcUrl (from connect) + stream name (from publish/play) -> the parts
 * SRS uses to route a stream and to fill hook bodies.
 *
 * Query parameters may sit on the app (`rtmp://h/live?vhost=v`), on the stream
 * (`stream?token=t&vhost=v`), or use the legacy `live...vhost...v` form. The vhost is taken
 * from `vhost=`, then `domain=`, then the tcUrl host.
 */

export interface RtmpUrl {
  schema: string;
  host: string;
  port: number;
  vhost: string;
  app: string;
  stream: string;
  /** the raw query including '?', e.g. "?token=x&vhost=y" ("" when none), as hooks get it */
  param: string;
}

export const DEFAULT_RTMP_PORT = 1935;

function splitQuery(s: string): [string, string] {
  const i = s.indexOf('?');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** `live...vhost...example.com` (old Flash clients could not put '?' in the app). */
function splitLegacy(app: string): [string, string] {
  const i = app.indexOf('...');
  if (i < 0) return [app, ''];
  const parts = app.slice(i + 3).split('...');
  const pairs: string[] = [];
  for (let k = 0; k + 1 < parts.length; k += 2) pairs.push(`${parts[k]}=${parts[k + 1]}`);
  return [app.slice(0, i), pairs.join('&')];
}

function parseAuthority(authority: string): { host: string; port: number } {
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  let port = DEFAULT_RTMP_PORT;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (m) {
    host = m[1];
    if (host.startsWith('[')) host = host.slice(1, -1);
    if (m[2]) port = Number(m[2]) || DEFAULT_RTMP_PORT;
  }
  return { host, port };
}

export function parseRtmpUrl(tcUrl: string, streamName = ''): RtmpUrl {
  let schema = 'rtmp';
  let rest = tcUrl.trim();
  const sm = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (sm) {
    schema = sm[1].toLowerCase();
    rest = rest.slice(sm[0].length);
  }
  let host = '';
  let port = DEFAULT_RTMP_PORT;
  if (sm) {
    const slash = rest.search(/[/?]/);
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    ({ host, port } = parseAuthority(authority));
  }

  let [app, appQuery] = splitQuery(rest.replace(/^\/+/, ''));
  let legacy: string;
  [app, legacy] = splitLegacy(app);
  app = app.replace(/\/+$/, '').replace(/\/_definst_$/, '');
  const [stream, streamQuery] = splitQuery(streamName.trim());

  const queries = [appQuery, legacy, streamQuery].filter((q) => q.length > 0);
  const param = queries.length ? `?${queries.join('&')}` : '';
  const q = new URLSearchParams(param);
  const vhost = q.get('vhost') || q.get('domain') || host;

  return { schema, host, port, vhost, app, stream, param };
}
