/** The default vhost's name, which SRS's stream urls leave out. */
const DEFAULT_VHOST = '__defaultVhost__';

/** SRS's stream url of a stream (the API's `url`, hooks' `stream_url`): `[vhost]/app/stream`, without the default vhost. */
export function srsStreamUrl(vhost: string, app: string, stream: string): string {
  return `${vhost === DEFAULT_VHOST ? '' : vhost}/${app}/${stream}`;
}
