/**
 * The server's ICE candidates in an SDP answer: whatever the ICE agent gathered is replaced by one
 * host candidate per configured address (SRS's `rtc_server.candidate`), all on the shared port.
 * RFC 8839 5.1: `a=candidate:<foundation> <component> udp <priority> <address> <port> typ host`.
 */

/** Replaces every `a=candidate` line of each media section with `addresses` (`ip` or `ip:port`) on `port` (or their own). */
export function setHostCandidates(sdp: string, addresses: readonly string[], port: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const out: string[] = [];
  const candidates = addresses.map((a, i) => {
    // `address` or `address:port` (a NAT's outside port, SRS's `?eip=ip:port`)
    const [ip, own] = a.split(':');
    // priority per RFC 8445 5.1.2.1: type preference 126 (host), local preference by order, component 1
    return `a=candidate:${i + 1} 1 udp ${(126 << 24) + ((65535 - i) << 8) + 255} ${ip} ${own ?? port} typ host`;
  });
  for (const line of lines) {
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    out.push(line);
    if (line.startsWith('m=')) out.push(...candidates, 'a=end-of-candidates');
  }
  return out.join(eol);
}

/** The `a=ice-ufrag` of the first media section (or the session level), or undefined. */
export function iceUfrag(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}
