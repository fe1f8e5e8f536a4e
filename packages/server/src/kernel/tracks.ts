/**
 * A stream's tracks: what a decoder (or a muxer's init segment / PMT) needs to know, made once
 * from a sequence start (or, for codecs without one, the first frame) and read by every output
 * instead of the FLV bytes. Views of the header body, never copies.
 *
 * Video: codec, the decoder configuration record (avcC / hvcC / av1C / vpcC) with the parsed
 * AVC/HEVC record, NAL unit length size, display size, and profile/level names as SRS reports
 * them. Audio: codec, the AudioSpecificConfig (AAC) or OpusHead (Opus over enhanced RTMP), rate,
 * channels, samples per frame and profile name.
 */
import { aacProfileName, parseAudioSpecificConfig, parseMp3FrameHeader, type AacConfig } from './aac.js';
import { avcLevelName, avcProfileDetail, avcProfileName, parseAvcConfig, parseAvcSps, type AvcConfig } from './avc.js';
import type { AudioCodec, VideoCodec } from './flv-tag.js';
import { OPUS_CLOCK_RATE, parseOpusHead, type OpusHead } from './opus.js';
import { hevcLevelName, hevcProfileName, parseHevcConfig, parseHevcSps, type HevcConfig } from './hevc.js';
import type { Packet } from './packet.js';

export interface VideoTrack {
  codec: VideoCodec;
  /** the sequence header packet: replayed to joining players and written first to files */
  header: Packet;
  /** the decoder configuration record, a view of the header's body */
  record: Buffer;
  /** the parsed record, for H.264 / H.265 when it parses */
  avc: AvcConfig | undefined;
  hevc: HevcConfig | undefined;
  /** AVC/HEVC NAL unit length field size (1, 2 or 4); 4 when unknown */
  nalLengthSize: number;
  /** display size in pixels from the SPS; 0 when unknown */
  width: number;
  height: number;
  /** profile and level names as SRS reports them ('High', '3.1', 'Main', '4.1'); 'Other' when unknown */
  profile: string;
  level: string;
  /** H.264: the Annex A profile name with the constraint flags ('Constrained Baseline'); else `profile` */
  profileDetail: string;
  /** why the record could not be read; undefined when it could (or the codec has nothing to read) */
  error: string | undefined;
}

export interface AudioTrack {
  codec: AudioCodec;
  /**
   * What describes the track: the sequence start (AAC, enhanced-RTMP Opus), or for a codec
   * without one (MP3, legacy codecs) the first frame of the publish.
   */
  header: Packet;
  /** `header` is a sequence start: a joining player needs it before any frame */
  sequenceStart: boolean;
  /** the AudioSpecificConfig (AAC) or OpusHead (Opus), a view of the header's body */
  config: Buffer | undefined;
  /** the parsed AudioSpecificConfig (AAC) */
  aac: AacConfig | undefined;
  /** the parsed OpusHead (Opus over enhanced RTMP; kernel/opus.ts) */
  opus: OpusHead | undefined;
  /** Hz (HE-AAC: the output rate with SBR); 0 when unknown */
  sampleRate: number;
  /** 0 when unknown */
  channels: number;
  /** samples per frame (AAC 1024, MP3 1152 or 576); 0 when unknown */
  samplesPerFrame: number;
  /** AAC profile name ('LC', 'HE', 'HEv2', 'Main'); 'Other' otherwise */
  profile: string;
  error: string | undefined;
}

/** The two tracks of a stream as its Source holds them (announced as `stream:tracks`). */
export interface StreamTracks {
  video: VideoTrack | undefined;
  audio: AudioTrack | undefined;
}

/** The video track a sequence start describes; undefined for any other packet. Never throws. */
export function videoTrackOf(header: Packet): VideoTrack | undefined {
  const tag = header.video;
  if (!tag?.sequenceStart) return undefined;
  const track: VideoTrack = {
    codec: tag.codec, header, record: tag.data, avc: undefined, hevc: undefined, nalLengthSize: 4,
    width: 0, height: 0, profile: 'Other', level: 'Other', profileDetail: 'Other', error: undefined,
  };
  try {
    if (tag.codec === 'h264') {
      const config = (track.avc = parseAvcConfig(tag.data));
      track.nalLengthSize = config.naluLengthSize;
      track.profile = avcProfileName(config.profile);
      track.profileDetail = avcProfileDetail(config.profile, config.compatibility);
      track.level = avcLevelName(config.level, config.profile, config.compatibility);
      if (config.sps[0]) {
        const sps = parseAvcSps(config.sps[0]);
        track.profile = avcProfileName(sps.profileIdc);
        track.profileDetail = avcProfileDetail(sps.profileIdc, sps.constraintFlags);
        track.level = avcLevelName(sps.levelIdc, sps.profileIdc, sps.constraintFlags);
        track.width = sps.width;
        track.height = sps.height;
      }
    } else if (tag.codec === 'h265') {
      const config = (track.hevc = parseHevcConfig(tag.data));
      track.nalLengthSize = config.naluLengthSize;
      track.profile = track.profileDetail = hevcProfileName(config.generalProfileIdc);
      track.level = hevcLevelName(config.generalLevelIdc);
      if (config.sps[0]) {
        const sps = parseHevcSps(config.sps[0]);
        track.width = sps.width;
        track.height = sps.height;
      }
    }
  } catch (err) {
    track.error = (err as Error).message; // keep what was learnt so far
  }
  return track;
}

/**
 * The audio track a packet describes: a sequence start, or a frame of a codec that has none
 * (MP3, legacy codecs); undefined for any other packet (AAC frames, ...). Never throws.
 */
export function audioTrackOf(packet: Packet): AudioTrack | undefined {
  const tag = packet.audio;
  if (!tag || tag.error) return undefined;
  const hasSequenceStart = tag.codec === 'aac' || (tag.enhanced && tag.codec === 'opus');
  if (!tag.sequenceStart && (hasSequenceStart || tag.packetType !== 'coded-frames' || tag.data.length === 0)) return undefined;
  const track: AudioTrack = {
    codec: tag.codec, header: packet, sequenceStart: tag.sequenceStart, config: undefined, aac: undefined, opus: undefined,
    sampleRate: tag.sampleRate, channels: tag.channels, samplesPerFrame: 0, profile: 'Other', error: undefined,
  };
  try {
    if (tag.codec === 'aac' && tag.sequenceStart) {
      const asc = (track.aac = parseAudioSpecificConfig(tag.data));
      track.config = tag.data;
      track.sampleRate = asc.extensionSampleRate;
      track.channels = asc.channels;
      track.samplesPerFrame = 1024;
      track.profile = aacProfileName(asc.objectType);
    } else if (tag.codec === 'opus' && tag.sequenceStart) {
      // OpusHead (RFC 7845 5.1); Opus decodes at 48 kHz whatever the input rate
      track.config = tag.data;
      track.sampleRate = OPUS_CLOCK_RATE;
      const head = (track.opus = parseOpusHead(tag.data));
      track.channels = head.channels;
    } else if (tag.codec === 'mp3') {
      const h = parseMp3FrameHeader(tag.data);
      track.sampleRate = h.sampleRate;
      track.channels = h.channels;
      track.samplesPerFrame = h.samplesPerFrame;
    }
  } catch (err) {
    track.error = (err as Error).message;
  }
  return track;
}
