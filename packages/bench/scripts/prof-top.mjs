#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, top N.
//   node scripts/prof-top.mjs FILE.cpuprofile [N] [FROM_S] [TO_S]
// FROM_S/TO_S: only samples in that window (seconds from the profile's start), e.g. the steady state.
import { readFileSync } from 'node:fs';

const [file, n = '30', from = '0', to = '1e9'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const self = new Map();
const dt = prof.timeDeltas;
let t = 0;
for (let i = 0; i < prof.samples.length; i++) {
  t += dt[i] ?? 0;
  if (t / 1e6 < Number(from) || t / 1e6 > Number(to)) continue;
  const node = byId.get(prof.samples[i]);
  const f = node.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
