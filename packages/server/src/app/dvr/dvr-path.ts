import { dirname, resolve, sep } from 'node:path';
import { renderPath } from '../hls/path-template.js';

export type DvrFormat = 'flv' | 'mp4';

/** SRS's default dvr_path; also what an API-started recording uses on a vhost without one. */
export const DEFAULT_DVR_PATH = './objs/nginx/html/[app]/[stream].[timestamp].flv';

/**
 * SRS's rule: a dvr_path that does not name a .flv/.mp4 file is a directory, and
 * `/[stream].[timestamp].flv` is appended. `format` (API override) swaps the extension.
 */
export function dvrTemplate(path: string, format?: DvrFormat): { template: string; format: DvrFormat } {
  let template = path || DEFAULT_DVR_PATH;
  const lower = template.toLowerCase();
  if (!lower.endsWith('.flv') && !lower.endsWith('.mp4')) template = `${template.replace(/\/+$/, '')}/[stream].[timestamp].flv`;
  const own: DvrFormat = template.toLowerCase().endsWith('.mp4') ? 'mp4' : 'flv';
  if (format && format !== own) template = `${template.slice(0, -4)}.${format}`;
  return { template, format: format ?? own };
}

/** The directory a template can write under: everything before its first variable. */
export function templateRoot(template: string): string {
  const i = template.indexOf('[');
  const fixed = i < 0 ? template : template.slice(0, i);
  // "./objs/x/[app]" -> "./objs/x"; "./objs/rec-[stream]" -> "./objs"
  return resolve(fixed.endsWith('/') ? fixed : dirname(fixed));
}

/** Names from clients end up in paths: no separators, no `..`, no control characters. */
function safeName(name: string): string {
  const s = name.replace(/[\\/\0-\x1f]/g, '_');
  return s === '' || s === '.' || s === '..' ? '_' : s;
}

/** A multi-level app (`live/sub`) keeps its levels, minus anything that climbs. */
function safeApp(app: string): string {
  return app.split('/').map(safeName).join('/');
}

export interface DvrPathVars {
  vhost: string;
  app: string;
  stream: string;
  time: Date;
  utc: boolean;
}

/**
 * The absolute file path for a new recording, or undefined when the rendered
 * path would leave the template's root (a hostile app/stream name).
 */
export function renderDvrPath(template: string, v: DvrPathVars): string | undefined {
  const rendered = renderPath(template, { vhost: safeName(v.vhost), app: safeApp(v.app), stream: safeName(v.stream), time: v.time, utc: v.utc });
  const file = resolve(rendered);
  const root = templateRoot(template);
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return file;
}
