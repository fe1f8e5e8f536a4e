/**
 * `GET /api/v1/processes` (tsrs): every child process the server runs (exec commands, ingest and
 * transcode FFmpegs), as the process supervisor sees it.
 */
import type { Process } from '@tsrs/api-types';
import { ProcessesResponse } from '@tsrs/api-types';
import type { ProcessInfo } from '../app/process-supervisor.js';
import { ok, type Route } from './router.js';
import { redactSecrets } from '../app/redact.js';

export interface ProcessApiDeps {
  /** the supervisor's children (absent: an empty list) */
  processes?: () => ProcessInfo[];
}

/**
 * One child as the API shows it. A password in a URL of its command line (an ingest's
 * `rtsp://user:password@camera/...`) is shown as `***`: the API and the console are read by
 * more people than the config file.
 */
export type ProcessJson = Process;
export function processJson(p: ProcessInfo): ProcessJson {
  return {
    id: p.id,
    name: p.name,
    command: p.command,
    args: p.args.map(redactSecrets),
    state: p.state,
    pid: p.pid ?? 0,
    uptime: Math.floor(p.uptimeMs / 1000),
    restarts: p.restarts,
    stream: p.stream ?? '',
    cid: p.contextId ?? '',
  };
}

export function processRoutes(d: ProcessApiDeps): Route[] {
  return [
    {
      path: '/api/v1/processes',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: 'Child processes (exec, ingest, transcode): pid, state, uptime, restarts, stream',
          response: ProcessesResponse,
          handle: () => ok({ processes: (d.processes?.() ?? []).map(processJson) }),
        },
      },
    },
  ];
}
