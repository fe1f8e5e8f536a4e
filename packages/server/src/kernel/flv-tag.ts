/**
 * The one FLV tag classifier: every module that needs to know what an FLV tag body / RTMP
 * audio, video or data message carries asks here, and nothing else reads the header bytes.
 *
 * Video body (FLV spec v10.1 E.4.3.1, enhanced RTMP v1/v2):
 *   legacy    `frameType:4 codecId:4` then, for AVC (7) and HEVC (12, the common extension),
 *             `AVCPacketType:8 CompositionTime:si24` and the payload.
 *   enhanced  `isExHeader:1 frameType:3 packetType:4`, ModEx blocks while packetType is 7,
 *             then a FourCC ('avc1', 'hvc1', 'av01', 'vp09', 'vp08'); CodedFrames (1) of
 *             avc1/hvc1 carry an si24 composition time; a Command frame (frameType 5) has no FourCC.
 * Audio body (E.4.2.1, enhanced RTMP v2):
 *   legacy    `soundFormat:4 soundRate:2 soundSize:1 soundType:1`; AAC (10) then has
 *             `AACPacketType:8` (0 AudioSpecificConfig, 1 raw frame).
 *   enhanced  soundFormat 9 (ExHeader): `packetType:4`, ModEx blocks while packetType is 7, then a
 *             FourCC ('mp4a', 'Opus', '.mp3', 'ac-3', 'ec-3', 'fLaC'). SequenceStart (0) carries
 *             the codec's configuration (AAC: AudioSpecificConfig, Opus: the OpusHead ID header).
 *
 * Pure and total: malformed input never throws, it yields `error` (a reason) with everything
 * else at its "nothing" value. `data` is a subarray of the body (no copy).
 */

/** Video codecs by name. Legacy CodecIDs: 2 Sorenson H.263, 4 VP6, 7 AVC, 12 HEVC, 13 AV1 (extensions). */
export type VideoCodec = 'h264' | 'h265' | 'av1' | 'vp9' | 'vp8' | 'h263' | 'vp6' | 'other';
/** Audio codecs by name. */
export type AudioCodec = 'aac' | 'mp3' | 'opus' | 'speex' | 'pcm' | 'g711a' | 'g711u' | 'ac3' | 'eac3' | 'flac' | 'other';

/**
 * What a video/audio message is, legacy and enhanced RTMP alike:
 * - `sequence-start`: the decoder configuration (avcC/hvcC/av1C, AudioSpecificConfig, OpusHead)
 * - `coded-frames`: media (legacy AVC NALU, enhanced CodedFrames/CodedFramesX, legacy frames)
 * - `sequence-end`, `metadata` (enhanced video: HDR etc.), `command` (frame type 5),
 *   `multichannel-config`, `multitrack` (not carried by tsrs), `other` (reserved, MPEG2TSSequenceStart)
 */
export type FlvPacketType =
  | 'sequence-start' | 'coded-frames' | 'sequence-end' | 'metadata' | 'command'
  | 'multichannel-config' | 'multitrack' | 'other';

/** Legacy CodecID values (12 HEVC and 13 AV1 are the widely used, unofficial extensions). */
export const VIDEO_CODEC_ID = { H263: 2, VP6: 4, AVC: 7, HEVC: 12, AV1: 13 } as const;
/** FLV SoundFormat values; 9 announces the enhanced RTMP ExHeader. */
export const SOUND_FORMAT = {
  PCM: 0, ADPCM: 1, MP3: 2, PCM_LE: 3, G711A: 7, G711U: 8, EX_HEADER: 9, AAC: 10, SPEEX: 11, OPUS: 13, MP3_8K: 14,
} as const;
/** FLV VIDEODATA FrameType */
export const VIDEO_FRAME_TYPE = { KEY: 1, INTER: 2, DISPOSABLE: 3, GENERATED_KEY: 4, COMMAND: 5 } as const;
/** FLV SoundRate (2 bits) -> Hz */
export const FLV_SOUND_RATES = [5512, 11025, 22050, 44100] as const;

