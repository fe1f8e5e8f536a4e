/**
 * Header-only classification of FLV tag bodies, done once per packet at the
 * publisher: no allocation, no codec parsing (that happens only for sequence
 * headers, in avc.ts/aac.ts/hevc.ts).
 *
 * Video body byte 0: legacy `frameType:4 codecId:4`; enhanced RTMP sets bit 7
 * (`isExHeader:1 frameType:3 packetType:4`, then a FourCC).
 * Audio body byte 0: `soundFormat:4 rate:2 size:1 type:1`; AAC (10) then has
 * AACPacketType (0 = AudioSpecificConfig).
 */
export interface BodyFlags {
  keyframe: boolean;
  sequenceHeader: boolean;
  /** composition time offset (ms), signed 24-bit, video only */
  cts: number;
}

export const VIDEO_CODEC = { AVC: 7, HEVC: 12, AV1: 13 } as const;
export const SOUND_FORMAT = { MP3: 2, AAC: 10, SPEEX: 11, OPUS: 13 } as const;

/** Enhanced RTMP packet types (ExVideoTagHeader). */
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
const EX_CODED_FRAMES_X = 3;
const EX_MPEG2TS_SEQUENCE_START = 5;

export function videoFlags(body: Buffer): BodyFlags {
  if (body.length < 1) return { keyframe: false, sequenceHeader: false, cts: 0 };
  const b0 = body[0];
  if (b0 & 0x80) {
    const frameType = (b0 >> 4) & 0x07;
    const packetType = b0 & 0x0f;
    const sequenceHeader = packetType === EX_SEQUENCE_START || packetType === EX_MPEG2TS_SEQUENCE_START;
    const coded = packetType === EX_CODED_FRAMES || packetType === EX_CODED_FRAMES_X;
    // Only CodedFrames carries a composition time (3 bytes after the FourCC).
    const cts = packetType === EX_CODED_FRAMES && body.length >= 8 ? readSi24(body, 5) : 0;
    return { keyframe: coded && frameType === 1, sequenceHeader, cts };
  }
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if ((codecId === VIDEO_CODEC.AVC || codecId === VIDEO_CODEC.HEVC) && body.length >= 5) {
    // Packet type 2 (end of sequence) carries frame type 1 too, but is no picture.
    return { keyframe: frameType === 1 && body[1] === 1, sequenceHeader: body[1] === 0, cts: readSi24(body, 2) };
  }
  return { keyframe: frameType === 1, sequenceHeader: false, cts: 0 };
}

export function audioFlags(body: Buffer): BodyFlags {
  const sequenceHeader = body.length >= 2 && body[0] >> 4 === SOUND_FORMAT.AAC && body[1] === 0;
  return { keyframe: false, sequenceHeader, cts: 0 };
}

/** The video codec id of a body: legacy codec id, or the enhanced-RTMP FourCC mapped to one. */
export function videoCodecId(body: Buffer): number {
  if (body.length < 1) return 0;
  if (!(body[0] & 0x80)) return body[0] & 0x0f;
  if (body.length < 5) return 0;
  const fourcc = body.toString('latin1', 1, 5);
  if (fourcc === 'hvc1') return VIDEO_CODEC.HEVC;
  if (fourcc === 'av01') return VIDEO_CODEC.AV1;
  if (fourcc === 'avc1') return VIDEO_CODEC.AVC;
  return 0;
}

function readSi24(b: Buffer, offset: number): number {
  const v = (b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2];
  return v & 0x800000 ? v - 0x1000000 : v;
}

const ON_METADATA = Buffer.from('\x02\x00\x0aonMetaData', 'latin1');

/** A script tag body / AMF0 data message whose name is "onMetaData" (string marker, length 10, the name). */
export function isOnMetaData(body: Buffer): boolean {
  return body.length >= ON_METADATA.length && ON_METADATA.equals(body.subarray(0, ON_METADATA.length));
}
