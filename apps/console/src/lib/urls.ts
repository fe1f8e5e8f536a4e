/** Play URLs of a stream for the protocols tsrs serves, built from the configured origins. */
import { apiBase, getSettings, httpBase, rtmpPort } from './settings';

export type PlayProtocol = 'flv' | 'hls' | 'webrtc';

export interface StreamRef {
  app: string;
  stream: string;
  /** vhost name; __defaultVhost__ or empty is left out */
  vhost?: string;
}

function vhostQuery(vhost?: string): string {
  return vhost && vhost !== '__defaultVhost__' ? `?vhost=${encodeURIComponent(vhost)}` : '';
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return '127.0.0.1';
  }
}

/** `host` of an API origin, with `:port` when the port is not SRS's 1985. */
function apiHostPort(origin: string): string {
  try {
    const u = new URL(origin);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return port === '1985' ? u.hostname : `${u.hostname}:${port}`;
  } catch {
    return '127.0.0.1';
  }
}

export function playUrls(ref: StreamRef): { rtmp: string; flv: string; hls: string; webrtc: string; whep: string } {
  const s = getSettings();
  const http = httpBase(s);
  const host = hostOf(http);
  const port = rtmpPort(s);
  const rtmpHost = port !== 1935 ? `${host}:${port}` : host;
  // webrtc://host[:port]: the port is the API's (SRS's players and SDKs default to 1985)
  const api = apiHostPort(apiBase(s));
  const vq = vhostQuery(ref.vhost);
  const path = `${encodeURIComponent(ref.app)}/${encodeURIComponent(ref.stream)}`;
  return {
    rtmp: `rtmp://${rtmpHost}/${path}${vq}`,
    flv: `${http}/${path}.flv${vq}`,
    hls: `${http}/${path}.m3u8${vq}`,
    webrtc: `webrtc://${api}/${path}${vq}`,
    whep: whepUrl(ref),
  };
}

export function whepUrl(ref: StreamRef): string {
  const u = new URL('/rtc/v1/whep/', apiBase() + '/');
  u.searchParams.set('app', ref.app);
  u.searchParams.set('stream', ref.stream);
  if (ref.vhost && ref.vhost !== '__defaultVhost__') u.searchParams.set('vhost', ref.vhost);
  return u.toString();
}

export function whipUrl(ref: StreamRef): string {
  const u = new URL('/rtc/v1/whip/', apiBase() + '/');
  u.searchParams.set('app', ref.app);
  u.searchParams.set('stream', ref.stream);
  if (ref.vhost && ref.vhost !== '__defaultVhost__') u.searchParams.set('vhost', ref.vhost);
  return u.toString();
}

/** Parses webrtc://host[:port]/app/stream[?query] into app/stream. */
export function parseStreamUrl(url: string): (StreamRef & { host: string; query: URLSearchParams }) | null {
  try {
    const u = new URL(url.replace(/^webrtc:/i, 'http:').replace(/^rtmp:/i, 'http:'));
    const parts = u.pathname.split('/').filter(Boolean);
    if (parts.length < 2) return null;
    let stream = decodeURIComponent(parts[parts.length - 1]);
    stream = stream.replace(/\.(flv|m3u8|ts|mp4)$/i, '');
    const app = parts.slice(0, -1).map(decodeURIComponent).join('/');
    return { app, stream, vhost: u.searchParams.get('vhost') ?? undefined, host: u.host, query: u.searchParams };
  } catch {
    return null;
  }
}
