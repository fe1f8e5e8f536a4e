import { aacProfileName, parseAudioSpecificConfig, parseFlvAudioTag } from '../kernel/aac.js';
import { avcLevelName, avcProfileDetail, avcProfileName, parseAvcConfig, parseAvcSps, parseFlvVideoTag } from '../kernel/avc.js';
import { SOUND_FORMAT, VIDEO_CODEC } from '../kernel/flv-body.js';
import { hevcLevelName, hevcProfileName, parseHevcConfig, parseHevcSps } from '../kernel/hevc.js';

/** Video/audio codec facts as the HTTP API reports them (SRS's stream.video / stream.audio). */
export type { AudioInfo, VideoInfo } from '@tsrs/api-types';
import type { AudioInfo, VideoInfo } from '@tsrs/api-types';

const VIDEO_NAMES: Record<number, string> = {
  [VIDEO_CODEC.AVC]: 'H264',
  [VIDEO_CODEC.HEVC]: 'H265',
  [VIDEO_CODEC.AV1]: 'AV1',
  2: 'H263',
  4: 'VP6',
};

const AUDIO_NAMES: Record<number, string> = {
  [SOUND_FORMAT.MP3]: 'MP3',
  [SOUND_FORMAT.AAC]: 'AAC',
  [SOUND_FORMAT.SPEEX]: 'Speex',
  [SOUND_FORMAT.OPUS]: 'Opus',
  0: 'PCM',
  3: 'PCM',
  7: 'G711A',
  8: 'G711U',
  14: 'MP3',
};

const FOURCC_AUDIO: Record<string, string> = { mp4a: 'AAC', Opus: 'Opus', '.mp3': 'MP3' };

const FLV_RATES = [5512, 11025, 22050, 44100];

/**
 * Describe a video sequence header: codec, and for AVC/HEVC the profile, level and
 * display size from the SPS in the decoder configuration record. `profile` is SRS's name of
 * profile_idc alone ("Baseline" for a Constrained Baseline stream, as SRS reports it);
 * `tsrs_profile` is the H.264 Annex A name with the constraint flags ("Constrained Baseline"). A header the parsers
 * refuse still yields the codec name (a stats view must never break the publish).
 */
export function describeVideo(body: Buffer): VideoInfo {
  const info: VideoInfo = { codec: 'Other', profile: 'Other', tsrs_profile: 'Other', level: 'Other', width: 0, height: 0 };
  try {
    const tag = parseFlvVideoTag(body);
    info.codec = VIDEO_NAMES[tag.codecId] ?? (tag.codec === 'vp9' ? 'VP9' : 'Other');
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
export function describeAudio(body: Buffer, previous: AudioInfo | null): AudioInfo | null {
  if (body.length < 1) return previous;
  try {
    const tag = parseFlvAudioTag(body);
    const codec = tag.fourcc ? (FOURCC_AUDIO[tag.fourcc] ?? 'Other') : (AUDIO_NAMES[tag.soundFormat] ?? 'Other');
    const info: AudioInfo = {
      codec,
      sample_rate: tag.fourcc ? 0 : FLV_RATES[tag.soundRate],
      channel: tag.fourcc ? 0 : tag.soundType + 1,
      profile: 'Other',
    };
    if (codec === 'AAC' && tag.aacPacketType === 0) {
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
    return previous ?? { codec: AUDIO_NAMES[body[0] >> 4] ?? 'Other', sample_rate: 0, channel: 0, profile: 'Other' };
  }
}
