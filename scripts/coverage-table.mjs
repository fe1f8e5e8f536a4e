#!/usr/bin/env node
// Prints a package's coverage per source directory, one line each, from the istanbul
// json-summary that c8 writes (`--reporter=json-summary`, coverage/coverage-summary.json).
// Usage (in a package directory, after `c8 ... node --test ...`):
//   node ../../scripts/coverage-table.mjs [coverage/coverage-summary.json]
// Columns: lines, branches and functions as percent and covered/total. Exit status 0 unless
// the summary is missing or unreadable (then 1): a table is information, never a gate.
import fs from 'node:fs';
import path from 'node:path';

const file = process.argv[2] ?? 'coverage/coverage-summary.json';
let summary;
try {
  summary = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`coverage-table: cannot read ${file}: ${err.message}`);
  process.exit(1);
}

const METRICS = ['lines', 'branches', 'functions'];
const byDir = new Map();
for (const [name, entry] of Object.entries(summary)) {
  if (name === 'total') continue;
  const dir = path.relative(process.cwd(), path.dirname(name)) || '.';
  const sums = byDir.get(dir) ?? Object.fromEntries(METRICS.map((m) => [m, { covered: 0, total: 0 }]));
  for (const m of METRICS) {
    sums[m].covered += entry[m].covered;
    sums[m].total += entry[m].total;
  }
  byDir.set(dir, sums);
}

const cell = ({ covered, total }) => {
  const pct = total === 0 ? '-' : `${((100 * covered) / total).toFixed(1)}%`;
  return `${pct.padStart(6)} ${`${covered}/${total}`.padEnd(11)}`;
};
const rows = [...byDir.keys()].sort().map((dir) => [dir, byDir.get(dir)]);
if (summary.total) rows.push(['all files', summary.total]);
const width = Math.max('coverage by directory'.length, ...rows.map(([dir]) => dir.length));
console.log(`${'coverage by directory'.padEnd(width)}  ${METRICS.map((m) => m.padStart(6).padEnd(18)).join(' ')}`);
for (const [dir, sums] of rows) console.log(`${dir.padEnd(width)}  ${METRICS.map((m) => cell(sums[m])).join(' ')}`);
