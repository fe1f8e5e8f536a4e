/**
 * A WebRTC publisher's RTP turned into what a Source stores: FLV tag bodies with millisecond
 * timestamps, as an RTMP publisher would send them.
 *
 * - Video: H.264 RTP (RFC 6184, mode 1) through `H264Depacketizer` into access units. The AVC
 *   sequence header (AVCDecoderConfigurationRecord) is built from the latest SPS and PPS seen
 *   (in one access unit or apart) and again whenever they change; frames before it, and inter frames before the first IDR, are
 *   dropped (the caller sends PLI while `needKeyframe`). Parameter sets stay in the access unit
 *   (in-band, as many RTMP encoders send them). Composition time is 0: WebRTC H.264 has no B-frames.
 * - Audio: one Opus packet per RTP packet (RFC 7587), handed to the `opus` callback (tsrs: the
 *   Opus -> AAC transcoder, app/rtc-audio.ts) or else written as enhanced-RTMP Opus, after an Opus
 *   SequenceStart carrying an OpusHead of 2 channels at 48 kHz (RFC 7587 7: the SDP always says
 *   `opus/48000/2`; the decoder mixes a mono stream up).
 * - Time: each track's RTP clock (90 kHz video, 48 kHz audio) is unwrapped from 32 bits and
 *   counted from that track's first packet, which is placed at its arrival time since the
 *   session's start; both tracks share that start, so A/V stay aligned to within the network's
 *   arrival skew (RTCP sender reports are not used).
 */
import { parameterSetsOf } from '../kernel/annexb.js';
import { buildAvcConfig } from '../kernel/avc.js';
import { avcFrameBody, avcSequenceHeaderBody, opusFrameBody, opusSequenceStartBody } from '../kernel/flv-build.js';
import { buildOpusHead } from '../kernel/opus.js';
import { H264Depacketizer } from '../kernel/rtp-h264-depacketize.js';

export type IngestSink = (kind: 'audio' | 'video', timestampMs: number, body: Buffer) => void;

/** An RTP clock unwrapped past 32-bit wrap-around and placed on the session's millisecond timeline. */
export class RtpClock {
  private first = -1;
  private last = 0;
  private extended = 0;
  private startMs = 0;

  constructor(
    private readonly clockRate: number,
    private readonly sessionStart: number,
  ) {}

  /** `timestamp` (32-bit RTP) -> ms since the session's start; `now` = arrival time (ms). */
  toMs(timestamp: number, now: number): number {
    if (this.first < 0) {
      this.first = timestamp;
      this.last = timestamp;
      this.startMs = Math.max(0, now - this.sessionStart);
    } else {
      // signed 32-bit difference from the previous timestamp (reordering and wrap-around)
      const delta = ((timestamp - this.last) << 0) | 0;
      this.extended += delta;
      this.last = timestamp;
    }
    return Math.max(0, Math.round(this.startMs + (this.extended * 1000) / this.clockRate));
  }
}

export class RtcIngest {
  readonly video = new H264Depacketizer();
  private readonly videoClock: RtpClock;
  private readonly audioClock: RtpClock;
  private avcConfig: Buffer | undefined;
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  private opusStarted = false;
  /** access units and Opus packets written */
  frames = { video: 0, audio: 0 };

  /**
   * `opus`: where Opus packets go instead of the sink (the AAC transcoder, or a drop when it is
   * off), with their time in ms on the same timeline as the video; without it they reach the sink
   * as enhanced-RTMP Opus.
   */
  constructor(
    private readonly sink: IngestSink,
    sessionStart = Date.now(),
    private readonly opus?: (packet: Buffer, timestampMs: number) => void,
  ) {
    this.videoClock = new RtpClock(90_000, sessionStart);
    this.audioClock = new RtpClock(48_000, sessionStart);
  }

  /** One H.264 RTP packet (payload and header fields); `now` is its arrival time in ms. */
  onVideoRtp(payload: Buffer, seq: number, timestamp: number, marker: boolean, now = Date.now()): void {
    for (const au of this.video.push(payload, seq, timestamp, marker)) {
      const ms = this.videoClock.toMs(au.timestamp, now);
      const sets = parameterSetsOf(au.nalus, 'h264');
      if (sets.sps.length > 0) this.sps = sets.sps;
      if (sets.pps.length > 0) this.pps = sets.pps;
      if ((sets.sps.length > 0 || sets.pps.length > 0) && this.sps.length > 0 && this.pps.length > 0) {
        let config: Buffer | undefined;
        try {
          config = buildAvcConfig(this.sps, this.pps, 4);
        } catch {
          config = undefined; // an SPS tsrs cannot read: wait for the next one
        }
        if (config && (!this.avcConfig || !config.equals(this.avcConfig))) {
          this.avcConfig = config;
          this.sink('video', ms, avcSequenceHeaderBody(config));
        }
      }
      if (!this.avcConfig) {
        this.video.needKeyframe = true;
        continue;
      }
      this.sink('video', ms, avcFrameBody(au.nalus, au.keyframe));
      this.frames.video++;
    }
  }

  /** One Opus RTP packet (one Opus packet as payload, RFC 7587 4.2). */
  onAudioRtp(payload: Buffer, timestamp: number, now = Date.now()): void {
    if (payload.length === 0) return;
    const ms = this.audioClock.toMs(timestamp, now);
    if (this.opus) {
      this.opus(payload, ms);
      this.frames.audio++;
      return;
    }
    if (!this.opusStarted) {
      this.opusStarted = true;
      this.sink('audio', ms, opusSequenceStartBody(buildOpusHead({ channels: 2 })));
    }
    this.sink('audio', ms, opusFrameBody(payload));
    this.frames.audio++;
  }
}