export interface FlvVideoTag {
  readonly kind: 'video';
  codec: VideoCodec;
  /** legacy CodecID; for enhanced RTMP the legacy equivalent (7, 12, 13) or 0 */
  codecId: number;
  /** enhanced RTMP FourCC, else undefined */
  fourcc: string | undefined;
  enhanced: boolean;
  /** 1 key, 2 inter, 3 disposable, 4 generated key, 5 command */
  frameType: number;
  packetType: FlvPacketType;
  /** a decoder configuration record follows (`data`) */
  sequenceStart: boolean;
  /** a coded picture of frame type 1 (a sequence start is not one) */
  keyframe: boolean;
  /** composition time offset, ms (pts = dts + cts), signed 24-bit */
  cts: number;
  /** the payload after the header: config record, length-prefixed NAL units, OBUs, ... */
  data: Buffer;
  /** why the header could not be read (too short); undefined when it could */
  error: string | undefined;
}

export interface FlvAudioTag {
  readonly kind: 'audio';
  codec: AudioCodec;
  /** the 4-bit SoundFormat (9 for enhanced RTMP) */
  soundFormat: number;
  fourcc: string | undefined;
  enhanced: boolean;
  packetType: FlvPacketType;
  /** AudioSpecificConfig (AAC) or OpusHead follows (`data`) */
  sequenceStart: boolean;
  /** the rate the legacy header states, Hz (AAC always says 44100); 0 for enhanced RTMP */
  sampleRate: number;
  /** the legacy header's channels (soundType + 1); 0 for enhanced RTMP */
  channels: number;
  /** legacy soundSize: 8 or 16 bits; 0 for enhanced RTMP */
  sampleBits: number;
  /** the payload after the header: codec configuration or one raw frame */
  data: Buffer;
  error: string | undefined;
}

const EMPTY = Buffer.alloc(0);

// enhanced RTMP packet types
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
const EX_SEQUENCE_END = 2;
const EX_CODED_FRAMES_X = 3;
const EX_VIDEO_METADATA = 4;
const EX_VIDEO_MULTITRACK = 6;
const EX_AUDIO_MULTICHANNEL_CONFIG = 4;
const EX_AUDIO_MULTITRACK = 5;
const EX_MOD_EX = 7;

// FourCCs as 32-bit big-endian numbers: matching them allocates nothing
const FOURCC_AVC1 = 0x61766331;
const FOURCC_HVC1 = 0x68766331;
const FOURCC_AV01 = 0x61763031;
const FOURCC_VP09 = 0x76703039;
const FOURCC_VP08 = 0x76703038;
const FOURCC_MP4A = 0x6d703461;
const FOURCC_OPUS = 0x4f707573;
const FOURCC_MP3 = 0x2e6d7033;
const FOURCC_AC3 = 0x61632d33;
const FOURCC_EC3 = 0x65632d33;
const FOURCC_FLAC = 0x664c6143;

function videoFail(error: string, frameType = 0, enhanced = false): FlvVideoTag {
  return {
    kind: 'video', codec: 'other', codecId: 0, fourcc: undefined, enhanced, frameType, packetType: 'other',
    sequenceStart: false, keyframe: false, cts: 0, data: EMPTY, error,
  };
}

function audioFail(soundFormat: number, error: string): FlvAudioTag {
  return {
    kind: 'audio', codec: 'other', soundFormat, fourcc: undefined, enhanced: soundFormat === SOUND_FORMAT.EX_HEADER,
    packetType: 'other', sequenceStart: false, sampleRate: 0, channels: 0, sampleBits: 0, data: EMPTY, error,
  };
}

/** Skips enhanced RTMP v2 ModEx blocks starting at `off`; returns [offset after them, the real packet type] or undefined when truncated. */
function skipModEx(body: Buffer, off: number): [number, number] | undefined {
  let packetType = EX_MOD_EX;
  for (let guard = 0; packetType === EX_MOD_EX; guard++) {
    if (guard > 16 || off >= body.length) return undefined;
    let size = body[off] + 1;
    off += 1;
    if (size === 256) {
      if (off + 2 > body.length) return undefined;
      size = body.readUInt16BE(off) + 1;
      off += 2;
    }
    off += size;
    if (off >= body.length) return undefined;
    packetType = body[off] & 0x0f; // high nibble: the ModEx type (timestamp offset in ns)
    off += 1;
  }
  return [off, packetType];
}

function readSi24(b: Buffer, off: number): number {
  const v = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
  return v & 0x800000 ? v - 0x1000000 : v;
}

const LEGACY_VIDEO: Record<number, VideoCodec> = { 2: 'h263', 4: 'vp6', 7: 'h264', 12: 'h265', 13: 'av1' };

