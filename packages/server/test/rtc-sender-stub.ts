/**
 * What RtpOut's tests stand in for werift: a DTLS-SRTP key exchange's two SRTP sessions (the
 * sending one's keys are what RtpOut protects with; the receiving one decrypts and authenticates
 * as a player would), and an `RTCRtpSender` with only the fields RtpOut reads and feeds.
 */
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, SrtpSession, type RtcpPacket, type RTCRtpSender } from 'werift';
import type { SenderInternals } from '../src/protocol/rtc/rtp-out.js';

/** A sending and a receiving SRTP session (AES_CM_128_HMAC_SHA1_80) of one DTLS-SRTP key exchange. */
export function srtpSessions(): { sender: SrtpSession; receiver: SrtpSession } {
  const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
  const swapped = { localMasterKey: keys.remoteMasterKey, localMasterSalt: keys.remoteMasterSalt, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt };
  const profile = ProtectionProfileAes128CmHmacSha1_80;
  return { sender: new SrtpSession({ keys, profile }), receiver: new SrtpSession({ keys: swapped, profile }) };
}

/**
 * The sender stand-in: what RtpOut reads (SSRC, codec, extensions, DTLS transport) and writes
 * (counts, history, reports), with a codec and a DTLS transport always there.
 */
export type SenderStub = Omit<SenderInternals, 'codec' | 'dtlsTransport'> & {
  codec: { payloadType: number };
  dtlsTransport: {
    state: string;
    onStateChange: { subscribe(f: (state: string) => void): { unSubscribe(): void } };
    transportSequenceNumber: number;
    srtp: SrtpSession;
    sendRtcp: (packets: RtcpPacket[]) => Promise<unknown>;
  };
};

/**
 * A connected sender of SSRC `ssrc` and payload type `payloadType` protecting with `srtp`; its
 * sender reports go to `onReport` (dropped when absent); `extra` overrides or adds fields.
 */
export function senderStub(
  srtp: SrtpSession,
  ssrc: number,
  payloadType: number,
  extra: Partial<Omit<SenderStub, 'dtlsTransport'>> & { transportSequenceNumber?: number; onReport?: (packets: RtcpPacket[]) => void } = {},
): SenderStub {
  const { transportSequenceNumber = 0, onReport, ...fields } = extra;
  return {
    ssrc,
    codec: { payloadType },
    headerExtensions: [],
    ntpTimestamp: 0n,
    rtpTimestamp: 0,
    octetCount: 0,
    packetCount: 0,
    rtpCache: [],
    handleRtcpPacket: () => {},
    ...fields,
    dtlsTransport: dtlsStub(transportSequenceNumber, srtp, onReport),
  };
}

/** werift's DTLS transport as RtpOut sees it: setting `state` fires `onStateChange`, as werift's does. */
function dtlsStub(transportSequenceNumber: number, srtp: SrtpSession, onReport?: (packets: RtcpPacket[]) => void): SenderStub['dtlsTransport'] {
  const watchers = new Set<(state: string) => void>();
  let state = 'connected';
  return {
    get state() {
      return state;
    },
    set state(next: string) {
      state = next;
      for (const w of watchers) w(next);
    },
    onStateChange: {
      subscribe: (f: (state: string) => void) => {
        watchers.add(f);
        return { unSubscribe: () => watchers.delete(f) };
      },
    },
    transportSequenceNumber,
    srtp,
    sendRtcp: (p: RtcpPacket[]) => (onReport?.(p), Promise.resolve()),
  };
}

/** The stub as RtpOut takes it. */
export function asSender(stub: SenderStub): RTCRtpSender {
  return stub as unknown as RTCRtpSender;
}
