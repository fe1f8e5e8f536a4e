/**
 * `GET /api/v1/processes` (tsrs): every child process the server runs (exec commands, ingest and
 * transcode FFmpegs), as the process supervisor sees it.
 */
import type { ProcessInfo } from '../app/process-supervisor.js';
import { envelope } from './components.js';
import { ok, type Route } from './router.js';
import { arr, int, obj, str } from './schema.js';

export interface ProcessApiDeps {
  /** the supervisor's children (absent: an empty list) */
  processes?: () => ProcessInfo[];
}

/** One child as the API shows it. */
export interface ProcessJson {
  id: number;
  /** what it is for: `exec /live/s`, `ingest livestream`, `transcode /live/s ld` */
  name: string;
  /** the program, resolved (absolute or relative to work_dir) */
  command: string;
  args: string[];
  state: ProcessInfo['state'];
  /** 0 while not running (between restarts) */
  pid: number;
  /** seconds of the current run */
  uptime: number;
  restarts: number;
  /** the stream it serves or makes (`vhost/app/stream`, vhost left out for the default one), '' for none */
  stream: string;
  /** the log context id (the publisher's client id for exec/transcode) */
  cid: string;
}

export function processJson(p: ProcessInfo): ProcessJson {
  return {
    id: p.id,
    name: p.name,
    command: p.command,
    args: p.args,
    state: p.state,
    pid: p.pid ?? 0,
    uptime: Math.floor(p.uptimeMs / 1000),
    restarts: p.restarts,
    stream: p.stream ?? '',
    cid: p.contextId ?? '',
  };
}

const PROCESS = obj({
  id: int(),
  name: str('what the child is for'),
  command: str(),
  args: arr(str()),
  state: { type: 'string', enum: ['running', 'backoff', 'stopping', 'stopped'] },
  pid: int('0 while not running'),
  uptime: int('seconds of the current run'),
  restarts: int(),
  stream: str('vhost/app/stream it serves, or empty'),
  cid: str('log context id'),
});

export function processRoutes(d: ProcessApiDeps): Route[] {
  return [
    {
      path: '/api/v1/processes',
      tag: 'tsrs',
      ops: {
        GET: {
          summary: 'Child processes (exec, ingest, transcode): pid, state, uptime, restarts, stream',
          response: envelope({ processes: arr(PROCESS) }),
          handle: () => ok({ processes: (d.processes?.() ?? []).map(processJson) }),
        },
      },
    },
  ];
}
