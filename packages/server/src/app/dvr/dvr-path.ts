import { renderSafePath, templateRoot, type SafePath } from '../safe-name.js';

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

export { templateRoot };

export interface DvrPathVars {
  vhost: string;
  app: string;
  stream: string;
  time: Date;
  utc: boolean;
}

/**
 * The absolute file path for a new recording, or why there is none: a name that is not
 * safe in a path, or a rendered path that would leave the template's root (see safe-name.ts;
 * symlinks are checked when the file is opened).
 */
export function renderDvrPath(template: string, v: DvrPathVars): SafePath {
  return renderSafePath(template, { vhost: v.vhost, app: v.app, stream: v.stream, time: v.time, utc: v.utc });
}
