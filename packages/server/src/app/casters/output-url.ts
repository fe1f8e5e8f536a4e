/**
 * A stream caster's `output` (SRS's stream_caster.output): the RTMP URL its streams would be
 * pushed to, which tsrs reads only for the names: `rtmp://host[:port]/app/stream[?vhost=v]`,
 * with `[app]` and `[stream]` filled from the request (the flv caster's POST path). tsrs
 * publishes straight into that stream; nothing is sent over RTMP.
 */
import { parseRtmpUrl } from '../../protocol/rtmp/url.js';

export interface CasterStream {
  /** the vhost the URL asks for (`?vhost=`, else its host); the caller resolves it */
  vhost: string;
  app: string;
  stream: string;
  /** the URL's query, with its '?', as hooks get it ('' when none) */
  param: string;
  /** the URL without the stream, as an RTMP publisher's tcUrl */
  tcUrl: string;
}

/**
 * Fills `[app]` and `[stream]` (also `[vhost]`) into `output` and splits the result into the
 * stream it names. The last path level is the stream, the levels before it the app.
 * Undefined when the URL names no app or no stream.
 */
export function casterStream(output: string, vars: { app?: string; stream?: string; vhost?: string }): CasterStream | undefined {
  const filled = output
    .trim()
    .replaceAll('[app]', vars.app ?? '')
    .replaceAll('[stream]', vars.stream ?? '')
    .replaceAll('[vhost]', vars.vhost ?? '');
  const q = filled.indexOf('?');
  const path = q >= 0 ? filled.slice(0, q) : filled;
  const query = q >= 0 ? filled.slice(q) : '';
  const slash = path.lastIndexOf('/');
  if (slash < 0 || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/./i.test(path)) return undefined;
  const tcUrl = path.slice(0, slash);
  const url = parseRtmpUrl(tcUrl, path.slice(slash + 1) + query);
  if (!url.app || !url.stream) return undefined;
  return { vhost: url.vhost, app: url.app, stream: url.stream, param: url.param, tcUrl };
}
