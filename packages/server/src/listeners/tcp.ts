import type { Socket } from 'node:net';

/** The peer's IP as SRS reports it (IPv4-mapped IPv6 addresses unwrapped). */
export function peerIp(socket: Socket): string {
  const ip = socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** Host for `listen` endpoints: SRS binds every address when no ip is given. */
export function bindHost(host: string | undefined): string | undefined {
  return host === undefined || host === '' ? undefined : host;
}
