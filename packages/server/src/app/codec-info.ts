import { SOUND_FORMAT, VIDEO_CODEC, videoCodecId } from '../kernel/flv-body.js';

/** Video codec facts as the HTTP API reports them (SRS's stream.video). */
export interface VideoInfo {
  codec: string;
  profile: string;
  level: string;
  width: number;
  height: number;
}

/** Audio codec facts as the HTTP API reports them (SRS's stream.audio). */
export interface AudioInfo {
  codec: string;
  sample_rate: number;
  channel: number;
  profile: string;
}

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
};

const FLV_RATES = [5512, 11025, 22050, 44100];

/** Describe a video sequence header (codec, profile, level, size). */
export function describeVideo(body: Buffer): VideoInfo {
  const id = videoCodecId(body);
  return { codec: VIDEO_NAMES[id] ?? 'Other', profile: 'Other', level: 'Other', width: 0, height: 0 };
}

/** Describe audio from its sequence header (AAC) or any frame (other codecs). */
export function describeAudio(body: Buffer, previous: AudioInfo | null): AudioInfo | null {
  if (body.length < 1) return previous;
  const format = body[0] >> 4;
  return {
    codec: AUDIO_NAMES[format] ?? 'Other',
    sample_rate: FLV_RATES[(body[0] >> 2) & 3],
    channel: (body[0] & 1) + 1,
    profile: 'Other',
  };
}
