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

/**
 * Global sections: `rtc_server` over TCP, `srt_server`, `heartbeat`,
 * `tencentcloud_cls`/`tencentcloud_apm`, `srs_log_tank file`, `stream_caster` (the casters tsrs
 * does not run).
 */
export function globalNotYet(root: Directive, g: GlobalView, file: string): string[] {
  const out: string[] = [];
  const warn = (name: string, what: string) => out.push(`${where(root.get(name), `${file}:1`)}: ${name} is on, but tsrs does not run ${what} yet: ignored`);
  // WebRTC publishers over UDP are run (WHIP, /rtc/v1/publish/); ICE over TCP is not.
  if (g.rtc_server.enabled && (g.rtc_server.protocol !== 'udp' || g.rtc_server.tcp.enabled)) {
    out.push(`${where(root.get('rtc_server'), `${file}:1`)}: rtc_server: WebRTC over TCP (tcp, protocol tcp/all) is not run by tsrs yet: UDP only`);
  }
  if (g.srt_server.enabled) warn('srt_server', 'SRT');
  if (g.heartbeat.enabled) warn('heartbeat', 'the heartbeat (no POST to its url)');
  for (const name of ['tencentcloud_cls', 'tencentcloud_apm']) {
    if (root.get(name)?.get('enabled')?.arg0 === 'on') warn(name, 'Tencent Cloud logging or tracing');
  }
  // (SRS's default tank is file too, but tsrs's logging on stdout is documented; only a written one is named)
  if (root.get('srs_log_tank') && g.srs_log_tank === 'file') {
    out.push(`${where(root.get('srs_log_tank'), `${file}:1`)}: srs_log_tank file: tsrs does not write a log file yet, it logs to the console (stdout): srs_log_file ignored`);
  }
  for (const c of root.getAll('stream_caster')) {
    const enabled = c.get('enabled')?.arg0 === 'on';
    const caster = c.get('caster')?.arg0 ?? '';
    if (enabled && !RUN_CASTERS.includes(caster)) {
      out.push(`${c.file}:${c.line}: stream_caster ${caster || '(no caster)'} is on, but tsrs does not run that caster yet (only ${RUN_CASTERS.join(', ')}): ignored`);
    }
  }
  return out;
}

/** Vhost sections: an edge's `cluster.protocol` other than rtmp, `rtc` (players), `srt`, `dash`, `hds`. */
export function vhostNotYet(d: Directive, v: VhostView): string[] {
  const out: string[] = [];
  const warn = (name: string, text: string, at = d.get(name)) => out.push(`${where(at, d)}: vhost ${v.name}: ${text}`);
  const off = (what: string) => `${what} is on, but tsrs does not run it yet: ignored`;
  if (v.cluster.mode === 'remote' && v.cluster.protocol !== 'rtmp') {
    warn('cluster', `cluster protocol ${v.cluster.protocol} is not run by tsrs yet: the edge pulls over RTMP`);
  }
  if (v.cluster.mode === 'remote' && v.hls.enabled) warn('hls', 'hls on an edge is not run (edges keep HLS off, as SRS recommends): serve HLS from the origin');
  // WebRTC publishers into RTMP streams and WebRTC players of them (rtmp_to_rtc) are run.
  // tsrs has one Source per stream: a WHIP stream reaches RTMP, HTTP-FLV and HLS players either way
  if (v.rtc.enabled && !v.rtc.rtc_to_rtmp) warn('rtc', 'rtc_to_rtmp off is not run by tsrs: a WebRTC publisher\'s stream reaches RTMP, HTTP-FLV and HLS players all the same (one Source per stream)');
  if (v.srt.enabled) warn('srt', off('srt'));
  if (v.dash.enabled) warn('dash', off('dash'));
  if (v.hds.enabled) warn('hds', off('hds'));
  return out;
}
