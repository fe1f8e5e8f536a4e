/**
 * Fragmented MP4 writer (ISO/IEC 14496-12, codec boxes from 14496-15 and
 * 14496-14) for HLS fMP4 segments (.m4s) and DVR to .mp4. Every fragment is a
 * self-contained moof+mdat, so a file cut short by a crash stays playable up
 * to its last complete fragment.
 *
 * Track 1 is video (if any), the next is audio. Video uses a 90 kHz timescale,
 * audio its sample rate; times come from the packets' ms timestamps.
 */
import { CodecError } from './bit-reader.js';
import type { Packet } from './packet.js';

// ---------------------------------------------------------------------------
// box helpers
// ---------------------------------------------------------------------------

function box(type: string, ...payload: Uint8Array[]): Buffer {
  let size = 8;
  for (const p of payload) size += p.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(size, 0);
  out.write(type, 4, 'latin1');
  let off = 8;
  for (const p of payload) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version << 24) | flags) >>> 0, 0);
  return box(type, vf, ...payload);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

const MATRIX = u32s(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/** ES descriptor length: minimal 7-bit groups with continuation bits. */
function descriptor(tag: number, ...payload: Uint8Array[]): Buffer {
  let len = 0;
  for (const p of payload) len += p.length;
  const sizeBytes: number[] = [];
  let v = len;
  do {
    sizeBytes.unshift(v & 0x7f);
    v >>= 7;
  } while (v > 0);
  for (let i = 0; i < sizeBytes.length - 1; i++) sizeBytes[i] |= 0x80;
  return Buffer.concat([Buffer.from([tag, ...sizeBytes]), ...payload]);
}

// ---------------------------------------------------------------------------
// tracks
// ---------------------------------------------------------------------------

export interface Fmp4VideoTrack {
  codec: 'h264' | 'h265';
  /** avcC / hvcC payload (the sequence header's record) */
  record: Buffer;
  width: number;
  height: number;
}

export interface Fmp4AudioTrack {
  codec: 'aac' | 'mp3';
  /** AudioSpecificConfig for AAC */
  asc: Buffer | undefined;
  sampleRate: number;
  channels: number;
}

/** Describes the video track from an AVC/HEVC sequence header packet (its cached track, kernel/tracks.ts). */
export function videoTrackFromPacket(packet: Packet): Fmp4VideoTrack {
  const t = packet.videoTrack;
  if (!t) throw new CodecError('fmp4', 'not a video sequence header');
  if (t.codec !== 'h264' && t.codec !== 'h265') throw new CodecError('fmp4', `unsupported video codec ${t.codec}`);
  if (t.error) throw new CodecError('fmp4', t.error);
  if (!(t.avc ?? t.hevc)?.sps.length) throw new CodecError('fmp4', `${t.codec === 'h264' ? 'avcC' : 'hvcC'} without SPS`);
  return { codec: t.codec, record: Buffer.from(t.record), width: t.width, height: t.height };
}

/** Describes the audio track from an AAC sequence header or any MP3 packet (its cached track). */
export function audioTrackFromPacket(packet: Packet): Fmp4AudioTrack {
  const t = packet.audioTrack;
  if (!t) throw new CodecError('fmp4', packet.audio?.codec === 'aac' ? 'not an AAC sequence header' : 'not an audio track');
  if (t.codec !== 'aac' && t.codec !== 'mp3') throw new CodecError('fmp4', `unsupported audio codec ${t.codec}`);
  if (t.error) throw new CodecError('fmp4', t.error);
  return { codec: t.codec, asc: t.config && Buffer.from(t.config), sampleRate: t.codec === 'aac' ? t.aac!.sampleRate : t.sampleRate, channels: t.channels || 2 };
}

interface TrackState {
  id: number;
  kind: 'video' | 'audio';
  timescale: number;
}

export interface Fmp4Sample {
  data: Uint8Array;
  dts: number; // in the track timescale
  cts: number;
  keyframe: boolean;
}

export class Fmp4Writer {
  private video: (TrackState & { track: Fmp4VideoTrack }) | undefined;
  private audio: (TrackState & { track: Fmp4AudioTrack }) | undefined;
  private sequence = 0;

  /**
   * The init segment (ftyp + moov). Accepts sequence header packets (for MP3,
   * any MP3 packet) or already described tracks.
   */
  init(video?: Packet | Fmp4VideoTrack, audio?: Packet | Fmp4AudioTrack): Buffer {
    if (!video && !audio) throw new CodecError('fmp4', 'an MP4 needs audio or video');
    this.video = undefined;
    this.audio = undefined;
    this.sequence = 0;
    let nextId = 1;
    if (video) {
      const track = 'body' in video ? videoTrackFromPacket(video) : video;
      this.video = { id: nextId++, kind: 'video', timescale: 90000, track };
    }
    if (audio) {
      const track = 'body' in audio ? audioTrackFromPacket(audio) : audio;
      this.audio = { id: nextId++, kind: 'audio', timescale: track.sampleRate, track };
    }
    const ftyp = box('ftyp', Buffer.from('iso5'), u32s(512), Buffer.from('iso5iso6mp41'));
    const traks: Buffer[] = [];
    const trexs: Buffer[] = [];
    for (const t of [this.video, this.audio]) {
      if (!t) continue;
      traks.push(this.trak(t));
      trexs.push(fullBox('trex', 0, 0, u32s(t.id, 1, 0, 0, 0)));
    }
    const mvhd = fullBox('mvhd', 0, 0,
      u32s(0, 0, 1000, 0, 0x00010000), Buffer.from([0x01, 0x00, 0, 0]), u32s(0, 0), MATRIX, Buffer.alloc(24), u32s(nextId));
    return Buffer.concat([ftyp, box('moov', mvhd, ...traks, box('mvex', ...trexs))]);
  }

  private trak(t: TrackState & { track: Fmp4VideoTrack | Fmp4AudioTrack }): Buffer {
    const isVideo = t.kind === 'video';
    const v = isVideo ? (t.track as Fmp4VideoTrack) : undefined;
    const tkhd = fullBox('tkhd', 0, 3,
      u32s(0, 0, t.id, 0, 0, 0, 0), Buffer.from([0, 0, 0, 0, isVideo ? 0 : 1, 0, 0, 0]), MATRIX,
      u32s((v?.width ?? 0) * 65536, (v?.height ?? 0) * 65536));
    const mdhd = fullBox('mdhd', 0, 0, u32s(0, 0, t.timescale, 0), Buffer.from([0x55, 0xc4, 0, 0]));
    const hdlr = fullBox('hdlr', 0, 0, u32s(0), Buffer.from(isVideo ? 'vide' : 'soun'), u32s(0, 0, 0),
      Buffer.from(isVideo ? 'VideoHandler\0' : 'SoundHandler\0'));
    const mediaHeader = isVideo ? fullBox('vmhd', 0, 1, Buffer.alloc(8)) : fullBox('smhd', 0, 0, Buffer.alloc(4));
    const dinf = box('dinf', fullBox('dref', 0, 0, u32s(1), fullBox('url ', 0, 1)));
    const stbl = box('stbl',
      fullBox('stsd', 0, 0, u32s(1), isVideo ? this.videoEntry(v!) : this.audioEntry(t.track as Fmp4AudioTrack)),
      fullBox('stts', 0, 0, u32s(0)), fullBox('stsc', 0, 0, u32s(0)), fullBox('stsz', 0, 0, u32s(0, 0)),
      fullBox('stco', 0, 0, u32s(0)));
    return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mediaHeader, dinf, stbl)));
  }

  private videoEntry(v: Fmp4VideoTrack): Buffer {
    const fields = Buffer.alloc(78);
    fields.writeUInt16BE(1, 6); // data_reference_index
    fields.writeUInt16BE(v.width, 24);
    fields.writeUInt16BE(v.height, 26);
    fields.writeUInt32BE(0x00480000, 28); // 72 dpi
    fields.writeUInt32BE(0x00480000, 32);
    fields.writeUInt16BE(1, 40); // frame_count
    fields.writeUInt16BE(0x18, 74); // depth
    fields.writeInt16BE(-1, 76);
    const config = box(v.codec === 'h264' ? 'avcC' : 'hvcC', v.record);
    return box(v.codec === 'h264' ? 'avc1' : 'hvc1', fields, config);
  }

  private audioEntry(a: Fmp4AudioTrack): Buffer {
    const fields = Buffer.alloc(28);
    fields.writeUInt16BE(1, 6); // data_reference_index
    fields.writeUInt16BE(a.channels, 16);
    fields.writeUInt16BE(16, 18); // samplesize
    fields.writeUInt32BE((a.sampleRate > 0xffff ? 0 : a.sampleRate) * 65536, 24);
    // ES_Descriptor: ES_ID 0, no flags; DecoderConfig: AAC 0x40 / MP3 0x6b, AudioStream (5)
    const dsi = a.codec === 'aac' && a.asc ? [descriptor(0x05, a.asc)] : [];
    const decoderConfig = descriptor(0x04,
      Buffer.from([a.codec === 'aac' ? 0x40 : 0x6b, (5 << 2) | 1, 0, 0, 0]), u32s(0, 0), ...dsi);
    const es = descriptor(0x03, Buffer.from([0, 0, 0]), decoderConfig, descriptor(0x06, Buffer.from([2])));
    return box('mp4a', fields, fullBox('esds', 0, 0, es));
  }

  /**
   * One fragment (moof + mdat) with the media packets given (sequence headers
   * and script packets are skipped). Sample durations come from the next
   * packet's dts; the last one repeats the previous duration.
   */
  fragment(packets: readonly Packet[]): Buffer {
    if (!this.video && !this.audio) throw new CodecError('fmp4', 'init() was not called');
    const vs: Fmp4Sample[] = [];
    const as: Fmp4Sample[] = [];
    for (const p of packets) {
      if (p.sequenceHeader) continue;
      if (p.kind === 'video' && this.video) {
        const f = p.frame;
        if (!f) continue;
        vs.push({ data: f.data, dts: Math.round(f.dts * 90), cts: Math.round((f.pts - f.dts) * 90), keyframe: f.keyframe });
      } else if (p.kind === 'audio' && this.audio) {
        const f = p.frame;
        if (!f) continue;
        as.push({ data: f.data, dts: Math.round((f.dts * this.audio.timescale) / 1000), cts: 0, keyframe: true });
      }
    }
    return this.fragmentSamples(this.video ? vs : [], this.audio ? as : []);
  }

  /** A fragment from samples already in track timescales (for callers that keep their own timing). */
  fragmentSamples(videoSamples: readonly Fmp4Sample[], audioSamples: readonly Fmp4Sample[]): Buffer {
    const tracks: [TrackState, readonly Fmp4Sample[]][] = [];
    if (this.video && videoSamples.length) tracks.push([this.video, videoSamples]);
    if (this.audio && audioSamples.length) tracks.push([this.audio, audioSamples]);
    if (tracks.length === 0) throw new CodecError('fmp4', 'a fragment needs at least one sample');
    const mfhd = fullBox('mfhd', 0, 0, u32s(++this.sequence));
    // build trafs with placeholder data offsets, patched once the moof size is known
    const trafs: Buffer[] = [];
    const offsetPositions: number[] = [];
    let mdatSize = 0;
    const mdatStarts: number[] = [];
    for (const [t, samples] of tracks) {
      const isVideo = t.kind === 'video';
      const n = samples.length;
      const flags = 0x000001 | 0x000100 | 0x000200 | (isVideo ? 0x000400 | 0x000800 : 0);
      const per = isVideo ? 16 : 8;
      const trun = Buffer.allocUnsafe(12 + 8 + n * per);
      trun.writeUInt32BE(trun.length, 0);
      trun.write('trun', 4, 'latin1');
      trun.writeUInt32BE(((isVideo ? 1 : 0) << 24) | flags, 8); // version 1: signed composition offsets
      trun.writeUInt32BE(n, 12);
      trun.writeInt32BE(0, 16); // data_offset placeholder
      let off = 20;
      mdatStarts.push(mdatSize);
      for (let i = 0; i < n; i++) {
        const s = samples[i];
        let dur: number;
        if (i + 1 < n) dur = samples[i + 1].dts - s.dts;
        else if (n > 1) dur = s.dts - samples[i - 1].dts;
        else dur = isVideo ? 3600 : 1024; // a lone sample: 40 ms of video / one AAC frame
        // a timestamp jump (a damaged file, a hostile publisher) must not overflow the 32-bit field
        trun.writeUInt32BE(Math.min(0xffffffff, Math.max(0, dur)), off);
        trun.writeUInt32BE(s.data.length, off + 4);
        off += 8;
        if (isVideo) {
          // keyframe: depends on nothing; else: depends on others, non-sync
          trun.writeUInt32BE(s.keyframe ? 0x02000000 : 0x01010000, off);
          trun.writeInt32BE(s.cts, off + 4);
          off += 8;
        }
        mdatSize += s.data.length;
      }
      const tfhd = fullBox('tfhd', 0, 0x020000, u32s(t.id)); // default-base-is-moof
      const dtsBase = samples[0].dts;
      const tfdt = fullBox('tfdt', 1, 0, u32s(Math.floor(dtsBase / 2 ** 32), dtsBase % 2 ** 32));
      const traf = box('traf', tfhd, tfdt, trun);
      offsetPositions.push(traf.length - trun.length + 16);
      trafs.push(traf);
    }
    const moofSize = 8 + mfhd.length + trafs.reduce((a, b) => a + b.length, 0);
    const out = Buffer.allocUnsafe(moofSize + 8 + mdatSize);
    out.writeUInt32BE(moofSize, 0);
    out.write('moof', 4, 'latin1');
    let off = 8;
    mfhd.copy(out, off);
    off += mfhd.length;
    trafs.forEach((traf, i) => {
      traf.writeInt32BE(moofSize + 8 + mdatStarts[i], offsetPositions[i]);
      traf.copy(out, off);
      off += traf.length;
    });
    out.writeUInt32BE(8 + mdatSize, off);
    out.write('mdat', off + 4, 'latin1');
    off += 8;
    for (const [, samples] of tracks) {
      for (const s of samples) {
        out.set(s.data, off);
        off += s.data.length;
      }
    }
    return out;
  }
}
