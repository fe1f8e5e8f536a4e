/**
 * How the primary of `tsrs --workers N` makes one API answer of its workers' answers (pure).
 * Each worker answers in SRS's envelope (`{code, server, service, pid, ...}`); lists are
 * concatenated with each row marked by its `worker` (1..N), in id order, then paged as SRS pages;
 * summaries add up what is per process (memory, CPU, tsrs's bytes and connections).
 */
import { page } from '../api/routes.js';

/** One worker's parsed JSON answer. */
export interface WorkerJson {
  /** 1..N */
  worker: number;
  json: Record<string, unknown>;
}

/** Most rows the primary asks one worker for (a bound on one merged answer). */
export const MAX_ROWS_PER_WORKER = 100_000;

/** The body as a JSON object, or undefined (not JSON, or not an object). */
export function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The query to ask each worker with for a page `start`/`count` of the merged list: its first
 * start + count rows (every row of the page could be one worker's), at most MAX_ROWS_PER_WORKER.
 */
export function workerListQuery(query: URLSearchParams): URLSearchParams {
  const start = Math.max(0, Number.parseInt(query.get('start') ?? '0', 10) || 0);
  const count = Math.max(10, Number.parseInt(query.get('count') ?? '10', 10) || 10);
  const q = new URLSearchParams(query);
  q.set('start', '0');
  q.set('count', String(Math.min(MAX_ROWS_PER_WORKER, start + count)));
  return q;
}

/**
 * `/api/v1/streams` or `/api/v1/clients` of every worker as one list: rows of all workers (each
 * with `worker`), sorted by id, paged by `query` (start >= 0, count >= 10). The envelope is the
 * first answer's. Worker answers without the list (errors) add no rows.
 */
export function mergeLists(answers: WorkerJson[], key: 'streams' | 'clients', query: URLSearchParams): Record<string, unknown> {
  const rows: Record<string, unknown>[] = [];
  for (const a of answers) {
    const list = a.json[key];
    if (!Array.isArray(list)) continue;
    for (const r of list) if (r && typeof r === 'object') rows.push({ ...(r as Record<string, unknown>), worker: a.worker });
  }
  const id = (r: Record<string, unknown>) => String(r.id ?? '');
  rows.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  return { ...answers[0]?.json, code: 0, [key]: page(rows, query) };
}

const SELF_SUMS = ['mem_kbyte', 'mem_percent', 'cpu_percent'] as const;
const SYSTEM_SUMS = ['srs_recv_bytes', 'srs_send_bytes', 'conn_srs'] as const;

/**
 * `/api/v1/summaries` of every worker as one: the first answer, with `data.self`'s mem_kbyte,
 * mem_percent and cpu_percent and `data.system`'s srs_recv_bytes, srs_send_bytes and conn_srs
 * summed over the workers (the machine-wide figures are the same in every answer).
 */
export function mergeSummaries(answers: WorkerJson[]): Record<string, unknown> {
  const first = answers[0]?.json ?? {};
  const data = (first.data ?? {}) as Record<string, Record<string, unknown>>;
  const self = { ...data.self };
  const system = { ...data.system };
  const sum = (part: 'self' | 'system', k: string) => {
    let total = 0;
    for (const a of answers) {
      const v = ((a.json.data as Record<string, Record<string, unknown>> | undefined)?.[part] ?? {})[k];
      if (typeof v === 'number' && Number.isFinite(v)) total += v;
    }
    return part === 'self' && k !== 'mem_kbyte' ? Math.round(total * 1e4) / 1e4 : total;
  };
  for (const k of SELF_SUMS) self[k] = sum('self', k);
  for (const k of SYSTEM_SUMS) system[k] = sum('system', k);
  return { ...first, data: { ...data, self, system } };
}

/** One worker's `/metrics` answer (Prometheus text format 0.0.4). */
export interface WorkerText {
  /** 1..N */
  worker: number;
  text: string;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+(?:[ \t]+\S+)?)$/;
const DESCRIPTOR = /^#[ \t]+(HELP|TYPE)[ \t]+([A-Za-z_:][A-Za-z0-9_:]*)(?:[ \t]|$)/;

/**
 * `/metrics` of every worker as one exposition: each metric family once (its `# HELP` and
 * `# TYPE` as the first worker that has it says them), then the family's samples of every worker,
 * each with the label `worker="N"` first, so series stay distinct (sum them with PromQL's
 * `sum without (worker)`). Other comments and lines that are not samples are left out.
 */
export function mergeMetrics(answers: WorkerText[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const a of answers) {
    for (const line of a.text.split('\n')) {
      const d = DESCRIPTOR.exec(line);
      if (d) {
        const f = family(d[2]);
        if (d[1] === 'HELP') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      const m = SAMPLE.exec(line);
      if (!m) continue;
      const labels = m[2] ? `worker="${a.worker}",${m[2]}` : `worker="${a.worker}"`;
      family(m[1]).samples.push(`${m[1]}{${labels}} ${m[3]}`);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.samples.length === 0) continue;
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return `${out.join('\n')}\n`;
}
