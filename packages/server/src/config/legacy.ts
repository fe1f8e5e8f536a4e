/**
 * Rewrites of legacy (SRS 1-4) directives into today's layout, as SRS's
 * `srs_config_transform_vhost` does on load, so old config files keep working.
 * Each rewrite adds a warning naming the place of the old form.
 */
import { Directive } from './directive.js';

/** vhost-level directives that moved into `play {}` (SRS 3). */
const TO_PLAY = new Set([
  'time_jitter', 'mix_correct', 'atc', 'atc_auto', 'mw_latency', 'gop_cache', 'queue_length',
  'send_min_interval', 'reduce_sequence_header',
]);
/** vhost-level directives that moved into `cluster {}` (SRS 3). */
const TO_CLUSTER = new Set(['mode', 'origin', 'token_traverse', 'vhost', 'debug_srs_upnode']);

export function rewriteLegacy(root: Directive, warnings: string[]): void {
  const warn = (d: Directive, what: string) => warnings.push(`${d.file}:${d.line}: legacy ${what}`);

  for (const dir of root.children) {
    if (dir.name === 'http_stream') {
      warn(dir, `'http_stream' read as 'http_server'`);
      dir.name = 'http_server';
      continue;
    }
    if (dir.name === 'rtc_server') {
      // Removed in SRS 4 and ignored since.
      dir.children = dir.children.filter((c) => c.name !== 'perf_stat' && c.name !== 'queue_length');
      continue;
    }
    if (dir.name === 'vhost') rewriteVhost(dir, warn);
  }
}

/** `name args` copied into `block.name` (replacing an existing one, as SRS's get_or_create does). */
function moveInto(block: Directive, name: string, from: Directive): void {
  const d = block.getOrCreate(name);
  d.args = [...from.args];
  d.file = from.file;
  d.line = from.line;
}

function rewriteVhost(vhost: Directive, warn: (d: Directive, what: string) => void): void {
  const kept: Directive[] = [];
  // Rewrites create blocks (play, publish...) on the vhost while we walk its old children, so
  // the new ones are collected in `vhost.children` and merged with the kept ones at the end.
  const old = vhost.children;
  vhost.children = [];
  const target = (name: string): Directive => {
    // Like SRS's get_or_create: an existing block anywhere in the vhost, even later in the file.
    let d = old.find((c) => c.name === name && c.isBlock) ?? vhost.children.find((c) => c.name === name);
    if (!d) {
      d = new Directive(name, [], [], vhost.file, vhost.line);
      d.isBlock = true;
      vhost.children.push(d);
    }
    return d;
  };

  for (const c of old) {
    const n = c.name;
    if (n === 'http') {
      warn(c, `vhost 'http' read as 'http_static'`);
      c.name = 'http_static';
      kept.push(c);
    } else if (n === 'http_remux') {
      c.children = c.children.filter((x) => x.name !== 'hstrs'); // always on since SRS 3
      kept.push(c);
    } else if ((n === 'refer' && c.children.length === 0 && !c.isBlock) || n === 'refer_play' || n === 'refer_publish') {
      const refer = target('refer');
      refer.getOrCreate('enabled', ['on']);
      moveInto(refer, n === 'refer' ? 'all' : n.slice('refer_'.length), c);
      warn(c, `'${n}' read as 'refer { ${n === 'refer' ? 'all' : n.slice(6)} }'`);
    } else if (n === 'mr') {
      const publish = target('publish');
      const enabled = c.get('enabled');
      const latency = c.get('latency');
      if (enabled) moveInto(publish, 'mr', enabled);
      if (latency) moveInto(publish, 'mr_latency', latency);
      if (!c.isBlock && c.args.length > 0) moveInto(publish, 'mr', c); // `mr on;` (tsrs leniency)
      warn(c, `'mr' read as 'publish { mr; mr_latency; }'`);
    } else if (n === 'publish_1stpkt_timeout' || n === 'publish_normal_timeout') {
      const to = n === 'publish_1stpkt_timeout' ? 'firstpkt_timeout' : 'normal_timeout';
      moveInto(target('publish'), to, c);
      warn(c, `'${n}' read as 'publish { ${to} }'`);
    } else if (TO_PLAY.has(n)) {
      moveInto(target('play'), n, c);
      warn(c, `vhost '${n}' read as 'play { ${n} }'`);
    } else if (n === 'forward' && c.children.length === 0 && !c.isBlock && c.args.length > 0) {
      const fwd = new Directive('forward', [], [], c.file, c.line);
      fwd.isBlock = true;
      fwd.children.push(new Directive('enabled', ['on'], [], c.file, c.line));
      fwd.children.push(new Directive('destination', [...c.args], [], c.file, c.line));
      kept.push(fwd);
      warn(c, `'forward ${c.args.join(' ')}' read as 'forward { enabled on; destination ...; }'`);
    } else if (TO_CLUSTER.has(n)) {
      moveInto(target('cluster'), n, c);
      warn(c, `vhost '${n}' read as 'cluster { ${n} }'`);
    } else if (n === 'nack' || n === 'twcc') {
      const rtc = target('rtc');
      const enabled = c.get('enabled');
      if (enabled) moveInto(rtc, n, enabled);
      const noCopy = c.get('no_copy');
      if (n === 'nack' && noCopy) moveInto(rtc, 'nack_no_copy', noCopy);
      warn(c, `vhost '${n} {}' read as 'rtc { ${n} }'`);
    } else {
      kept.push(c);
    }
  }
  vhost.children = [...kept, ...vhost.children];
}
