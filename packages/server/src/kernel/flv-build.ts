/**
 * FLV tag bodies (the RTMP audio/video message payloads) built from frames, the
 * way back from NAL units / raw audio to what a Source stores and RTMP, HTTP-FLV
 * and DVR send. Each body is one allocation; NAL units are written with 4-byte
 * lengths.
 *
 * Layouts:
 * - H.264, legacy FLV (video file format spec v10.1 E.4.3.1):
 *   `frameType:4 codecId:4 (7)`, AVCPacketType (0 sequence header, 1 NALU,
 *   2 end of sequence), SI24 composition time (ms), then the
 *   AVCDecoderConfigurationRecord or length-prefixed NAL units.
 * - H.265 and Opus, enhanced RTMP (veovera enhanced-rtmp v1/v2):
 *   video `isExHeader:1 frameType:3 packetType:4` + FourCC 'hvc1', packet types
 *   SequenceStart (0, HEVCDecoderConfigurationRecord), CodedFrames (1, SI24
 *   composition time then NAL units), SequenceEnd (2), CodedFramesX (3, NAL units,
 *   composition time 0); audio `soundFormat:4 (9 = ExHeader) packetType:4` +
 *   FourCC 'Opus', SequenceStart (0, the OpusHead ID header of RFC 7845 5.1) and
 *   CodedFrames (1, one Opus packet).
 * - AAC: `0xAF` (format 10, 44 kHz, 16-bit, stereo as the spec requires for
 *   AAC), AACPacketType 0 + AudioSpecificConfig or 1 + one raw AAC frame.
 * - MP3: `0x2?` (format 2, rate bucket, 16-bit, channels) + one MP3 frame.
 */
import { CodecError } from './bit-reader.js';
import { lengthPrefixedSize, writeLengthPrefixed } from './annexb.js';
import { parseMp3FrameHeader } from './aac.js';

/** Enhanced RTMP video packet types (ExVideoTagHeader). */
export const ExVideoPacketType = { SequenceStart: 0, CodedFrames: 1, SequenceEnd: 2, CodedFramesX: 3 } as const;
/** Enhanced RTMP audio packet types (ExAudioTagHeader). */
export const ExAudioPacketType = { SequenceStart: 0, CodedFrames: 1, SequenceEnd: 2 } as const;

const FOURCC_HVC1 = Buffer.from('hvc1', 'latin1');
const FOURCC_OPUS = Buffer.from('Opus', 'latin1');
const AVC_CODEC_ID = 7;
const FRAME_KEY = 1;
const FRAME_INTER = 2;
const SOUND_EX_HEADER = 9;

/** SI24 composition times are bounded; an offset outside is a caller's bug or hostile input. */
function checkCts(ctsMs: number): void {
  if (!Number.isInteger(ctsMs) || ctsMs < -0x800000 || ctsMs > 0x7fffff) throw new CodecError('flv-build', `composition time ${ctsMs} ms outside SI24`);
}

function writeSi24(out: Buffer, off: number, v: number): void {
  const u = v < 0 ? v + 0x1000000 : v;
  out[off] = (u >> 16) & 0xff;
  out[off + 1] = (u >> 8) & 0xff;
  out[off + 2] = u & 0xff;
}

// --- H.264 (legacy FLV) ---------------------------------------------------------

/** AVC sequence header body: `17 00 000000` + AVCDecoderConfigurationRecord. */
export function avcSequenceHeaderBody(record: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + record.length);
  out[0] = (FRAME_KEY << 4) | AVC_CODEC_ID;
  out[1] = 0;
  writeSi24(out, 2, 0);
  out.set(record, 5);
  return out;
}

/** AVC NALU body: key (`17`) or inter (`27`) frame, `01`, SI24 composition time, length-prefixed NAL units. */
export function avcFrameBody(nalus: readonly Uint8Array[], keyframe: boolean, ctsMs = 0): Buffer {
  checkCts(ctsMs);
  const out = Buffer.allocUnsafe(5 + lengthPrefixedSize(nalus, 4));
  out[0] = ((keyframe ? FRAME_KEY : FRAME_INTER) << 4) | AVC_CODEC_ID;
  out[1] = 1;
  writeSi24(out, 2, ctsMs);
  writeLengthPrefixed(out, 5, nalus, 4);
  return out;
}

/** AVC end of sequence body: `17 02 000000`. */
export function avcEndOfSequenceBody(): Buffer {
  return Buffer.from([(FRAME_KEY << 4) | AVC_CODEC_ID, 2, 0, 0, 0]);
}