/** Classifies a video message body. Never throws. */
export function classifyVideo(body: Buffer): FlvVideoTag {
  if (body.length < 1) return videoFail('empty video tag');
  const b0 = body[0];
  if (!(b0 & 0x80)) {
    const frameType = b0 >> 4;
    const codecId = b0 & 0x0f;
    const codec = LEGACY_VIDEO[codecId] ?? 'other';
    const base = { kind: 'video', codec, codecId, fourcc: undefined, enhanced: false, frameType } as const;
    if (frameType === VIDEO_FRAME_TYPE.COMMAND) {
      return { ...base, packetType: 'command', sequenceStart: false, keyframe: false, cts: 0, data: body.subarray(1), error: undefined };
    }
    if (codec === 'h264' || codec === 'h265') {
      if (body.length < 5) return videoFail(`${codec} tag too short (${body.length} bytes)`, frameType);
      const t = body[1];
      const packetType: FlvPacketType = t === 0 ? 'sequence-start' : t === 1 ? 'coded-frames' : t === 2 ? 'sequence-end' : 'other';
      return {
        ...base, packetType, sequenceStart: t === 0, keyframe: t === 1 && frameType === VIDEO_FRAME_TYPE.KEY,
        cts: readSi24(body, 2), data: body.subarray(5), error: undefined,
      };
    }
    return {
      ...base, packetType: 'coded-frames', sequenceStart: false, keyframe: frameType === VIDEO_FRAME_TYPE.KEY,
      cts: 0, data: body.subarray(1), error: undefined,
    };
  }
  const frameType = (b0 >> 4) & 0x07;
  let packetType = b0 & 0x0f;
  let off = 1;
  if (packetType === EX_MOD_EX) {
    const r = skipModEx(body, off);
    if (!r) return videoFail('truncated ModEx block', frameType, true);
    [off, packetType] = r;
  }
  if (frameType === VIDEO_FRAME_TYPE.COMMAND && packetType !== EX_VIDEO_METADATA) {
    return {
      kind: 'video', codec: 'other', codecId: 0, fourcc: undefined, enhanced: true, frameType, packetType: 'command',
      sequenceStart: false, keyframe: false, cts: 0, data: body.subarray(off), error: undefined,
    };
  }
  if (packetType === EX_VIDEO_MULTITRACK) {
    return { ...videoFail('multitrack video is not supported', frameType, true), packetType: 'multitrack' };
  }
  if (off + 4 > body.length) return videoFail('enhanced tag shorter than its FourCC', frameType, true);
  const fcc = body.readUInt32BE(off);
  off += 4;
  let codec: VideoCodec = 'other';
  let codecId = 0;
  let fourcc: string;
  if (fcc === FOURCC_HVC1) [codec, codecId, fourcc] = ['h265', VIDEO_CODEC_ID.HEVC, 'hvc1'];
  else if (fcc === FOURCC_AVC1) [codec, codecId, fourcc] = ['h264', VIDEO_CODEC_ID.AVC, 'avc1'];
  else if (fcc === FOURCC_AV01) [codec, codecId, fourcc] = ['av1', VIDEO_CODEC_ID.AV1, 'av01'];
  else if (fcc === FOURCC_VP09) [codec, fourcc] = ['vp9', 'vp09'];
  else if (fcc === FOURCC_VP08) [codec, fourcc] = ['vp8', 'vp08'];
  else fourcc = body.toString('latin1', off - 4, off);
  let cts = 0;
  let type: FlvPacketType;
  switch (packetType) {
    case EX_SEQUENCE_START: type = 'sequence-start'; break;
    case EX_CODED_FRAMES:
      type = 'coded-frames';
      if (codec === 'h264' || codec === 'h265') {
        if (off + 3 > body.length) return videoFail('enhanced CodedFrames without composition time', frameType, true);
        cts = readSi24(body, off);
        off += 3;
      }
      break;
    case EX_CODED_FRAMES_X: type = 'coded-frames'; break;
    case EX_SEQUENCE_END: type = 'sequence-end'; break;
    case EX_VIDEO_METADATA: type = 'metadata'; break;
    default: type = 'other'; // MPEG2TSSequenceStart (an AV1 TS descriptor) and reserved values
  }
  return {
    kind: 'video', codec, codecId, fourcc, enhanced: true, frameType, packetType: type,
    sequenceStart: type === 'sequence-start', keyframe: type === 'coded-frames' && frameType === VIDEO_FRAME_TYPE.KEY,
    cts, data: body.subarray(off), error: undefined,
  };
}

