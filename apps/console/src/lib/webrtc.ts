/**
 * WHIP (publish) and WHEP (play) signalling against tsrs / SRS: POST the SDP offer as
 * application/sdp, get the answer (201, or 200 on SRS 4) and a Location for DELETE on hang-up.
 */
import { authHeader } from './settings';

export class RtcUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtcUnavailableError';
  }
}

export interface RtcSession {
  pc: RTCPeerConnection;
  close(): Promise<void>;
}

/** Longest wait for a host candidate before the offer goes without one, ms. */
export const ICE_GATHERING_WAIT_MS = 1000;

/**
 * Resolves once the offer can go: ICE gathering is complete, or a host candidate has been
 * gathered (enough: the server is ICE-lite and answers the browser's connectivity checks on its
 * one candidate, learning the browser's address from them), or after `ms` at most (then the offer
 * goes with what there is). Slow candidates (server-reflexive or relayed ones from STUN/TURN
 * servers) are not waited for: the server does no trickle ICE and would never get them anyway.
 */
export function iceReady(pc: RTCPeerConnection, ms = ICE_GATHERING_WAIT_MS): Promise<void> {
  const hasHost = () => /^a=candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ host/m.test(pc.localDescription?.sdp ?? '');
  if (pc.iceGatheringState === 'complete' || hasHost()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', check);
      pc.removeEventListener('icecandidate', check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete' || hasHost()) done();
    };
    const timer = setTimeout(done, ms);
    pc.addEventListener('icegatheringstatechange', check);
    pc.addEventListener('icecandidate', check);
  });
}

async function exchange(pc: RTCPeerConnection, url: string): Promise<string | null> {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  // no trickle ICE (SRS and tsrs): the offer goes once a host candidate is in it (bounded)
  await iceReady(pc);
  const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
  const auth = authHeader();
  if (auth) headers.Authorization = auth;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: pc.localDescription?.sdp ?? offer.sdp ?? '' });
  } catch (e) {
    // A missing route often answers without CORS headers, which the browser reports as a network
    // error. If the API itself answers, the server is up and simply has no WebRTC signalling.
    const probe = new URL('/api/v1/versions', url).toString();
    const apiUp = await fetch(probe, { headers: auth ? { Authorization: auth } : {} })
      .then((r) => r.ok || r.status === 401)
      .catch(() => false);
    if (apiUp) throw new RtcUnavailableError(`WebRTC is not enabled on this server (${new URL(url).pathname} did not answer, the API did)`);
    throw new Error(`Cannot reach ${new URL(url).origin} (${(e as Error).message})`);
  }
  const text = await res.text();
  if (res.status === 404 || res.status === 405 || res.status === 501) {
    throw new RtcUnavailableError(`WebRTC is not enabled on this server (HTTP ${res.status} from ${new URL(url).pathname})`);
  }
  if (!res.ok) throw new Error(`WebRTC signalling failed: HTTP ${res.status}${text ? ` — ${text.slice(0, 200)}` : ''}`);
  if (text.trim().startsWith('{')) {
    // SRS-style JSON error (e.g. {"code":400} when rtc_server is off or the stream is busy)
    let code = -1;
    try {
      code = (JSON.parse(text) as { code?: number }).code ?? -1;
    } catch {
      /* not JSON */
    }
    throw new RtcUnavailableError(
      `The server refused the WebRTC session (code ${code}). WebRTC may not be enabled (rtc_server / vhost rtc), or the stream is not available.`,
    );
  }
  if (!text.includes('v=0')) throw new Error('The server answered without an SDP');
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  const loc = res.headers.get('Location');
  return loc ? new URL(loc, url).toString() : null;
}

function closer(pc: RTCPeerConnection, location: string | null): () => Promise<void> {
  return async () => {
    pc.getSenders().forEach((s) => s.track?.stop());
    pc.close();
    if (location) {
      const auth = authHeader();
      await fetch(location, { method: 'DELETE', headers: auth ? { Authorization: auth } : {} }).catch(() => undefined);
    }
  };
}

/** Signals `pc` at `url`: the session, or the peer connection closed and the error thrown. */
async function session(pc: RTCPeerConnection, url: string): Promise<RtcSession> {
  try {
    const loc = await exchange(pc, url);
    return { pc, close: closer(pc, loc) };
  } catch (e) {
    pc.close();
    throw e;
  }
}

/** Plays with WHEP; `onTrack` receives the remote MediaStream. */
export async function whepPlay(url: string, onStream: (s: MediaStream) => void): Promise<RtcSession> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  const ms = new MediaStream();
  pc.ontrack = (ev) => {
    ms.addTrack(ev.track);
    onStream(ms);
  };
  return session(pc, url);
}

/** Publishes a local MediaStream with WHIP. */
export async function whipPublish(url: string, stream: MediaStream): Promise<RtcSession> {
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  return session(pc, url);
}
