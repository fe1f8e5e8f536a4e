/**
 * A WHIP publisher: a werift peer connection (sendonly H.264) replaying the H.264 of an FLV in
 * real time, looped. Each AVC tag's NAL units (AUD dropped; SPS and PPS from the decoder
 * configuration before every IDR that lacks them) are packetized with tsrs's RFC 6184 packetizer
 * (single NAL unit, STAP-A, FU-A; marker on the access unit's last packet); the RTP timestamp is
 * the PTS (DTS + composition time) at 90 kHz, the sequence numbers count up from 0 and werift adds
 * its random offsets and SSRC. Every `probeMs` the next frame carries the wall-clock SEI probe
 * (bench-time.ts). The FLV's AAC is not sent (WebRTC carries Opus): the stream is video only.
 * Keyframe requests (PLI) are not answered: the file's GOP brings the next IDR.
 */
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';
import { avcNaluType, AvcNaluType, splitNalus } from '@tsrs/server/dist/src/kernel/avc.js';
import { H264_RTP_CLOCK, packetizeH264 } from '@tsrs/server/dist/src/kernel/rtp-h264.js';
import { encodeSeiTime, wallNow } from './bench-time.js';
import { isAvcPacket, Looper, type Media } from './media.js';
import type { BenchPublisher } from './publish.js';
import { benchPeer, deleteSession, localOffer, postOffer } from './rtc.js';

const CONNECT_TIMEOUT_MS = 15_000;
/** RTP payload size: what tsrs sends its WebRTC players, below any loopback or LAN MTU with SRTP */
const MAX_PAYLOAD = 1200;

export class WhipPublisher implements BenchPublisher {
  onClose: (() => void) | undefined;
  lastTs = 0;
  /** access units and RTP packets sent */
  frames = 0;
  packets = 0;
  private readonly looper: Looper;
  private readonly t0 = performance.now();
  private nextProbe = 0;
  private seiDue = false;
  private seq = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  private constructor(
    private readonly pc: RTCPeerConnection,
    private readonly track: MediaStreamTrack,
    private readonly location: string | undefined,
    private readonly media: Media,
    private readonly probeMs: number,
  ) {
    this.looper = new Looper(media);
    pc.connectionStateChange.subscribe((s) => {
      if ((s === 'failed' || s === 'closed' || s === 'disconnected') && !this.stopped) {
        clearInterval(this.timer);
        this.onClose?.();
      }
    });
    this.timer = setInterval(() => this.tick(), 10);
  }

  /** Publishes to the WHIP endpoint `url` (http://host:port/rtc/v1/whip/?app=&stream=); resolves once connected. */
  static async start(url: string, media: Media, probeMs = 1000, token?: string): Promise<WhipPublisher> {
    if (!media.avc) throw new Error('WHIP: the file has no H.264 (AVC) video');
    const pc = benchPeer(url, false);
    let location: string | undefined;
    try {
      const track = new MediaStreamTrack({ kind: 'video' });
      pc.addTransceiver(track, { direction: 'sendonly' });
      const session = await postOffer(url, await localOffer(pc), token);
      location = session.location;
      await pc.setRemoteDescription({ type: 'answer', sdp: session.answer });
      const until = Date.now() + CONNECT_TIMEOUT_MS;
      while (pc.connectionState !== 'connected') {
        if (Date.now() > until || pc.connectionState === 'failed' || pc.connectionState === 'closed') throw new Error(`WHIP: peer connection ${pc.connectionState}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return new WhipPublisher(pc, track, location, media, probeMs);
    } catch (err) {
      await Promise.allSettled([deleteSession(location), pc.close()]);
      throw err;
    }
  }

  private tick(): void {
    const now = performance.now() - this.t0;
    this.looper.due(now, (tag, ts) => {
      this.lastTs = ts;
      if (tag.type === 9 && isAvcPacket(tag.body, 1)) this.sendFrame(tag.body, ts);
    });
    if (this.probeMs > 0 && now >= this.nextProbe) {
      this.seiDue = true;
      this.nextProbe += this.probeMs;
    }
  }

  private sendFrame(body: Buffer, dts: number): void {
    const avc = this.media.avc!;
    const cts = body.readIntBE(2, 3);
    let nalus: Buffer[] = splitNalus(body.subarray(5), avc.naluLengthSize).filter((n) => avcNaluType(n) !== AvcNaluType.Aud);
    if (nalus.some((n) => avcNaluType(n) === AvcNaluType.Idr) && !nalus.some((n) => avcNaluType(n) === AvcNaluType.Sps)) {
      nalus = [...avc.sps, ...avc.pps, ...nalus.filter((n) => avcNaluType(n) !== AvcNaluType.Pps)];
    }
    if (this.seiDue) {
      const slice = nalus.findIndex((n) => avcNaluType(n) >= 1 && avcNaluType(n) <= 5);
      if (slice >= 0) {
        nalus.splice(slice, 0, encodeSeiTime(wallNow()));
        this.seiDue = false;
      }
    }
    if (nalus.length === 0) return;
    for (const out of packetizeH264(nalus, (dts + cts) * (H264_RTP_CLOCK / 1000), { maxPayload: MAX_PAYLOAD })) {
      const header = new RtpHeader({ sequenceNumber: this.seq, timestamp: out.timestamp, marker: out.marker });
      this.seq = (this.seq + 1) & 0xffff;
      this.track.writeRtp(new RtpPacket(header, out.payload));
      this.packets++;
    }
    this.frames++;
  }

  /** Ends the WHIP session (DELETE) and closes the peer connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([deleteSession(this.location), this.pc.close()]);
  }
}
