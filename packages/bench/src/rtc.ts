/**
 * What the bench's WebRTC clients (WHEP players, WHIP publisher) share: a werift peer connection
 * for loopback benchmarks and the WHIP/WHEP exchange (RFC 9725 and the WHEP draft as tsrs and SRS
 * serve them at /rtc/v1/whip/ and /rtc/v1/whep/: POST an SDP offer, 201 with the answer and a
 * Location to DELETE when done).
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

/** H.264 constrained baseline, packetization-mode 1 (what tsrs and browsers negotiate) with NACK and PLI. */
export const h264Codec = () =>
  new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90_000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
export const opusCodec = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 });

const LOOPBACK = new Set(['127.0.0.1', 'localhost']);
const GATHER_TIMEOUT_MS = 5000;
const SIGNAL_TIMEOUT_MS = 30_000;
/** an SDP answer is a few KiB; anything far larger is not one */
const MAX_ANSWER = 64 * 1024;

/**
 * A peer connection for a server at `url`'s host: one bundled transport (werift leaves the UDP
 * socket of an unbundled one open after close), IPv4 only; for a loopback server it adds the
 * 127.0.0.1 host candidate and pairs only that one (a LAN candidate would pair as well).
 */
export function benchPeer(url: string, audio: boolean): RTCPeerConnection {
  const loopback = LOOPBACK.has(new URL(url).hostname);
  return new RTCPeerConnection({
    iceServers: [],
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    ...(loopback ? { iceAdditionalHostAddresses: ['127.0.0.1'], iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1' } : {}),
    codecs: { video: [h264Codec()], audio: audio ? [opusCodec()] : [] },
  });
}

/** Makes the offer and waits (bounded) until it carries a host candidate, which WHIP/WHEP need (no trickle). */
export async function localOffer(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  const until = Date.now() + GATHER_TIMEOUT_MS;
  while (!/ typ host/.test(pc.localDescription?.sdp ?? '')) {
    if (Date.now() > until) throw new Error('no ICE host candidate gathered');
    await new Promise((r) => setTimeout(r, 20));
  }
  return pc.localDescription!.sdp;
}

export interface WhipSession {
  answer: string;
  /** the session resource (absolute URL), DELETE ends it */
  location: string | undefined;
}

/** POSTs `offer` to a WHIP or WHEP endpoint; throws unless it answers 201 with an SDP. */
export async function postOffer(url: string, offer: string, token?: string): Promise<WhipSession> {
  const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', body: offer, headers, signal: AbortSignal.timeout(SIGNAL_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 120)}`);
  if (text.length > MAX_ANSWER || !text.startsWith('v=0')) throw new Error('the answer is not an SDP');
  const loc = res.headers.get('location');
  return { answer: text, location: loc ? new URL(loc, url).href : undefined };
}

/** Ends a WHIP/WHEP session (best effort, bounded). */
export async function deleteSession(location: string | undefined): Promise<void> {
  if (!location) return;
  await fetch(location, { method: 'DELETE', signal: AbortSignal.timeout(SIGNAL_TIMEOUT_MS) }).then(
    (r) => r.body?.cancel(),
    () => {},
  );
}
