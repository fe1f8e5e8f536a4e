/** The live formats an http_remux mount can serve; the mount's suffix picks one. */
export type RemuxFormat = 'flv' | 'ts' | 'aac' | 'mp3';

const FORMATS: readonly RemuxFormat[] = ['flv', 'ts', 'aac', 'mp3'];

export interface MountMatch {
  /** the vhost written in the path, when the mount has `[vhost]` and the path gave one */
  vhost: string | undefined;
  app: string;
  stream: string;
  format: RemuxFormat;
}

export interface StreamMount {
  readonly format: RemuxFormat;
  /** Matches a URL path (no query); `isVhost` says whether a leading segment names a vhost. */
  match(path: string, isVhost: (name: string) => boolean): MountMatch | undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles an SRS mount template (`[vhost]/[app]/[stream].flv`) into a matcher.
 * `[vhost]/` is optional in the URL (SRS leaves it out for the default vhost);
 * `[app]` may span several segments, `[stream]` is one. Undefined when the
 * suffix is not a known format.
 */
export function compileMount(template: string): StreamMount | undefined {
  const t = template.trim().replace(/^\/+/, '');
  const dot = t.lastIndexOf('.');
  const format = t.slice(dot + 1).toLowerCase() as RemuxFormat;
  if (dot < 0 || !FORMATS.includes(format)) return undefined;
  let src = '';
  let rest = t;
  if (rest.startsWith('[vhost]/')) {
    src += '(?:(?<vhost>[^/]+)/)?';
    rest = rest.slice('[vhost]/'.length);
  }
  for (const part of rest.split(/(\[vhost\]|\[app\]|\[stream\])/)) {
    if (part === '[vhost]') src += '(?<vhost>[^/]+)';
    else if (part === '[app]') src += '(?<app>.+?)';
    else if (part === '[stream]') src += '(?<stream>[^/]+?)';
    else src += escapeRegExp(part);
  }
  const re = new RegExp(`^/${src}$`);
  return {
    format,
    match(path, isVhost) {
      const m = re.exec(path);
      if (!m?.groups) return undefined;
      let vhost: string | undefined = m.groups.vhost;
      let app = m.groups.app ?? '';
      const stream = m.groups.stream ?? '';
      // `/a/b/c.flv`: when "a" is no vhost, it belongs to the app.
      if (vhost !== undefined && !isVhost(vhost)) {
        app = app ? `${vhost}/${app}` : vhost;
        vhost = undefined;
      }
      if (!stream) return undefined;
      try {
        return { vhost, app: decodeURIComponent(app), stream: decodeURIComponent(stream), format };
      } catch {
        return undefined;
      }
    },
  };
}