// --- H.265 (enhanced RTMP 'hvc1') -----------------------------------------------

function exVideoHeader(out: Buffer, keyframe: boolean, packetType: number): void {
  out[0] = 0x80 | ((keyframe ? FRAME_KEY : FRAME_INTER) << 4) | packetType;
  FOURCC_HVC1.copy(out, 1);
}

/** HEVC SequenceStart body: ExHeader (key frame), 'hvc1', HEVCDecoderConfigurationRecord. */
export function hevcSequenceStartBody(record: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + record.length);
  exVideoHeader(out, true, ExVideoPacketType.SequenceStart);
  out.set(record, 5);
  return out;
}

/**
 * HEVC coded frame body: CodedFrames with the SI24 composition time when it is
 * not 0, else the shorter CodedFramesX (as FFmpeg writes them), 'hvc1', NAL units.
 */
export function hevcFrameBody(nalus: readonly Uint8Array[], keyframe: boolean, ctsMs = 0): Buffer {
  checkCts(ctsMs);
  const head = ctsMs === 0 ? 5 : 8;
  const out = Buffer.allocUnsafe(head + lengthPrefixedSize(nalus, 4));
  exVideoHeader(out, keyframe, ctsMs === 0 ? ExVideoPacketType.CodedFramesX : ExVideoPacketType.CodedFrames);
  if (ctsMs !== 0) writeSi24(out, 5, ctsMs);
  writeLengthPrefixed(out, head, nalus, 4);
  return out;
}

/** HEVC SequenceEnd body. */
export function hevcSequenceEndBody(): Buffer {
  const out = Buffer.allocUnsafe(5);
  exVideoHeader(out, true, ExVideoPacketType.SequenceEnd);
  return out;
}

// --- AAC ------------------------------------------------------------------------

/** AAC (SoundFormat 10), 44 kHz, 16-bit, stereo: the FLV spec's fixed flags for AAC. */
const AAC_FLAGS = 0xaf;

/** AAC sequence header body: `AF 00` + AudioSpecificConfig. */
export function aacSequenceHeaderBody(asc: Uint8Array): Buffer {
  if (asc.length < 2) throw new CodecError('flv-build', `AudioSpecificConfig of ${asc.length} bytes`);
  const out = Buffer.allocUnsafe(2 + asc.length);
  out[0] = AAC_FLAGS;
  out[1] = 0;
  out.set(asc, 2);
  return out;
}

/** AAC raw frame body: `AF 01` + one raw AAC frame (no ADTS header). */
export function aacFrameBody(raw: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + raw.length);
  out[0] = AAC_FLAGS;
  out[1] = 1;
  out.set(raw, 2);
  return out;
}

// --- MP3 ------------------------------------------------------------------------

/** FLV SoundRate of an MP3 sample rate: the nearest of 5.5/11/22/44 kHz (48 kHz MP3 is flagged 44 kHz, as FFmpeg does). */
function flvSoundRate(hz: number): number {
  if (hz >= 32000) return 3;
  if (hz >= 22050) return 2;
  if (hz >= 11025) return 1;
  return 0;
}

/**
 * MP3 body: `soundFormat 2 | rate | 16-bit | stereo` + the frame. The flags come
 * from the frame's own header; throws CodecError when it has none.
 */
export function mp3FrameBody(frame: Uint8Array): Buffer {
  const h = parseMp3FrameHeader(frame);
  const out = Buffer.allocUnsafe(1 + frame.length);
  out[0] = (2 << 4) | (flvSoundRate(h.sampleRate) << 2) | 2 | (h.channels === 2 ? 1 : 0);
  out.set(frame, 1);
  return out;
}

// --- Opus (enhanced RTMP 'Opus') ------------------------------------------------

function exAudioBody(packetType: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = (SOUND_EX_HEADER << 4) | packetType;
  FOURCC_OPUS.copy(out, 1);
  out.set(payload, 5);
  return out;
}

/** Opus SequenceStart body: `90` 'Opus' + the OpusHead ID header. */
export function opusSequenceStartBody(opusHead: Uint8Array): Buffer {
  return exAudioBody(ExAudioPacketType.SequenceStart, opusHead);
}

/** Opus CodedFrames body: `91` 'Opus' + one Opus packet. */
export function opusFrameBody(packet: Uint8Array): Buffer {
  return exAudioBody(ExAudioPacketType.CodedFrames, packet);
}
