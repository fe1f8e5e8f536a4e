/**
 * What a publisher's onMetaData (FLV script tag, AMF0) declares about its audio, for codecs whose
 * stream has no sequence header to describe the track (MP3): outputs that must fix their tracks
 * before the first audio frame arrives (HLS, MP4) read the codec from here.
 */
import { decodeAmf0All, type Amf0Object } from './amf0.js';

/** The audio an onMetaData declares: FLV SoundFormat id (2 = MP3, 10 = AAC), rate in Hz, channels. */
export interface DeclaredAudio {
  codecId: number;
  sampleRate: number | undefined;
  channels: number | undefined;
}

/**
 * The fields of an onMetaData body (its first AMF0 object or ECMA array; `{}` when it has none),
 * or undefined when the body does not decode. Never throws.
 */
export function metadataFields(body: Buffer): Amf0Object | undefined {
  let values;
  try {
    values = decodeAmf0All(body);
  } catch {
    return undefined;
  }
  return values.find((v): v is Amf0Object => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)) ?? {};
}

/**
 * Reads `audiocodecid`, `audiosamplerate` and `stereo` from an onMetaData body. Undefined when the
 * body does not decode or declares no audio codec; never throws.
 */
export function declaredAudio(body: Buffer | undefined): DeclaredAudio | undefined {
  const obj = body && metadataFields(body);
  if (!obj) return undefined;
  const id = obj.audiocodecid;
  // FFmpeg writes the number; some encoders write a FourCC string ('.mp3', 'mp4a')
  const codecId = typeof id === 'number' ? id : id === '.mp3' ? 2 : id === 'mp4a' ? 10 : undefined;
  if (codecId === undefined || !Number.isInteger(codecId) || codecId < 0 || codecId > 15) return undefined;
  const rate = obj.audiosamplerate;
  const stereo = obj.stereo;
  return {
    codecId,
    sampleRate: typeof rate === 'number' && rate > 0 && rate <= 192_000 ? rate : undefined,
    channels: typeof stereo === 'boolean' ? (stereo ? 2 : 1) : undefined,
  };
}
