/** How history names a client's protocol and URL, from its SRS client type. */
import type { Client, ClientType } from '../app/client.js';

const PROTOCOLS: Partial<Record<ClientType, string>> = {
  'rtmp-play': 'rtmp',
  'flash-publish': 'rtmp',
  'fmle-publish': 'rtmp',
  'haivision-publish': 'rtmp',
  'flv-play': 'http-flv',
  'ts-play': 'http-ts',
  'aac-play': 'http-aac',
  'mp3-play': 'http-mp3',
  'hls-play': 'hls',
  'rtc-play': 'webrtc',
  'rtc-publish': 'webrtc',
  'srt-play': 'srt',
  'srt-publish': 'srt',
  'rtmp-forwarder': 'rtmp',
};

/** File extension of HTTP stream types (their URL is `.../stream.flv` and so on). */
const EXTENSIONS: Partial<Record<ClientType, string>> = {
  'flv-play': '.flv',
  'ts-play': '.ts',
  'aac-play': '.aac',
  'mp3-play': '.mp3',
  'hls-play': '.m3u8',
};

export function protocolOf(type: ClientType, own?: string): string {
  return own ?? PROTOCOLS[type] ?? 'unknown';
}

/** The URL the client asked for, as well as we know it: tcUrl + stream (+ extension) + query. */
export function urlOf(c: Client): string {
  const base = c.tcUrl ? c.tcUrl.replace(/\/+$/, '') : `/${c.app}`;
  return `${base}/${c.stream}${EXTENSIONS[c.type] ?? ''}${c.param}`;
}
