/**
 * H.264 in an SDP offer reduced to what tsrs packetizes and depacketizes: packetization-mode 1
 * (RFC 6184 5.8: single NAL unit, STAP-A and FU-A; a format without `packetization-mode` is
 * mode 0). Browsers offer each H.264 profile twice, in mode 1 and mode 0, plus an RTX format
 * (RFC 4588, `apt=`) for each; werift matches formats by name only and would accept the mode-0
 * ones too, so tsrs drops them (and their RTX) from the offer before answering. Pure.
 */

/** `sdp` with the mode-0 H.264 formats and their RTX removed from every m=video section. */
export function keepH264Mode1(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    out.push(...(section[0]?.startsWith('m=video ') ? filterVideo(section) : section));
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  return out.join(eol);
}

function filterVideo(section: string[]): string[] {
  const names = new Map<string, string>();
  const fmtp = new Map<string, string>();
  for (const line of section) {
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(line);
    if (rtpmap) names.set(rtpmap[1], rtpmap[2].toUpperCase());
    const f = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (f) fmtp.set(f[1], f[2]);
  }
  const h264 = [...names].filter(([, n]) => n === 'H264').map(([pt]) => pt);
  const mode0 = new Set(h264.filter((pt) => !/(^|;)\s*packetization-mode=1\s*(;|$)/.test(fmtp.get(pt) ?? '')));
  if (mode0.size === 0 || mode0.size === h264.length) return section; // nothing to drop, or nothing would be left
  for (const [pt, n] of names) {
    const apt = /(^|;)\s*apt=(\d+)/.exec(fmtp.get(pt) ?? '')?.[2];
    if (n === 'RTX' && apt && mode0.has(apt)) mode0.add(pt);
  }
  const [m, ...rest] = section;
  const fields = m.split(' ');
  const kept = [...fields.slice(0, 3), ...fields.slice(3).filter((pt) => !mode0.has(pt))].join(' ');
  return [kept, ...rest.filter((line) => !mode0.has(/^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(line)?.[1] ?? ''))];
}