const LEGACY_AUDIO: Record<number, AudioCodec> = {
  0: 'pcm', 3: 'pcm', 2: 'mp3', 14: 'mp3', 7: 'g711a', 8: 'g711u', 10: 'aac', 11: 'speex', 13: 'opus',
};

/** Classifies an audio message body. Never throws. */
export function classifyAudio(body: Buffer): FlvAudioTag {
  if (body.length < 1) return audioFail(0, 'empty audio tag');
  const b0 = body[0];
  const soundFormat = b0 >> 4;
  if (soundFormat !== SOUND_FORMAT.EX_HEADER) {
    const codec = LEGACY_AUDIO[soundFormat] ?? 'other';
    const base = {
      kind: 'audio', codec, soundFormat, fourcc: undefined, enhanced: false,
      sampleRate: FLV_SOUND_RATES[(b0 >> 2) & 3], channels: (b0 & 1) + 1, sampleBits: b0 & 2 ? 16 : 8,
    } as const;
    if (codec === 'aac') {
      if (body.length < 2) return audioFail(soundFormat, 'AAC tag without AACPacketType');
      const t = body[1];
      const packetType: FlvPacketType = t === 0 ? 'sequence-start' : t === 1 ? 'coded-frames' : 'other';
      return { ...base, packetType, sequenceStart: t === 0, data: body.subarray(2), error: undefined };
    }
    return { ...base, packetType: 'coded-frames', sequenceStart: false, data: body.subarray(1), error: undefined };
  }
  let packetType = b0 & 0x0f;
  let off = 1;
  if (packetType === EX_MOD_EX) {
    const r = skipModEx(body, off);
    if (!r) return audioFail(soundFormat, 'truncated ModEx block');
    [off, packetType] = r;
  }
  if (packetType === EX_AUDIO_MULTITRACK) return { ...audioFail(soundFormat, 'multitrack audio is not supported'), packetType: 'multitrack' };
  if (off + 4 > body.length) return audioFail(soundFormat, 'enhanced tag shorter than its FourCC');
  const fcc = body.readUInt32BE(off);
  off += 4;
  let codec: AudioCodec = 'other';
  let fourcc: string;
  if (fcc === FOURCC_MP4A) [codec, fourcc] = ['aac', 'mp4a'];
  else if (fcc === FOURCC_OPUS) [codec, fourcc] = ['opus', 'Opus'];
  else if (fcc === FOURCC_MP3) [codec, fourcc] = ['mp3', '.mp3'];
  else if (fcc === FOURCC_AC3) [codec, fourcc] = ['ac3', 'ac-3'];
  else if (fcc === FOURCC_EC3) [codec, fourcc] = ['eac3', 'ec-3'];
  else if (fcc === FOURCC_FLAC) [codec, fourcc] = ['flac', 'fLaC'];
  else fourcc = body.toString('latin1', off - 4, off);
  const type: FlvPacketType =
    packetType === EX_SEQUENCE_START ? 'sequence-start'
      : packetType === EX_CODED_FRAMES ? 'coded-frames'
        : packetType === EX_SEQUENCE_END ? 'sequence-end'
          : packetType === EX_AUDIO_MULTICHANNEL_CONFIG ? 'multichannel-config' : 'other';
  return {
    kind: 'audio', codec, soundFormat, fourcc, enhanced: true, packetType: type, sequenceStart: type === 'sequence-start',
    sampleRate: 0, channels: 0, sampleBits: 0, data: body.subarray(off), error: undefined,
  };
}

const ON_METADATA = Buffer.from('\x02\x00\x0aonMetaData', 'latin1');
const SET_DATA_FRAME = Buffer.from('\x02\x00\x0d@setDataFrame', 'latin1');

/**
 * A script tag body / AMF0 data message that is stream metadata: its name (an AMF0 string) is
 * "onMetaData", or "@setDataFrame" (a publisher's wrapper, which the RTMP session removes).
 */
export function isOnMetaData(body: Buffer): boolean {
  return startsWith(body, ON_METADATA) || startsWith(body, SET_DATA_FRAME);
}

function startsWith(body: Buffer, prefix: Buffer): boolean {
  return body.length >= prefix.length && body.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
