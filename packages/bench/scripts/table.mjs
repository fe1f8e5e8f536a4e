#!/usr/bin/env node
// results.jsonl (from measure.sh) -> a Markdown table.   node scripts/table.mjs [results.jsonl]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('../results.jsonl', import.meta.url).pathname;
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const cols = ['server', 'proto', 'Mbps', 'players held / asked', 'server CPU', 'players per core', 'server RSS (KiB/player)', 'CPU % per Gbit/s', 'delay p50 / p95 / max ms', 'client CPU', 'load avg (1 min)'];
console.log(`| ${cols.join(' | ')} |`);
console.log(`|${cols.map(() => '---').join('|')}|`);
for (const r of rows) {
  const mbps = r.bitrate === '2m' ? '2' : '0.5';
  console.log(
    `| ${r.server} | ${r.proto} | ${mbps} | ${r.connected} / ${r.target}${r.failed ? ` (${r.failed} failed)` : ''} | ${r.server_cpu_pct}% | ${r.players_per_core ?? '-'} | ` +
      `${r.server_rss_mb} MB (${r.rss_kib_per_player}) | ${r.cpu_pct_per_gbps ?? '-'} | ${r.lag_ms_p50 ?? '-'} / ${r.lag_ms_p95 ?? '-'} / ${r.lag_ms_max ?? '-'} | ${r.client_cpu_pct}% | ${r.loadavg ? r.loadavg[0] : '-'} |`,
  );
}
