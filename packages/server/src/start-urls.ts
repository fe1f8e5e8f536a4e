/**
 * The play URLs printed at start, for `/live/livestream` on the default vhost: only those the
 * configuration serves (RTMP always; HTTP-FLV/TS/AAC/MP3 with that vhost's http_remux mount;
 * HLS with its hls on, at its hls_m3u8_file), so a newcomer never copies a URL that answers 404.
 */
import type { VhostView } from './config/config.js';

const FORMAT_NAME: Record<string, string> = { flv: 'HTTP-FLV', ts: 'HTTP-TS', aac: 'AAC', mp3: 'MP3' };

/** `[app]/[stream]` templates filled for live/livestream; undefined when other variables remain. */
function fill(template: string): string | undefined {
  const path = template.trim().replace(/^\/+/, '').replace(/^\[vhost\]\//, '').replaceAll('[app]', 'live').replaceAll('[stream]', 'livestream');
  return path.includes('[') ? undefined : `/${path}`;
}

/**
 * `rtmp` and `http` are `scheme://host:port` bases (no trailing slash); `http` undefined when
 * http_server is off. Returns "URL (what)" strings, RTMP first.
 */
export function playUrls(vhost: VhostView | undefined, rtmp: string | undefined, http: string | undefined): string[] {
  const out: string[] = [];
  if (rtmp) out.push(`${rtmp}/live/livestream (RTMP)`);
  if (!http || !vhost?.enabled) return out;
  if (vhost.http_remux.enabled) {
    const path = fill(vhost.http_remux.mount);
    const format = vhost.http_remux.mount.trim().split('.').pop()!.toLowerCase();
    if (path && FORMAT_NAME[format]) out.push(`${http}${path} (${FORMAT_NAME[format]})`);
  }
  if (vhost.hls.enabled) {
    const path = fill(vhost.hls.hls_m3u8_file);
    if (path) out.push(`${http}${path} (HLS${vhost.hls.hls_use_fmp4 ? ' fMP4' : ''})`);
  }
  return out;
}
