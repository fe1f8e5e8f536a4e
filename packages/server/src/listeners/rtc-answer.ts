/**
 * The SDP answer of a WebRTC session on the shared UDP port, for WHIP/WHEP publishers and
 * players alike: the offer is applied inside the session's mux context (so werift's ICE
 * transports bind to the one socket of protocol/rtc/udp-mux.ts) without its mode-0 H.264 formats
 * (protocol/rtc/sdp-h264.ts), the answer must carry H.264
 * (packetization-mode 1) or Opus, and the answer's ICE ufrag is bound to the session so STUN
 * from a new address finds it.
 */
import type { RTCPeerConnection } from 'werift';
import { RtcErrorCode } from '@tsrs/api-types';
import { iceUfrag } from '../protocol/rtc/sdp-candidates.js';
import { keepH264Mode1 } from '../protocol/rtc/sdp-h264.js';
import type { MuxSession, RtcUdpMux } from '../protocol/rtc/udp-mux.js';
import type { RtcOfferRequest } from '../api/routes-rtc.js';
import { Client, type ClientTransport } from '../app/client.js';

/** A refused WebRTC request: SRS's error code and the HTTP status WHIP/WHEP answer with. */
export class RtcError extends Error {
  constructor(
    message: string,
    /** SRS error code, answered as `{"code":N}` */
    readonly code: number,
    /** the status WHIP answers with */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/**
 * Answers `offer` on `pc`. `media` words the refusal when the offer has neither codec (e.g.
 * "has" for a publisher's offer, "receives" for a player's).
 * Returns the answer SDP (host candidates not yet set) and the session id
 * `<answer ufrag>:<offer ufrag>`.
 * Throws RtcError 5012 (SdpDecode, 400) for an offer werift cannot parse; 5018 (SdpExchange,
 * 400) when negotiation fails or the answer has no H.264/Opus; 5018 with 500 without an ICE ufrag.
 */
export async function answerOnMux(
  mux: RtcUdpMux,
  session: MuxSession,
  pc: RTCPeerConnection,
  offer: string,
  media: 'has' | 'receives',
): Promise<{ sdp: string; id: string }> {
  let answer: string;
  try {
    answer = await mux.run(session, async () => {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: keepH264Mode1(offer) });
      } catch (err) {
        throw new RtcError(`bad SDP offer: ${(err as Error).message}`, RtcErrorCode.SdpDecode, 400);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription!.sdp;
    });
  } catch (err) {
    if (err instanceof RtcError) throw err;
    throw new RtcError(`SDP negotiation failed: ${(err as Error).message}`, RtcErrorCode.SdpExchange, 400);
  }
  if (!/^m=(audio|video) [1-9]/m.test(answer) || !/^a=rtpmap:\d+ (H264|opus)\//im.test(answer)) {
    throw new RtcError(`the offer ${media} neither H.264 (packetization-mode 1) nor Opus`, RtcErrorCode.SdpExchange, 400);
  }
  const ufrag = iceUfrag(answer);
  if (!ufrag) throw new RtcError('no ICE ufrag in the answer', RtcErrorCode.SdpExchange, 500);
  mux.bindUfrag(session, ufrag, /^a=ice-pwd:(\S+)/m.exec(answer)?.[1]);
  return { sdp: answer, id: `${ufrag}:${iceUfrag(offer) ?? ''}` };
}

/**
 * The hub's Client of a WebRTC publisher or player: the request's names, address and query
 * (hooks get them as for RTMP) and a `webrtc://HOST/APP` tcUrl.
 */
export function rtcClient(type: 'rtc-publish' | 'rtc-play', req: RtcOfferRequest, vhost: string, transport: ClientTransport): Client {
  return new Client({
    ip: req.ip,
    type,
    vhost,
    app: req.app,
    stream: req.stream,
    param: req.param,
    tcUrl: `webrtc://${req.vhost || '127.0.0.1'}/${req.app}`,
    transport,
  });
}
