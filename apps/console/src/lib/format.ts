/** Number and time formatting; every function tolerates missing values ("—"). */

export const DASH = '—';

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function fmtInt(v: number | null | undefined): string {
  return isNum(v) ? Math.round(v).toLocaleString('en-US') : DASH;
}

export function fmtFixed(v: number | null | undefined, digits = 1): string {
  return isNum(v) ? v.toFixed(digits) : DASH;
}

export function fmtPercent(v: number | null | undefined, digits = 1): string {
  return isNum(v) ? `${v.toFixed(digits)}%` : DASH;
}

/** kbps with a unit that switches to Mbps above 10 000 kbps. */
export function fmtKbps(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} Mbps`;
  return `${Math.round(v).toLocaleString('en-US')} kbps`;
}

export function fmtBytes(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = v;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n >= 100 ? 0 : 1)} ${units[i]}`;
}

export function fmtKbytes(kb: number | null | undefined): string {
  return isNum(kb) ? fmtBytes(kb * 1024) : DASH;
}

/** Seconds as "3d 04:05:06" / "04:05:06" / "05:06". */
export function fmtDuration(sec: number | null | undefined): string {
  if (!isNum(sec) || sec < 0) return DASH;
  const s = Math.floor(sec);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${p(h)}:${p(m)}:${p(ss)}`;
  if (h > 0) return `${p(h)}:${p(m)}:${p(ss)}`;
  return `${p(m)}:${p(ss)}`;
}

export function fmtDurationMs(ms: number | null | undefined): string {
  return isNum(ms) ? fmtDuration(ms / 1000) : DASH;
}

/** ms epoch as local "2024-10-15 13:04:05". */
export function fmtDateTime(ms: number | null | undefined | string): string {
  const n = typeof ms === 'string' ? Date.parse(ms) : ms;
  if (!isNum(n)) return DASH;
  const d = new Date(n);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtTime(ms: number): string {
  const d = new Date(ms);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtResolution(w?: number | null, h?: number | null): string {
  return isNum(w) && isNum(h) && w > 0 && h > 0 ? `${w}×${h}` : DASH;
}

export function fmtSampleRate(hz?: number | null): string {
  if (!isNum(hz) || hz <= 0) return DASH;
  return hz % 1000 === 0 ? `${hz / 1000} kHz` : `${(hz / 1000).toFixed(1)} kHz`;
}
