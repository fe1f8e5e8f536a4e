/**
 * Sections of srs.conf that tsrs reads but does not run yet: each one that is turned on gets one
 * warning at its FILE:LINE, at `tsrs -t` and at start, so that (say) an edge config does not
 * quietly run as an origin.
 */
import type { Directive } from './directive.js';
import type { GlobalView, VhostView } from './config.js';

const where = (d: Directive | undefined, fallback: Directive | string): string =>
  d ? `${d.file}:${d.line}` : typeof fallback === 'string' ? fallback : `${fallback.file}:${fallback.line}`;

/** The `stream_caster` kinds tsrs runs (others, such as gb28181, are warned about). */
export const RUN_CASTERS: readonly string[] = ['flv', 'mpegts_over_udp'];

/** Global sections: `rtc_server`, `srt_server`, `stream_caster` (the casters tsrs does not run). */
export function globalNotYet(root: Directive, g: GlobalView, file: string): string[] {
  const out: string[] = [];
  const warn = (name: string, what: string) => out.push(`${where(root.get(name), `${file}:1`)}: ${name} is on, but tsrs does not run ${what} yet: ignored`);
  if (g.rtc_server.enabled) warn('rtc_server', 'WebRTC (WHIP/WHEP, /rtc/v1/)');
  if (g.srt_server.enabled) warn('srt_server', 'SRT');
  for (const c of root.getAll('stream_caster')) {
    const enabled = c.get('enabled')?.arg0 === 'on';
    const caster = c.get('caster')?.arg0 ?? '';
    if (enabled && !RUN_CASTERS.includes(caster)) {
      out.push(`${c.file}:${c.line}: stream_caster ${caster || '(no caster)'} is on, but tsrs does not run that caster yet (only ${RUN_CASTERS.join(', ')}): ignored`);
    }
  }
  return out;
}

/** Vhost sections: edge `cluster`, `forward`, `rtc`, `srt`, `dash`, `hds`. */
export function vhostNotYet(d: Directive, v: VhostView): string[] {
  const out: string[] = [];
  const warn = (name: string, text: string, at = d.get(name)) => out.push(`${where(at, d)}: vhost ${v.name}: ${text}`);
  const off = (what: string) => `${what} is on, but tsrs does not run it yet: ignored`;
  if (v.cluster.mode === 'remote') {
    warn('cluster', `cluster mode remote (an edge of ${v.cluster.origin.join(' ') || 'no origin'}) is not run by tsrs yet: the vhost runs as an origin`);
  }
  if (v.cluster.origin_cluster) warn('cluster', off('origin_cluster'));
  if (v.forward.enabled) warn('forward', off('forward'));
  if (v.rtc.enabled) warn('rtc', off('rtc (WebRTC)'));
  if (v.srt.enabled) warn('srt', off('srt'));
  if (v.dash.enabled) warn('dash', off('dash'));
  if (v.hds.enabled) warn('hds', off('hds'));
  return out;
}
