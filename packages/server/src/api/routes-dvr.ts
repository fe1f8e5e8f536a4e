/**
 * DVR control and recordings (tsrs additions, issue 6):
 * - `POST /api/v1/dvrs` `{"app","stream","vhost"?,"action":"start"|"stop","format"?}` records a live
 *   stream now (whatever the vhost's dvr config says; its dvr_path/plan apply) or stops it.
 *   Starting twice answers the same recording. `GET /api/v1/dvrs` lists what is recording.
 * - `GET /api/v1/recordings` (paging `start`/`count` or `limit`/`offset`, `from`/`to`, filters),
 *   `GET|DELETE /api/v1/recordings/{id}`, `GET /api/v1/recordings/{id}/download[?format=mp4]`
 *   (Range on the raw file; `format=mp4` exports an FLV recording as fragmented MP4 on the fly).
 * Deleting a recording that is being written is refused (stop it first), so a file is never
 * pulled from under the recorder. Files are only served or deleted when the row's path is a
 * .flv/.mp4 regular file under a vhost's dvr directory.
 */
import { createReadStream } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, normalize, sep } from 'node:path';
import {
  DvrErrorCode,
  DvrRequest,
  DvrResponse,
  DvrsResponse,
  ErrorCode,
  RecordingDeleteResponse,
  RecordingResponse,
  RecordingsResponse,
  type Recording,
} from '@tsrs/api-types';
import type { HistoryStore, RecordingQuery, RecordingRow } from '@tsrs/db';
import type { DvrControl } from '../app/api-model.js';
import { DEFAULT_DVR_PATH, dvrTemplate, templateRoot, type DvrFormat } from '../app/dvr/dvr-path.js';
import { flvToMp4Stream } from '../app/dvr/mp4-export.js';
import { checkInsideRoot } from '../app/safe-name.js';
import type { Config } from '../config/index.js';
import { parseRange } from '../http/range.js';
import { BadParam, pageAndRange, textParam } from './query-params.js';
import { fail, ok, type Reply, type RequestCtx, type Route } from './router.js';

export { DvrErrorCode };

export interface DvrApiDeps {
  /** DVR control (absent: the control routes answer DvrErrorCode.Unavailable) */
  dvr?: DvrControl;
  /** the history database holding the recordings table */
  history?: HistoryStore;
  config: () => Config;
}


function recordingWire(r: RecordingRow): Recording {
  return {
    id: r.id, vhost: r.vhost, app: r.app, stream: r.stream, path: r.path, format: r.format,
    start: r.startedAt, end: r.endedAt, duration_ms: r.durationMs, size: r.size, complete: r.complete, node: r.node,
  };
}

function recordingQuery(q: URLSearchParams): RecordingQuery {
  const format = textParam(q, 'format');
  if (format && format !== 'flv' && format !== 'mp4') throw new BadParam('format');
  const complete = textParam(q, 'complete');
  if (complete && !['true', 'false', '1', '0'].includes(complete)) throw new BadParam('complete');
  return {
    ...pageAndRange(q),
    vhost: textParam(q, 'vhost'),
    app: textParam(q, 'app'),
    stream: textParam(q, 'stream'),
    format: format as DvrFormat | undefined,
    complete: complete === undefined ? undefined : complete === 'true' || complete === '1',
  };
}

/** Directories recordings may live in: the dvr_path roots of every vhost, and the default. */
function recordingRoots(config: Config): string[] {
  const roots = new Set([templateRoot(dvrTemplate(DEFAULT_DVR_PATH).template)]);
  for (const name of config.vhostNames()) {
    const dvr = config.getVhost(name)?.dvr;
    if (dvr) roots.add(templateRoot(dvrTemplate(dvr.dvr_path).template));
  }
  return [...roots];
}

/**
 * The row's file, when it is a regular .flv/.mp4 file under a recording root, also once
 * symlinks are followed (a link inside the root that points outside does not count); else
 * undefined.
 */
