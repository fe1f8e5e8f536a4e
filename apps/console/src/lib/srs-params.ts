/**
 * SRS's player pages take their stream from the query: srs_player.html
 * (?url=http://h:8080/live/s.flv or ?app=&stream=s.flv&server=&port=&schema=&vhost=&autostart=),
 * rtc_player.html and rtc_publisher.html (?url=webrtc://h/app/s or ?app=&stream=&server=&port=...).
 * The console's /player/ and /publisher/ pages accept the same parameters.
 */
import { apiBase, httpBase } from './settings';
import { parseStreamUrl, type StreamRef } from './urls';

export type PlayKind = 'flv' | 'hls' | 'webrtc' | 'mp4';

export interface PlayTarget {
  kind: PlayKind;
  /** what the user sees/edits: http(s)://...flv|m3u8|mp4 or webrtc://host/app/stream */
  url: string;
  ref: StreamRef | null;
}

function bool(v: string | null): boolean {
  return v === '1' || v === 'true' || v === 'yes' || v === 'on';
}

export function autostart(q: URLSearchParams): boolean {
  return bool(q.get('autostart'));
}

export function kindOfUrl(url: string): PlayKind | null {
  const u = url.trim().toLowerCase();
  if (u.startsWith('webrtc://')) return 'webrtc';
  const path = u.split('?')[0];
  if (path.endsWith('.flv')) return 'flv';
  if (path.endsWith('.m3u8')) return 'hls';
  if (path.endsWith('.mp4')) return 'mp4';
  return null;
}

/** Builds the play target from SRS-style query parameters; null when the query names no stream. */
export function targetFromQuery(q: URLSearchParams): PlayTarget | null {
  const url = q.get('url');
  const forced = q.get('protocol') as PlayKind | null;
  if (url) {
    const kind = forced ?? kindOfUrl(url) ?? 'flv';
    return { kind, url, ref: parseStreamUrl(url) };
  }
  const streamParam = q.get('stream');
  if (!streamParam) return null;
  const app = q.get('app') || 'live';
  const ext = /\.(flv|m3u8|mp4)$/i.exec(streamParam)?.[1]?.toLowerCase();
  const stream = streamParam.replace(/\.(flv|m3u8|mp4)$/i, '');
  const vhost = q.get('vhost') || undefined;
  // A stream name without extension is what rtc_player.html passes: WebRTC.
  const kind: PlayKind = forced ?? (ext === 'flv' ? 'flv' : ext === 'm3u8' ? 'hls' : ext === 'mp4' ? 'mp4' : 'webrtc');
  const server = q.get('server');
  const port = q.get('port');
  const schema = (q.get('schema') || (typeof window !== 'undefined' ? window.location.protocol.replace(':', '') : 'http')).replace(/:$/, '');
  const ref: StreamRef = { app, stream, vhost };
  const vq = vhost ? `?vhost=${encodeURIComponent(vhost)}` : '';
  if (kind === 'webrtc') {
    // SRS's rtc_player.html puts its `api` port in the webrtc:// URL (webrtc://server:api/app/s).
    const api = /^\d{1,5}$/.test(q.get('api') ?? '') ? q.get('api') : port;
    const host = server ? `${server}${api ? `:${api}` : ''}` : new URL(apiBase()).host;
    return { kind, url: `webrtc://${host}/${app}/${stream}${vq}`, ref };
  }
  const origin = server ? `${schema}://${server}${port ? `:${port}` : ''}` : httpBase();
  const suffix = kind === 'flv' ? '.flv' : kind === 'hls' ? '.m3u8' : '.mp4';
  return { kind, url: `${origin}/${app}/${stream}${suffix}${vq}`, ref };
}

/** webrtc://host[:port]/app/stream -> the WHEP/WHIP endpoint on that host's API (port 1985 unless given). */
export function rtcEndpoint(webrtcUrl: string, action: 'whep' | 'whip'): string | null {
  const p = parseStreamUrl(webrtcUrl);
  if (!p) return null;
  const api = new URL(apiBase());
  const [hostname, port] = p.host.split(':');
  let origin: string;
  if (!hostname || hostname === api.hostname) origin = api.origin;
  else origin = `${api.protocol}//${hostname}:${port || '1985'}`;
  const u = new URL(`/rtc/v1/${action}/`, origin);
  u.searchParams.set('app', p.app);
  u.searchParams.set('stream', p.stream);
  if (p.vhost) u.searchParams.set('vhost', p.vhost);
  for (const k of ['secret', 'token', 'codec', 'eip']) {
    const v = p.query.get(k);
    if (v) u.searchParams.set(k, v);
  }
  return u.toString();
}
