/**
 * MPEG-TS muxer (ISO/IEC 13818-1) for HLS segments and HTTP-TS.
 *
 * One program: PAT (PID 0) -> PMT (PID 0x1001) -> video PID 0x100 and audio
 * PID 0x101, as SRS lays it out. Video is H.264/H.265 in Annex B with AUD and
 * parameter sets before each IDR; AAC is carried as ADTS; MP3 as is. PCR is
 * sent on the video PID (or the audio PID without video) at the start of every
 * PES. Each PES is written with one allocation: payload bytes are copied once,
 * from the packet body straight into the 188-byte packets. The muxer reads the
 * packets' frames (`packet.frame`: NAL units, raw audio) and the decoder
 * configurations their sequence starts carry (`packet.videoTrack` /
 * `packet.audioTrack`), each parsed once per packet for every output.
 */
import { CodecError } from './bit-reader.js';
import type { Packet } from './packet.js';
import { nalUnitsToAnnexB, splitNalus, AVC_NAL_SYNTAX, type AvcConfig, type AnnexBFrame } from './avc.js';
import { HEVC_NAL_SYNTAX, type HevcConfig } from './hevc.js';
import { writeAdtsHeader, ADTS_HEADER_SIZE, type AacConfig } from './aac.js';

export const TS_PACKET_SIZE = 188;
export const TS_PAT_PID = 0;
export const TS_PMT_PID = 0x1001;
export const TS_VIDEO_PID = 0x100;
export const TS_AUDIO_PID = 0x101;

/** PMT stream_type values (13818-1 Table 2-34 and its amendments) */
export const TsStreamType = { Mp3: 0x03, Mpeg2Audio: 0x04, AacAdts: 0x0f, H264: 0x1b, H265: 0x24 } as const;

export type TsVideoCodec = 'h264' | 'h265';
export type TsAudioCodec = 'aac' | 'mp3';

export interface TsMuxerOptions {
  video?: TsVideoCodec;
  audio?: TsAudioCodec;
  /**
   * Merge consecutive audio frames into one PES until it spans this many ms
   * (like SRS's audio cache); 0 writes one PES per frame. Call `flush()` to
   * write what is pending, e.g. before ending a segment.
   */
  audioMergeMs?: number;
}

const PTS_WRAP = 2 ** 33;

// MPEG-2 CRC32 (poly 0x04C11DB7, MSB first, init 0xffffffff, no final xor)
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 with polynomial 0x04C11DB7, unreflected, no final XOR: MPEG-2 (init 0xFFFFFFFF) and Ogg (init 0, RFC 3533 6). */
export function crc32Mpeg2(buf: Uint8Array, start = 0, end = buf.length, init = 0xffffffff): number {
  let crc = init;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ buf[i]) & 0xff]) >>> 0;
  return crc >>> 0;
}