async function recordingFile(config: Config, row: RecordingRow): Promise<{ path: string; size: number } | undefined> {
  const path = row.path;
  if (!isAbsolute(path) || normalize(path) !== path || /[\0\\]/.test(path) || !/\.(flv|mp4)$/i.test(path)) return undefined;
  let inside = false;
  for (const root of recordingRoots(config)) {
    if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) continue;
    if (!(await checkInsideRoot(root, path))) {
      inside = true;
      break;
    }
  }
  if (!inside) return undefined;
  const st = await lstat(path).catch(() => undefined);
  return st?.isFile() ? { path, size: st.size } : undefined;
}

const attachment = (name: string) => `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`;

export function dvrRoutes(d: DvrApiDeps): Route[] {
  const withStore = async (fn: (h: NonNullable<DvrApiDeps['history']>) => Promise<Reply>): Promise<Reply> => {
    if (!d.history) return fail(DvrErrorCode.Unavailable);
    try {
      return await fn(d.history);
    } catch (err) {
      if (err instanceof BadParam) return fail(DvrErrorCode.BadRequest);
      throw err;
    }
  };

  const control = (ctx: RequestCtx): Reply => {
    const dvr = d.dvr;
    if (!dvr) return fail(DvrErrorCode.Unavailable);
    const b = ctx.body as Record<string, unknown> | undefined;
    const text = (k: string) => (typeof b?.[k] === 'string' ? (b[k] as string) : undefined);
    const app = text('app');
    const stream = text('stream');
    const action = text('action');
    const format = text('format');
    const vhost = text('vhost');
    if (!b || typeof b !== 'object' || !app || !stream || (action !== 'start' && action !== 'stop')) return fail(DvrErrorCode.BadRequest);
    if (format !== undefined && format !== 'flv' && format !== 'mp4') return fail(DvrErrorCode.BadRequest);
    if ((b.vhost !== undefined && typeof b.vhost !== 'string')) return fail(DvrErrorCode.BadRequest);
    if (action === 'start') {
      const r = dvr.start(vhost, app, stream, format);
      if (!r.ok) return fail(r.reason === 'not-found' ? ErrorCode.StreamNotFound : DvrErrorCode.BadRequest);
      return ok({ id: r.id, recording: true, dvr: r.recording });
    }
    const r = dvr.stop(vhost, app, stream);
    if (!r.ok) return fail(ErrorCode.StreamNotFound);
    return ok({ id: r.id ?? null, recording: false });
  };

  return [
    {
      path: '/api/v1/dvrs',
      tag: 'dvr',
      ops: {
        GET: {
          summary: 'Recordings in progress (config or API started)',
          response: DvrsResponse,
          errors: [DvrErrorCode.Unavailable],
          handle: () => (d.dvr ? ok({ dvrs: d.dvr.active() }) : fail(DvrErrorCode.Unavailable)),
        },
        POST: {
          summary: 'Start or stop recording a live stream: {"app","stream","vhost"?,"action":"start"|"stop","format"?:"flv"|"mp4"}',
          body: 'json',
          response: DvrResponse,
          requestSchema: DvrRequest,
          errors: [ErrorCode.StreamNotFound, DvrErrorCode.BadRequest, DvrErrorCode.Unavailable],
          handle: control,
        },
      },
    },
    {
      path: '/api/v1/recordings',
      tag: 'dvr',
      ops: {
        GET: {
          summary: 'Recordings (every DVR file), newest first, paged, with a time range and filters',
          query: {
            start: { description: 'rows to skip (SRS paging; offset wins)', type: 'integer' },
            count: { description: 'rows to return (SRS paging; limit wins), default 100, at most 1000', type: 'integer' },
            offset: { description: 'rows to skip', type: 'integer' },
            limit: { description: 'rows to return, default 100, at most 1000', type: 'integer' },
            from: { description: 'recordings not ended before this time (ms since the epoch or ISO-8601)', type: 'string' },
            to: { description: 'recordings started at or before this time', type: 'string' },
            vhost: { description: 'vhost name', type: 'string' },
            app: { description: 'app', type: 'string' },
            stream: { description: 'stream name', type: 'string' },
            format: { description: 'flv | mp4', type: 'string' },
            complete: { description: 'true | false', type: 'string' },
          },
          response: RecordingsResponse,
          errors: [DvrErrorCode.BadRequest, DvrErrorCode.Unavailable],
          handle: (ctx) => withStore(async (h) => {
            const page = await h.listRecordings(recordingQuery(ctx.query));
            return ok({ recordings: page.items.map(recordingWire), total: page.total });
          }),
        },
      },
    },
    {
      path: '/api/v1/recordings/{id}',
      tag: 'dvr',
      ops: {
        GET: {
          summary: 'One recording',
          response: RecordingResponse,
          errors: [DvrErrorCode.RecordingNotFound, DvrErrorCode.Unavailable],
          handle: (ctx) => withStore(async (h) => {
            const row = await h.getRecording(ctx.id);
            return row ? ok({ recording: recordingWire(row) }) : fail(DvrErrorCode.RecordingNotFound);
          }),
        },
        DELETE: {
          summary: 'Delete a recording: its file and its row (refused while it is being written; stop it first)',
          response: RecordingDeleteResponse,
          errors: [DvrErrorCode.RecordingNotFound, DvrErrorCode.RecordingBusy, DvrErrorCode.Unavailable],
          handle: (ctx) => withStore(async (h) => {
            // busy first: the row of a file being opened may not be booked yet
            if (d.dvr?.isOpen(ctx.id)) return fail(DvrErrorCode.RecordingBusy);
            const row = await h.getRecording(ctx.id);
            if (!row) return fail(DvrErrorCode.RecordingNotFound);
            if (d.dvr?.isOpen(row.id)) return fail(DvrErrorCode.RecordingBusy);
            // a file outside the recording dirs is left alone; the row goes anyway
            const file = await recordingFile(d.config(), row);
            if (file) {
              await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
                if (err.code !== 'ENOENT') throw err;
              });
            }
            await h.deleteRecording(row.id);
            return ok({ id: row.id });
          }),
        },
      },
    },
    {
      path: '/api/v1/recordings/{id}/download',
      tag: 'dvr',
      ops: {
        GET: {
          summary: 'The recording file (Range supported); ?format=mp4 exports an FLV recording as fragmented MP4',
          query: { format: { description: 'mp4: export an FLV recording as MP4 (no Range)', type: 'string' } },
          response: 'file',
          errors: [DvrErrorCode.RecordingNotFound, DvrErrorCode.FileNotFound, DvrErrorCode.ExportUnsupported, DvrErrorCode.BadRequest, DvrErrorCode.Unavailable],
          handle: (ctx) => withStore(async (h) => {
            const format = ctx.query.get('format') || undefined;
            if (format !== undefined && format !== 'mp4' && format !== 'flv') return fail(DvrErrorCode.BadRequest);
            const row = await h.getRecording(ctx.id);
            if (!row) return fail(DvrErrorCode.RecordingNotFound);
            const file = await recordingFile(d.config(), row);
            if (!file) return fail(DvrErrorCode.FileNotFound);
            const name = basename(file.path);
            if (format === 'mp4' && row.format !== 'mp4') {
              if (!/\.flv$/i.test(file.path)) return fail(DvrErrorCode.ExportUnsupported);
              return {
                kind: 'stream',
                status: 200,
                headers: { 'Content-Type': 'video/mp4', 'Content-Disposition': attachment(name.replace(/\.flv$/i, '.mp4')) },
                body: flvToMp4Stream(file.path),
              };
            }
            const type = row.format === 'mp4' ? 'video/mp4' : 'video/x-flv';
            const common = { 'Content-Type': type, 'Content-Disposition': attachment(name), 'Accept-Ranges': 'bytes' };
            const range = parseRange(typeof ctx.headers.range === 'string' ? ctx.headers.range : undefined, file.size);
            if (range === 'unsatisfiable') {
              return { kind: 'raw', status: 416, headers: { ...common, 'Content-Range': `bytes */${file.size}` }, body: '' };
            }
            if (range === undefined) {
              return { kind: 'stream', status: 200, headers: { ...common, 'Content-Length': String(file.size) }, body: createReadStream(file.path, { end: Math.max(0, file.size - 1) }) };
            }
            return {
              kind: 'stream',
              status: 206,
              headers: { ...common, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${file.size}` },
              body: createReadStream(file.path, range),
            };
          }),
        },
      },
    },
  ];
}
