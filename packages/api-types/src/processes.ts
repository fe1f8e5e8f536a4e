/** `GET /api/v1/processes` (tsrs): the child processes the server runs (exec, ingest, transcode FFmpegs). */
import { Type, type Static } from '@sinclair/typebox';
import { arr, envelope, int, oneOfStrings, str } from './kit.js';

export const PROCESS_STATES = ['running', 'backoff', 'stopping', 'stopped'] as const;

/** One child as the API shows it. */
export const Process = Type.Object({
  id: int(),
  name: str('what it is for: exec /live/s, ingest livestream, transcode /live/s ld'),
  command: str('the program, resolved (absolute or relative to work_dir)'),
  args: arr(str()),
  state: oneOfStrings(PROCESS_STATES),
  pid: int('0 while not running (between restarts)'),
  uptime: int('seconds of the current run'),
  restarts: int(),
  stream: str('the stream it serves or makes (vhost/app/stream, vhost left out for the default one), empty for none'),
  cid: str("the log context id (the publisher's client id for exec/transcode)"),
}, { $id: 'Process' });
export type Process = Static<typeof Process>;

export const ProcessesResponse = envelope({ processes: arr(Process) });
export type ProcessesResponse = Static<typeof ProcessesResponse>;
