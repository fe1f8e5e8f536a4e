/**
 * A tiny flag parser: `-n 100`, `--ramp 200`, `--ramp=200`, `--json` (boolean when the
 * next token is another flag or missing). Enough for a benchmark CLI, no dependency.
 */
export type Flags = Record<string, string | boolean>;

const ALIASES: Record<string, string> = { u: 'url', n: 'count', d: 'duration', i: 'input', o: 'output', h: 'help', b: 'bitrate' };
/** flags that never take a value */
const BOOLEAN = new Set(['json', 'help', 'quiet']);

export function parseFlags(argv: string[]): { flags: Flags; rest: string[] } {
  const flags: Flags = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const name = ALIASES[m[1]] ?? m[1];
    if (m[2] !== undefined) flags[name] = m[2];
    else if (BOOLEAN.has(name) || i + 1 >= argv.length || /^--?[A-Za-z]/.test(argv[i + 1])) flags[name] = true;
    else flags[name] = argv[++i];
  }
  return { flags, rest };
}

export function num(flags: Flags, name: string, def: number): number {
  const v = flags[name];
  if (v === undefined || v === true) return def;
  // "200/s" for --ramp, "500k"/"2M" for bitrates
  const m = /^([\d.]+)\s*([kKmM]?)(?:\/s)?$/.exec(String(v));
  if (!m) throw new Error(`--${name}: not a number: ${String(v)}`);
  const mult = m[2] === 'k' || m[2] === 'K' ? 1e3 : m[2] === 'm' || m[2] === 'M' ? 1e6 : 1;
  return Number(m[1]) * mult;
}

export function str(flags: Flags, name: string, def?: string): string {
  const v = flags[name];
  if (typeof v === 'string') return v;
  if (def === undefined) throw new Error(`--${name} is required`);
  return def;
}
