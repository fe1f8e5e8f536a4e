import { pino, destination, stdTimeFunctions, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogFormat = 'text' | 'json';

const LEVEL_NAMES: Record<number, string> = { 10: 'Verb', 20: 'Debug', 30: 'Trace', 40: 'Warn', 50: 'Error', 60: 'Fatal' };

/** SRS's levels (verbose, info, trace, warn, error) mapped onto pino's. */
export function pinoLevel(srsLevel: string): string {
  switch (srsLevel) {
    case 'verbose':
      return 'trace';
    case 'info':
      return 'debug';
    case 'warn':
      return 'warn';
    case 'error':
      return 'error';
    default:
      return 'info';
  }
}

/**
 * A line per event in SRS's shape: `[time][Level][pid][cid] message key=value ...`.
 * pino hands us its JSON line; logs are not on the media hot path, so parsing it back is fine.
 */
function textDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { level, time, pid, cid, msg, hostname: _h, ...rest } = rec;
      const t = new Date(time as number);
      const stamp = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, '0')}`;
      let extra = '';
      for (const [k, v] of Object.entries(rest)) {
        if (v === undefined) continue;
        extra += ` ${k}=${typeof v === 'string' ? escapeControls(v) : escapeControls(JSON.stringify(v))}`;
      }
      out.write(`[${stamp}][${LEVEL_NAMES[level as number] ?? level}][${pid}][${escapeControls(String(cid ?? '-'))}] ${escapeControls(String(msg ?? ''))}${extra}\n`);
    },
  };
}

/**
 * Names from the network (stream names, URLs, hook answers) end up in log lines: control
 * characters (newlines, ANSI escapes, NUL) are written as \n, \r, \t or \xHH so that one event
 * stays one line and nobody can forge another line or colour a terminal.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function createLogger(opts: { level?: string; format?: LogFormat; destination?: NodeJS.WritableStream } = {}): Logger {
  const format = opts.format ?? (process.env.TSRS_LOG_FORMAT === 'json' ? 'json' : 'text');
  const out = opts.destination ?? process.stdout;
  const dest = format === 'json' ? destination({ fd: 1, sync: false }) : textDestination(out);
  return pino({ level: opts.level ?? 'info', base: { pid: process.pid }, timestamp: stdTimeFunctions.epochTime }, dest);
}