function writeTimestamp(out: Uint8Array, off: number, prefix: number, ts90k: number): void {
  const v = ((ts90k % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  const hi = Math.floor(v / 2 ** 30); // bits 32..30
  const mid = Math.floor(v / 2 ** 15) & 0x7fff; // bits 29..15
  const lo = v % 2 ** 15; // bits 14..0
  out[off] = (prefix << 4) | (hi << 1) | 1;
  out[off + 1] = mid >> 7;
  out[off + 2] = ((mid & 0x7f) << 1) | 1;
  out[off + 3] = lo >> 7;
  out[off + 4] = ((lo & 0x7f) << 1) | 1;
}

/** The pieces of one PES: a header and payload chunks, copied once into TS packets. */
interface PesJob {
  pid: number;
  header: Buffer;
  chunks: readonly Uint8Array[];
  payloadLength: number;
  pcr90k: number | undefined;
  randomAccess: boolean;
}

export class TsMuxer {
  readonly video: TsVideoCodec | undefined;
  readonly audio: TsAudioCodec | undefined;
  /** video packets dropped because no sequence header was seen yet */
  dropped = 0;
  private readonly cc = new Map<number, number>();
  private readonly pcrPid: number;
  private readonly audioMergeMs: number;
  private avc: AvcConfig | undefined;
  private hevc: HevcConfig | undefined;
  private aac: AacConfig | undefined;
  // merged audio PES not yet written
  private pendingAudio: Uint8Array[] = [];
  private pendingAudioBytes = 0;
  private pendingAudioPts = 0;
  private pendingAudioLastPts = 0;

  constructor(opts: TsMuxerOptions) {
    if (!opts.video && !opts.audio) throw new CodecError('ts', 'a TS muxer needs audio or video');
    this.video = opts.video;
    this.audio = opts.audio;
    this.pcrPid = opts.video ? TS_VIDEO_PID : TS_AUDIO_PID;
    this.audioMergeMs = opts.audioMergeMs ?? 0;
  }

  private nextCc(pid: number): number {
    const c = this.cc.get(pid) ?? 0;
    this.cc.set(pid, (c + 1) & 0x0f);
    return c;
  }

  /** PAT + PMT (two TS packets); write at the start of each segment. */
  writeTables(): Buffer {
    const out = Buffer.alloc(2 * TS_PACKET_SIZE, 0xff);
    // PAT section
    const pat = Buffer.from([
      0x00, 0xb0, 0x0d, // table_id, syntax=1, section_length=13
      0x00, 0x01, // transport_stream_id
      0xc1, 0x00, 0x00, // version 0, current_next 1, section 0, last 0
      0x00, 0x01, 0xe0 | (TS_PMT_PID >> 8), TS_PMT_PID & 0xff, // program 1 -> PMT PID
    ]);
    this.writeSection(out, 0, TS_PAT_PID, pat);
    // PMT section
    const streams: [number, number][] = [];
    if (this.video) streams.push([this.video === 'h264' ? TsStreamType.H264 : TsStreamType.H265, TS_VIDEO_PID]);
    if (this.audio) streams.push([this.audio === 'aac' ? TsStreamType.AacAdts : TsStreamType.Mp3, TS_AUDIO_PID]);
    const sectionLength = 9 + 5 * streams.length + 4;
    const pmt = Buffer.alloc(3 + sectionLength - 4);
    pmt[0] = 0x02;
    pmt[1] = 0xb0 | (sectionLength >> 8);
    pmt[2] = sectionLength & 0xff;
    pmt.writeUInt16BE(1, 3); // program_number
    pmt[5] = 0xc1;
    pmt[6] = 0;
    pmt[7] = 0;
    pmt[8] = 0xe0 | (this.pcrPid >> 8);
    pmt[9] = this.pcrPid & 0xff;
    pmt[10] = 0xf0; // program_info_length 0
    pmt[11] = 0;
    let off = 12;
    for (const [type, pid] of streams) {
      pmt[off] = type;
      pmt[off + 1] = 0xe0 | (pid >> 8);
      pmt[off + 2] = pid & 0xff;
      pmt[off + 3] = 0xf0; // ES_info_length 0
      pmt[off + 4] = 0;
      off += 5;
    }
    this.writeSection(out, TS_PACKET_SIZE, TS_PMT_PID, pmt);
    return out;
  }

  private writeSection(out: Buffer, off: number, pid: number, section: Buffer): void {
    out[off] = 0x47;
    out[off + 1] = 0x40 | (pid >> 8); // payload_unit_start_indicator
    out[off + 2] = pid & 0xff;
    out[off + 3] = 0x10 | this.nextCc(pid); // payload only
    out[off + 4] = 0; // pointer_field
    section.copy(out, off + 5);
    out.writeUInt32BE(crc32Mpeg2(section), off + 5 + section.length);
  }

  /**
   * Muxes one packet. Sequence headers update the codec config and produce no
   * output; script packets are ignored. Returns whole TS packets.
   */
  mux(packet: Packet): Buffer[] {
    if (packet.kind === 'video') return this.muxVideo(packet);
    if (packet.kind === 'audio') return this.muxAudio(packet);
    return [];
  }

  /** Writes any merged audio that is still pending. Call before ending a segment. */
  flush(): Buffer[] {
    if (this.pendingAudio.length === 0) return [];
    const chunks = this.pendingAudio;
    const len = this.pendingAudioBytes;
    const pts = this.pendingAudioPts;
    this.pendingAudio = [];
    this.pendingAudioBytes = 0;
    return [this.writeAudioPes(chunks, len, pts)];
  }

  private muxVideo(packet: Packet): Buffer[] {
    if (!this.video) return [];
    const tag = packet.video!;
    if (tag.error) throw new CodecError('ts', tag.error);
    if (tag.packetType === 'command') return [];
    const want = this.video;
    if (tag.codec !== want) throw new CodecError('ts', `video codec ${tag.codec} in a ${want} TS stream`);
    if (tag.sequenceStart) {
      // the record as the packet's track parsed it (once, for every output)
      const t = packet.videoTrack!;
      if (t.error || !(t.avc ?? t.hevc)) throw new CodecError('ts', t.error ?? 'no decoder configuration record');
      this.avc = t.avc;
      this.hevc = t.hevc;
      return [];
    }
    const f = packet.frame;
    if (!f) return [];
    let frame: AnnexBFrame;
    if (want === 'h264') {
      if (!this.avc) return this.drop();
      frame = nalUnitsToAnnexB(this.nalUnitsOf(packet, this.avc.naluLengthSize), AVC_NAL_SYNTAX, { aud: true, paramSets: [...this.avc.sps, ...this.avc.pps] });
    } else {
      if (!this.hevc) return this.drop();
      const h = this.hevc;
      frame = nalUnitsToAnnexB(this.nalUnitsOf(packet, h.naluLengthSize), HEVC_NAL_SYNTAX, { aud: true, paramSets: [...h.vps, ...h.sps, ...h.pps] });
    }
    const dts = f.dts * 90;
    const pts = f.pts * 90;
    const header = pesHeader(0xe0, 0, pts, pts !== dts ? dts : undefined);
    return [this.packetize({
      pid: TS_VIDEO_PID, header, chunks: frame.chunks, payloadLength: frame.byteLength,
      pcr90k: this.pcrPid === TS_VIDEO_PID ? dts : undefined,
      randomAccess: packet.keyframe || frame.randomAccess,
    })];
  }

  /** The frame's NAL units, split again only when the packet was made for another length size than the stream's config says. */
  private nalUnitsOf(packet: Packet, lengthSize: number): readonly Buffer[] {
    const f = packet.frame!;
    if (packet.nalLengthSize !== lengthSize) return splitNalus(f.data, lengthSize);
    if (f.error) throw new CodecError('ts', f.error);
    return f.nalUnits;
  }

  private drop(): Buffer[] {
    this.dropped++;
    return [];
  }

  private muxAudio(packet: Packet): Buffer[] {
    if (!this.audio) return [];
    const tag = packet.audio!;
    if (tag.error) throw new CodecError('ts', tag.error);
    if (tag.codec !== this.audio) throw new CodecError('ts', `audio codec ${tag.codec} in a ${this.audio} TS stream`);
    let chunks: Uint8Array[];
    let len: number;
    if (tag.sequenceStart) {
      const t = packet.audioTrack!;
      if (t.error) throw new CodecError('ts', t.error);
      this.aac = t.aac;
      return [];
    }
    const f = packet.frame;
    if (!f) return [];
    if (this.audio === 'aac') {
      if (!this.aac) return [];
      const adts = Buffer.allocUnsafe(ADTS_HEADER_SIZE);
      writeAdtsHeader(adts, 0, this.aac, f.data.length);
      chunks = [adts, f.data];
      len = ADTS_HEADER_SIZE + f.data.length;
    } else {
      chunks = [f.data];
      len = f.data.length;
    }
    const pts = f.pts;
    if (this.audioMergeMs <= 0) return [this.writeAudioPes(chunks, len, pts)];
    const out: Buffer[] = [];
    // a gap or a jump back starts a new PES, so PES timestamps stay exact
    if (this.pendingAudio.length > 0 && (pts < this.pendingAudioLastPts || pts - this.pendingAudioLastPts > 200)) {
      out.push(...this.flush());
    }
    if (this.pendingAudio.length === 0) this.pendingAudioPts = pts;
    this.pendingAudio.push(...chunks);
    this.pendingAudioBytes += len;
    this.pendingAudioLastPts = pts;
    if (pts - this.pendingAudioPts >= this.audioMergeMs || this.pendingAudioBytes > 60000) out.push(...this.flush());
    return out;
  }

  private writeAudioPes(chunks: readonly Uint8Array[], len: number, ptsMs: number): Buffer {
    const header = pesHeader(0xc0, len, ptsMs * 90, undefined);
    return this.packetize({
      pid: TS_AUDIO_PID, header, chunks, payloadLength: len,
      pcr90k: this.pcrPid === TS_AUDIO_PID ? ptsMs * 90 : undefined,
      randomAccess: this.pcrPid === TS_AUDIO_PID,
    });
  }

  /** Splits a PES into 188-byte packets in one preallocated buffer. */
  private packetize(job: PesJob): Buffer {
    const total = job.header.length + job.payloadLength;
    // first packet: adaptation field with flags (+ PCR) when needed
    const firstAf = job.pcr90k !== undefined ? 8 : job.randomAccess ? 2 : 0;
    const firstSpace = 184 - firstAf;
    const count = total <= firstSpace ? 1 : 1 + Math.ceil((total - firstSpace) / 184);
    const out = Buffer.allocUnsafe(count * TS_PACKET_SIZE);
    // copy cursor over [header, ...chunks]
    const parts: readonly Uint8Array[] = [job.header, ...job.chunks];
    let part = 0;
    let partOff = 0;
    let left = total;
    for (let i = 0; i < count; i++) {
      const p = i * TS_PACKET_SIZE;
      const first = i === 0;
      const afNeeded = first ? firstAf : 0;
      const room = 184 - afNeeded;
      const take = Math.min(room, left);
      // stuffing goes into the adaptation field so the payload ends the packet exactly
      const afLen = afNeeded + (room - take); // total adaptation field bytes incl. its length byte
      out[p] = 0x47;
      out[p + 1] = (first ? 0x40 : 0) | (job.pid >> 8);
      out[p + 2] = job.pid & 0xff;
      out[p + 3] = (afLen > 0 ? 0x30 : 0x10) | this.nextCc(job.pid);
      let o = p + 4;
      if (afLen > 0) {
        out[o] = afLen - 1; // adaptation_field_length
        if (afLen > 1) {
          let flags = 0;
          if (first && job.randomAccess) flags |= 0x40;
          if (first && job.pcr90k !== undefined) flags |= 0x10;
          out[o + 1] = flags;
          let f = o + 2;
          if (first && job.pcr90k !== undefined) {
            // program_clock_reference_base (33 bits), 6 reserved bits, extension (9 bits) = 0
            const base = ((job.pcr90k % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
            out.writeUInt32BE(Math.floor(base / 2), f);
            out[f + 4] = ((base & 1) << 7) | 0x7e;
            out[f + 5] = 0;
            f += 6;
          }
          out.fill(0xff, f, o + afLen);
        }
        o += afLen;
      }
      // payload
      let need = take;
      while (need > 0) {
        const src = parts[part];
        const n = Math.min(need, src.length - partOff);
        out.set(n === src.length && partOff === 0 ? src : src.subarray(partOff, partOff + n), o);
        o += n;
        need -= n;
        partOff += n;
        if (partOff === src.length) {
          part++;
          partOff = 0;
        }
      }
      left -= take;
    }
    return out;
  }
}

/** PES header with PTS (and DTS when it differs). `payloadLength` 0 means unbounded (video only). */
function pesHeader(streamId: number, payloadLength: number, pts90k: number, dts90k: number | undefined): Buffer {
  const tsBytes = dts90k === undefined ? 5 : 10;
  const h = Buffer.allocUnsafe(9 + tsBytes);
  h[0] = 0;
  h[1] = 0;
  h[2] = 1;
  h[3] = streamId;
  const pesLen = payloadLength === 0 ? 0 : 3 + tsBytes + payloadLength;
  h.writeUInt16BE(pesLen > 0xffff ? 0 : pesLen, 4);
  h[6] = 0x80; // '10', not scrambled
  h[7] = dts90k === undefined ? 0x80 : 0xc0;
  h[8] = tsBytes;
  writeTimestamp(h, 9, dts90k === undefined ? 2 : 3, pts90k);
  if (dts90k !== undefined) writeTimestamp(h, 14, 1, dts90k);
  return h;
}
