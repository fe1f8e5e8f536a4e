/**
 * The media a publisher (or the floor) plays: an FLV file read once into memory and
 * replayed in real time, looped with continuous timestamps.
 */
import { readFileSync } from 'node:fs';
import { FlvDemuxer } from '@tsrs/server/dist/src/kernel/flv.js';
import { classifyAudio, classifyVideo } from '@tsrs/server/dist/src/kernel/flv-tag.js';
import { parseAvcConfig, type AvcConfig } from '@tsrs/server/dist/src/kernel/avc.js';

export interface MediaTag {
  type: number;
  /** ms from the first tag */
  ts: number;
  body: Buffer;
  /** sequence header or metadata: sent once, not on every loop */
  header: boolean;
}

export interface Media {
  tags: MediaTag[];
  /**
   * loop length, ms: the video track's duration (its last frame's timestamp less its first,
   * plus one frame interval), so frames stay one interval apart across the loop seam;
   * without video, the last timestamp plus one audio frame
   */
  period: number;
  /** media bitrate, kbit/s */
  kbps: number;
  /** the H.264 decoder configuration (SPS, PPS, NAL unit length size), when the video is AVC */
  avc?: AvcConfig;
}

export function loadFlv(file: string): Media {
  const demuxer = new FlvDemuxer();
  // An AVC/HEVC end-of-sequence tag (FFmpeg's FLV muxer ends files with one) is no frame:
  // replayed at every loop seam it would tell players the stream ended, mid-stream.
  const raw = demuxer.push(readFileSync(file)).filter((t) => !(t.type === 9 && isEndOfSequence(t.body)));
  if (raw.length === 0) throw new Error(`${file}: no FLV tags`);
  const first = raw.find((t) => t.type !== 18)?.timestamp ?? 0;
  let bytes = 0;
  const all = raw.map((t): MediaTag => {
    bytes += t.body.length;
    const b = t.body;
    // metadata and sequence headers (the classifier's reading, legacy or enhanced RTMP)
    const header = t.type === 18 || (t.type === 9 && classifyVideo(b).sequenceStart) || (t.type === 8 && classifyAudio(b).sequenceStart);
    return { type: t.type, ts: Math.max(0, t.timestamp - first), body: Buffer.from(b), header };
  });
  const frames = (type: number) => all.filter((t) => t.type === type && !t.header).map((t) => t.ts);
  const interval = (ts: number[], none: number) => (ts.length > 1 ? (ts[ts.length - 1] - ts[0]) / (ts.length - 1) : none);
  const videoTs = frames(9);
  const audioTs = frames(8);
  const audioFrame = interval(audioTs, 23);
  const period =
    videoTs.length > 1
      ? Math.round(videoTs[videoTs.length - 1] - videoTs[0] + interval(videoTs, 40))
      : Math.round(all[all.length - 1].ts + audioFrame);
  // Audio usually runs a frame or two past the video (encoder padding): cut at the loop length,
  // so the next loop's audio follows within one frame and never goes back in time.
  const audioEnd = period + (audioTs[0] ?? 0) + 1;
  const tags = all.filter((t) => t.type !== 8 || t.header || t.ts + audioFrame <= audioEnd);
  const avcHeader = tags.find((t) => t.type === 9 && t.header && isAvcPacket(t.body, 0));
  const avc = avcHeader ? parseAvcConfig(avcHeader.body.subarray(5)) : undefined;
  return { tags, period, kbps: (bytes * 8) / period, avc };
}

/** A legacy FLV AVC video tag body (codec id 7) of AVCPacketType `type` (0: sequence header, 1: NAL units). */
export function isAvcPacket(body: Buffer, type: number): boolean {
  return body.length >= 5 && (body[0] & 0x80) === 0 && (body[0] & 0x0f) === 7 && body[1] === type;
}

/**
 * An AVC video tag body (AVCPacketType 1) with the NAL unit `nal` inserted before its first
 * slice (VCL NAL unit, types 1-5), as H.264 7.4.1.2.3 orders SEI; a copy, `body` is unchanged.
 */
export function insertNalBeforeSlice(body: Buffer, nal: Buffer, naluLengthSize: number): Buffer {
  let off = 5;
  while (off + naluLengthSize < body.length) {
    const type = body[off + naluLengthSize] & 0x1f;
    if (type >= 1 && type <= 5) break;
    off += naluLengthSize + body.readUIntBE(off, naluLengthSize);
  }
  off = Math.min(off, body.length);
  const prefix = Buffer.alloc(naluLengthSize);
  prefix.writeUIntBE(nal.length, 0, naluLengthSize);
  return Buffer.concat([body.subarray(0, off), prefix, nal, body.subarray(off)]);
}

/** An FLV video tag carrying an end of sequence (AVC/HEVC packet type 2, legacy or enhanced FLV). */
function isEndOfSequence(body: Buffer): boolean {
  if (body.length < 2) return false;
  const codec = body[0] & 0x0f;
  if (body[0] & 0x80) return (body[0] & 0x0f) === 2; // enhanced RTMP: PacketTypeSequenceEnd
  return (codec === 7 || codec === 12) && body[1] === 2;
}

/** Replays a Media: `due(now)` hands out the tags whose time has come. */
export class Looper {
  private index = 0;
  private loop = 0;

  constructor(private readonly media: Media) {}

  /** Calls `send` for every tag due at `elapsedMs` (timestamps continue across loops). */
  due(elapsedMs: number, send: (tag: MediaTag, ts: number) => void): void {
    const { tags, period } = this.media;
    for (;;) {
      const tag = tags[this.index];
      const ts = this.loop * period + tag.ts;
      if (ts > elapsedMs) return;
      if (this.loop === 0 || !tag.header) send(tag, ts);
      if (++this.index === tags.length) {
        this.index = 0;
        this.loop++;
      }
    }
  }
}
