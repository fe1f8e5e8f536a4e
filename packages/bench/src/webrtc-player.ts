/**
 * A light WebRTC player: a werift peer connection that plays one stream through WHEP (recvonly
 * H.264 and Opus, as a browser does), receives SRTP and counts, without decoding: RTP bytes
 * (header + payload), video access units (one per marker bit, RFC 6184 5.1), audio packets, and
 * the delay probe the bench publisher puts in an SEI NAL unit (bench-time.ts), which tsrs passes
 * through with the access unit. ICE, DTLS and SRTP are werift's, as for any werift client; NACK
 * and PLI go out as werift's receiver sends them.
 */
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { readRtpSeiTime, wallNow } from './bench-time.js';
import { Player, type PlayerEnv } from './player.js';
import { benchPeer, deleteSession, localOffer, postOffer } from './rtc.js';

const H264_CLOCK_KHZ = 90;

export interface WhepPlayerOptions {
  /** a bearer token for the WHEP request */
  token?: string;
}

export class WhepPlayer extends Player {
  private pc: RTCPeerConnection | undefined;
  private location: string | undefined;
  /** the newest video sequence number seen, -1 before the first */
  private videoSeq = -1;

  /** `url`: the WHEP endpoint, e.g. http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=s */
  constructor(
    private readonly url: string,
    env: PlayerEnv,
    private readonly opts: WhepPlayerOptions = {},
  ) {
    super(env);
  }

  start(): void {
    this.run().catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async run(): Promise<void> {
    const pc = benchPeer(this.url, true);
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onTrack.subscribe((track) => {
      const video = track.kind === 'video';
      track.onReceiveRtp.subscribe((rtp) => (video ? this.onVideo(rtp) : this.onAudio(rtp)));
    });
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'failed' || s === 'closed' || s === 'disconnected') this.fail(new Error(`peer connection ${s}`));
    });
    const offer = await localOffer(pc);
    if (this.state !== 'connecting') return;
    this.playAskedAt = wallNow();
    const session = await postOffer(this.url, offer, this.opts.token);
    this.location = session.location;
    if (this.state !== 'connecting') {
      await deleteSession(this.location);
      return;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: session.answer });
  }

  private onVideo(rtp: RtpPacket): void {
    this.bytes += rtp.header.serializeSize + rtp.payload.length;
    this.packets++;
    this.playing();
    // a retransmission (NACK) or duplicate of an older packet is counted in bytes only
    const seq = rtp.header.sequenceNumber;
    if (this.videoSeq >= 0) {
      const ahead = (seq - this.videoSeq) & 0xffff;
      if (ahead === 0 || ahead >= 0x8000) return;
    }
    this.videoSeq = seq;
    if (rtp.header.marker) {
      this.frames++;
      this.lastVideoTs = rtp.header.timestamp / H264_CLOCK_KHZ;
    }
    const sent = readRtpSeiTime(rtp.payload);
    if (sent > 0) this.probe(sent);
  }

  private onAudio(rtp: RtpPacket): void {
    this.bytes += rtp.header.serializeSize + rtp.payload.length;
    this.packets++;
    this.audio++;
  }

  protected async teardown(): Promise<void> {
    const pc = this.pc;
    this.pc = undefined;
    await Promise.allSettled([deleteSession(this.location), pc?.close()]);
  }
}
