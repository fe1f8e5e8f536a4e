import type { AudioCodec, VideoCodec } from '../kernel/flv-tag.js';
import type { AudioTrack, VideoTrack } from '../kernel/tracks.js';

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
 * The API's description of a video track (SRS's stream.video): `profile` is SRS's name of
 * profile_idc alone ("Baseline" for a Constrained Baseline stream, as SRS reports it);
 * `tsrs_profile` is the H.264 Annex A name with the constraint flags ("Constrained Baseline").
 */
export function videoInfo(t: VideoTrack): VideoInfo {
  return { codec: VIDEO_NAMES[t.codec], profile: t.profile, tsrs_profile: t.profileDetail, level: t.level, width: t.width, height: t.height };
}

/** The API's description of an audio track (SRS's stream.audio). */
export function audioInfo(t: AudioTrack): AudioInfo {
  return { codec: AUDIO_NAMES[t.codec], sample_rate: t.sampleRate, channel: t.channels, profile: t.profile };
}
