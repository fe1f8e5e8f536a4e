/**
 * SRS's path variables for hls_m3u8_file / hls_ts_file (and dvr_path):
 * [vhost] [app] [stream], the date parts [2006] [01] [02] [15] [04] [05] [999],
 * [timestamp] (Unix ms), [seq] (segment sequence) and [duration] (segment ms).
 */
export interface PathVars {
  vhost: string;
  app: string;
  stream: string;
  /** when the file started (date variables and [timestamp]) */
  time?: Date;
  /** overrides [timestamp] (hls_ts_floor) */
  timestamp?: number;
  seq?: number;
  /** seconds */
  duration?: number;
  /** format the date parts in UTC (utc_time on) */
  utc?: boolean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * SRS's date variables for time `t` (local time, or UTC with `utc`): `[2006]` year, `[01]`
 * month, `[02]` day, `[15]` hour, `[04]` minute, `[05]` second (two digits each), `[999]`
 * milliseconds (three digits), `[timestamp]` Unix ms. Golang's "2006-01-02 15:04:05.999".
 */
export function timeVars(t: Date, utc: boolean): Record<string, string> {
  return {
    '[2006]': String(utc ? t.getUTCFullYear() : t.getFullYear()),
    '[01]': pad((utc ? t.getUTCMonth() : t.getMonth()) + 1),
    '[02]': pad(utc ? t.getUTCDate() : t.getDate()),
    '[15]': pad(utc ? t.getUTCHours() : t.getHours()),
    '[04]': pad(utc ? t.getUTCMinutes() : t.getMinutes()),
    '[05]': pad(utc ? t.getUTCSeconds() : t.getSeconds()),
    '[999]': pad(utc ? t.getUTCMilliseconds() : t.getMilliseconds(), 3),
    '[timestamp]': String(t.getTime()),
  };
}

export function renderPath(template: string, v: PathVars): string {
  const t = v.time ?? new Date();
  const parts: Record<string, string> = {
    '[vhost]': v.vhost,
    '[app]': v.app,
    '[stream]': v.stream,
    ...timeVars(t, v.utc ?? false),
  };
  if (v.timestamp !== undefined) parts['[timestamp]'] = String(v.timestamp);
  if (v.seq !== undefined) parts['[seq]'] = String(v.seq);
  if (v.duration !== undefined) parts['[duration]'] = String(Math.round(v.duration * 1000));
  return template.replace(/\[[a-z0-9]+\]/g, (m) => parts[m] ?? m);
}
