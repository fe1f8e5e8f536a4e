import { aacProfileName, parseAudioSpecificConfig } from '../kernel/aac.js';
import { avcLevelName, avcProfileDetail, avcProfileName, parseAvcConfig, parseAvcSps } from '../kernel/avc.js';
import type { AudioCodec, FlvAudioTag, FlvVideoTag, VideoCodec } from '../kernel/flv-tag.js';
import { hevcLevelName, hevcProfileName, parseHevcConfig, parseHevcSps } from '../kernel/hevc.js';

/** Video/audio codec facts as the HTTP API reports them (SRS's stream.video / stream.audio). */
export type { AudioInfo, VideoInfo } from '@tsrs/api-types';
import type { AudioInfo, VideoInfo } from '@tsrs/api-types';

/** SRS's codec names in the API (srs_video_codec_id2str / srs_audio_codec_id2str). */
const VIDEO_NAMES: Record<VideoCodec, string> = {
  h264: 'H264', h265: 'H265', av1: 'AV1', vp9: 'VP9', vp8: 'VP8', h263: 'H263', vp6: 'VP6', other: 'Other',
};

const AUDIO_NAMES: Record<AudioCodec, string> = {
  aac: 'AAC', mp3: 'MP3', opus: 'Opus', speex: 'Speex', pcm: 'PCM', g711a: 'G711A', g711u: 'G711U',
  ac3: 'Other', eac3: 'Other', flac: 'Other', other: 'Other',
};

/**
 * Describe a video sequence header: codec, and for AVC/HEVC the profile, level and
 * display size from the SPS in the decoder configuration record. `profile` is SRS's name of
 * profile_idc alone ("Baseline" for a Constrained Baseline stream, as SRS reports it);
 * `tsrs_profile` is the H.264 Annex A name with the constraint flags ("Constrained Baseline"). A header the parsers
 * refuse still yields the codec name (a stats view must never break the publish).
 */
export function describeVideo(tag: FlvVideoTag): VideoInfo {
  const info: VideoInfo = { codec: VIDEO_NAMES[tag.codec], profile: 'Other', tsrs_profile: 'Other', level: 'Other', width: 0, height: 0 };
  try {
    if (tag.codec === 'h264') {
      const config = parseAvcConfig(tag.data);
      info.profile = avcProfileName(config.profile);
      info.tsrs_profile = avcProfileDetail(config.profile, config.compatibility);
      info.level = avcLevelName(config.level, config.profile, config.compatibility);
      if (config.sps[0]) {
        const sps = parseAvcSps(config.sps[0]);
        info.profile = avcProfileName(sps.profileIdc);
        info.tsrs_profile = avcProfileDetail(sps.profileIdc, sps.constraintFlags);
        info.level = avcLevelName(sps.levelIdc, sps.profileIdc, sps.constraintFlags);
        info.width = sps.width;
        info.height = sps.height;
      }
    } else if (tag.codec === 'h265') {
      const config = parseHevcConfig(tag.data);
      info.profile = info.tsrs_profile = hevcProfileName(config.generalProfileIdc);
      info.level = hevcLevelName(config.generalLevelIdc);
      if (config.sps[0]) {
        const sps = parseHevcSps(config.sps[0]);
        info.width = sps.width;
        info.height = sps.height;
      }
    }
  } catch {
    // keep what was learnt so far
  }
  return info;
}

/** Describe audio from its sequence header (AAC: the AudioSpecificConfig) or any frame (other codecs). */
export function describeAudio(tag: FlvAudioTag, previous: AudioInfo | null): AudioInfo | null {
  if (tag.error) return previous;
  const codec = AUDIO_NAMES[tag.codec];
  const info: AudioInfo = { codec, sample_rate: tag.sampleRate, channel: tag.channels, profile: 'Other' };
  try {
    if (codec === 'AAC' && tag.sequenceStart) {
      const asc = parseAudioSpecificConfig(tag.data);
      info.sample_rate = asc.extensionSampleRate;
      info.channel = asc.channels;
      info.profile = aacProfileName(asc.objectType);
    } else if (codec === 'AAC' && previous?.codec === 'AAC') {
      // raw AAC frames say nothing the sequence header did not
      return previous;
    }
    return info;
  } catch {
    return previous ?? { codec, sample_rate: 0, channel: 0, profile: 'Other' };
  }
}
