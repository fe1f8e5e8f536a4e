/** The codec figures of a stream's tracks, as `/api/v1/streams` and the live feed show them. */
import { Type, type Static } from '@sinclair/typebox';
import { int, str } from './kit.js';

export const VideoInfo = Type.Object({
  codec: str('H264, H265, AV1, ...'),
  profile: str('SRS: the name of the profile_idc alone (Baseline, Main, High, High(10)...; HEVC: Main, Main10...); Other for codecs other than AVC/HEVC'),
  tsrs_profile: str('tsrs: the profile with its constraint flags as H.264 Annex A names it (Constrained Baseline, Progressive High...); for HEVC the same as profile'),
  level: str('3.1, 4...; Other when unknown'),
  width: int(),
  height: int(),
}, { $id: 'VideoInfo' });
export type VideoInfo = Static<typeof VideoInfo>;

export const AudioInfo = Type.Object({
  codec: str('AAC, MP3, Opus, ...'),
  sample_rate: int('Hz'),
  channel: int(),
  profile: str('AAC object type name (LC, HE, HEv2), else Other'),
}, { $id: 'AudioInfo' });
export type AudioInfo = Static<typeof AudioInfo>;

