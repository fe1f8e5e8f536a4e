/**
 * What changed between two configs, for SIGHUP reload: SRS reloads per section, so the caller
 * restarts only the listeners and vhost outputs whose section is listed.
 */
import type { Config } from './config.js';
import { sameDirective, type Directive } from './directive.js';

/**
 * Changed sections, in a stable order:
 * - a top-level directive name for each changed global setting or block (`listen`, `http_api`,
 *   `http_server`, `rtc_server`, `srt_server`, `stream_caster`, `max_connections`, ...);
 * - `vhost:<name>:added`, `vhost:<name>:removed`, `vhost:<name>:changed`.
 * Directives are compared by name, args and children (not file/line), so moving a block to an
 * included file is no change. Changed `SRS_*`/`TSRS_*` environment is not tracked here.
 */
export function diffConfig(old: Config, next: Config): string[] {
  const out: string[] = [];
  const names = (c: Config) => c.root.children.map((d) => d.name).filter((n) => n !== 'vhost');
  for (const name of new Set([...names(old), ...names(next)])) {
    if (!sameList(old.root.getAll(name), next.root.getAll(name))) out.push(name);
  }
  const oldV = old.vhostNames();
  const newV = next.vhostNames();
  for (const name of newV) {
    if (!oldV.includes(name)) out.push(`vhost:${name}:added`);
    else if (!sameDirective(old.root.find('vhost', name), next.root.find('vhost', name))) out.push(`vhost:${name}:changed`);
  }
  for (const name of oldV) if (!newV.includes(name)) out.push(`vhost:${name}:removed`);
  return out;
}

/** The sub-blocks of one vhost that changed (`hls`, `play`, `http_hooks`...), for finer reloads. */
export function diffVhost(old: Directive | undefined, next: Directive | undefined): string[] {
  const out: string[] = [];
  const a = old?.children ?? [];
  const b = next?.children ?? [];
  for (const name of new Set([...a, ...b].map((d) => d.name))) {
    if (!sameList(a.filter((d) => d.name === name), b.filter((d) => d.name === name))) out.push(name);
  }
  return out;
}

function sameList(a: Directive[], b: Directive[]): boolean {
  return a.length === b.length && a.every((d, i) => sameDirective(d, b[i]));
}

