import { realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

/**
 * The URL path's segments, decoded, or undefined when the path tries to leave
 * its root or hide separators: `..`/`.` segments (also percent-encoded),
 * encoded `/`, backslashes, NUL or malformed escapes.
 */
export function decodePathSegments(urlPath: string): string[] | undefined {
  if (!urlPath.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg)) return undefined;
    out.push(seg);
  }
  return out;
}

/** Joins segments under root; undefined if the result would not be inside root. */
export function joinInside(root: string, segments: readonly string[]): string | undefined {
  const base = resolve(root);
  const full = resolve(base, ...segments);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

/**
 * Follows symlinks and checks the real file is still inside the real root.
 * Returns the real path, or undefined when missing or outside.
 */
export async function realPathInside(root: string, file: string): Promise<string | undefined> {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    return realFile === realRoot || realFile.startsWith(realRoot + sep) ? realFile : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A redirect target that stays on this host: a path with exactly one leading `/`, so it can
 * never read as `//host` or `/\host` (browsers take both for another host), and no control
 * characters (browsers drop tabs and newlines from URLs, which could join `/` and `/`).
 */
export function sameHostLocation(location: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = location.replace(/[\x00-\x20\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return `/${clean.replace(/^[/\\]+/, '')}`;
}

/** The URL path of decoded segments, each percent-encoded again (for redirects). */
export function encodePathSegments(segments: readonly string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}
