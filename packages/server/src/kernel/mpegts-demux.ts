/**
 * MPEG-TS demuxer (ISO/IEC 13818-1): 188-byte transport packets in, access
 * units out (see mpegts-es.ts for what each codec's access unit is).
 *
 * - Packets: bytes may arrive in any pieces (UDP datagrams, a file read); a
 *   lost sync byte is found again (0x47 at a packet start, confirmed by the next
 *   packet when the bytes are there) and counted.
 * - PSI: the PAT's first program and its PMT, sections reassembled across
 *   packets and checked with their CRC-32 (a bad CRC is counted and ignored).
 *   Stream types: 0x1B H.264, 0x24 H.265, 0x0F AAC in ADTS, 0x03/0x04 MPEG audio
 *   (MP3), 0x06 with a registration descriptor 'Opus' (and the extension
 *   descriptor 0x7F / tag 0x80 giving the channel configuration). Others are skipped.
 * - PES: reassembled per PID; complete when its PES_packet_length is reached or
 *   the next PES starts (unbounded video PES), or at `end()`. PTS/DTS are 33-bit
 *   90 kHz values, unwrapped onto one line that continues past 2^33 (the value
 *   closest to the previous timestamp of any stream).
 * - Loss: a continuity_counter gap (or transport_error_indicator) drops the PES
 *   in progress on that PID and counts it; a repeated packet (same counter) is
 *   skipped as 13818-1 allows; a discontinuity_indicator resets the counter.
 * - Bounds: a PES above `maxPesBytes`, or pending PES data above
 *   `maxPendingBytes` in all, is dropped and counted with the reason in
 *   `lastError`; at most `maxStreams` elementary streams are followed.
 *
 * The demuxer never throws on input: damage is counted in `stats`.
 */
import { crc32Mpeg2 } from './mpegts.js';
import { accessUnitsOf, type EsState, type TsAccessUnit, type TsCodec } from './mpegts-es.js';

export type { TsAccessUnit, TsCodec } from './mpegts-es.js';

const PACKET = 188;
const SYNC = 0x47;
const WRAP = 2 ** 33;
const MAX_SECTION = 1024; // 3 + a section_length of at most 1021

export interface TsDemuxerOptions {
  /** largest PES (header + payload) kept; default 8 MiB */
  maxPesBytes?: number;
  /** PES bytes held over all streams; default 32 MiB */
  maxPendingBytes?: number;
  /** elementary streams followed from the PMT; default 8 */
  maxStreams?: number;
}

export interface TsDemuxStats {
  packets: number;
  /** times the sync byte was lost and searched for */
  resyncs: number;
  /** bytes skipped while searching for the sync byte */
  skippedBytes: number;
  /** continuity_counter gaps */
  ccErrors: number;
  /** packets with transport_error_indicator set */
  transportErrors: number;
  /** PES dropped: after a gap, a transport error, a bad header, or over a bound */
  droppedPes: number;
  /** PES over `maxPesBytes` / pending data over `maxPendingBytes` */
  oversizedPes: number;
  /** PSI sections with a bad CRC-32 */
  crcErrors: number;
  /** access units returned */
  accessUnits: number;
}

export interface TsStreamInfo {
  pid: number;
  streamType: number;
  codec: TsCodec;
}

interface PesState extends EsState {
  streamType: number;
  /** last continuity_counter seen, -1 before the first packet */
  cc: number;
  parts: Buffer[];
  size: number;
  /** the PES in progress is damaged: drop it at the next start */
  broken: boolean;
  /** PES_packet_length + 6, or 0 when unbounded */
  expected: number;
  /** the last PTS, for a PES without one */
  lastPts: number | undefined;
}

interface SectionState {
  buf: Buffer | undefined;
}

const STREAM_CODECS: Record<number, TsCodec> = { 0x1b: 'h264', 0x24: 'h265', 0x0f: 'aac', 0x03: 'mp3', 0x04: 'mp3' };

export class TsDemuxer {
  readonly stats: TsDemuxStats = {
    packets: 0, resyncs: 0, skippedBytes: 0, ccErrors: 0, transportErrors: 0, droppedPes: 0, oversizedPes: 0, crcErrors: 0, accessUnits: 0,
  };
  /** what the last dropped PES or ignored section was about */
  lastError: string | undefined;
  private readonly maxPesBytes: number;
  private readonly maxPendingBytes: number;
  private readonly maxStreams: number;
  private rest: Buffer | undefined;
  /** packets are aligned; false after a lost sync byte until a start is confirmed */
  private synced = true;
  private pmtPid = -1;
  private pmtVersion = -1;
  private readonly sections = new Map<number, SectionState>();
  private readonly streams = new Map<number, PesState>();
  private pending = 0;
  private lastTs: number | undefined;

  constructor(opts: TsDemuxerOptions = {}) {
    this.maxPesBytes = opts.maxPesBytes ?? 8 * 1024 * 1024;
    this.maxPendingBytes = opts.maxPendingBytes ?? 32 * 1024 * 1024;
    this.maxStreams = opts.maxStreams ?? 8;
  }

  /** The elementary streams of the current PMT (empty until one arrived). */
  get tracks(): TsStreamInfo[] {
    return [...this.streams.values()].map((s) => ({ pid: s.pid, streamType: s.streamType, codec: s.codec }));
  }

  /** PES bytes held, over all streams (at most `maxPendingBytes`). */
  get pendingBytes(): number {
    return this.pending + (this.rest?.length ?? 0);
  }

  /** Feeds bytes (any split); returns the access units completed by them. */
  push(chunk: Buffer): TsAccessUnit[] {
    const out: TsAccessUnit[] = [];
    let data = chunk;
    if (this.rest) {
      data = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let off = 0;
    const n = data.length;
    while (off + PACKET <= n) {
      if (!this.synced) {
        const at = this.findSync(data, off);
        this.stats.skippedBytes += at - off;
        off = at;
        if (at + 2 * PACKET >= n) break; // not confirmed yet: wait for more bytes
        this.synced = true;
      }
      // a packet starts with 0x47, and so does the next one when it is there
      if (data[off] !== SYNC || (off + 2 * PACKET <= n && data[off + PACKET] !== SYNC)) {
        this.synced = false;
        this.stats.resyncs++;
        off++;
        this.stats.skippedBytes++;
        continue;
      }
      this.packet(data.subarray(off, off + PACKET), out);
      off += PACKET;
    }
    // at most 3 packets (an unconfirmed sync candidate), copied so the chunk can go
    if (off < n) this.rest = Buffer.from(data.subarray(off));
    this.stats.accessUnits += out.length;
    return out;
  }

  /** The stream ended: completes every PES still open (e.g. the last video frame). */
  end(): TsAccessUnit[] {
    const out: TsAccessUnit[] = [];
    for (const s of this.streams.values()) this.finish(s, out);
    this.rest = undefined;
    this.stats.accessUnits += out.length;
    return out;
  }

  /**
   * The input is abandoned (the publish ended): every PES in progress, partial section and
   * unaligned rest is dropped at once, so whoever still holds the demuxer does not hold them.
   */
  release(): void {
    for (const s of this.streams.values()) this.clear(s);
    for (const st of this.sections.values()) st.buf = undefined;
    this.rest = undefined;
  }

  /**
   * The next offset that starts a packet: 0x47 there and one and two packets
   * later. A candidate too close to the end to be checked is returned as is
   * (the caller waits for more bytes); no candidate at all gives the offset of
   * the last two packets' worth of bytes, which are kept.
   */
  private findSync(data: Buffer, from: number): number {
    const n = data.length;
    for (let i = from; i < n; i++) {
      if (data[i] !== SYNC) continue;
      if (i + 2 * PACKET >= n) return i;
      if (data[i + PACKET] === SYNC && data[i + 2 * PACKET] === SYNC) return i;
    }
    return Math.max(from, n - 2 * PACKET);
  }

  private packet(p: Buffer, out: TsAccessUnit[]): void {
    this.stats.packets++;
    const tei = (p[1] & 0x80) !== 0;
    const pusi = (p[1] & 0x40) !== 0;
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    const afc = (p[3] >> 4) & 3;
    const cc = p[3] & 0x0f;
    if (pid === 0x1fff || afc === 0) return;
    let off = 4;
    let discontinuity = false;
    if (afc & 2) {
      const afLen = p[4];
      if (afLen > 0) discontinuity = (p[5] & 0x80) !== 0;
      off = 5 + afLen;
      if (off > PACKET) return; // adaptation field longer than the packet
    }
    const hasPayload = (afc & 1) !== 0 && off < PACKET;
    const es = this.streams.get(pid);
    if (tei) {
      this.stats.transportErrors++;
      if (es) this.breakPes(es, 'transport_error_indicator set');
      return;
    }
    if (pid === 0 || pid === this.pmtPid) {
      if (hasPayload) this.psi(pid, pusi, p.subarray(off));
      return;
    }
    if (!es) return;
    // continuity: only packets with a payload count
    if (afc & 1) {
      if (es.cc >= 0 && !discontinuity) {
        if (cc === es.cc) return; // a duplicate packet
        if (cc !== ((es.cc + 1) & 0x0f)) {
          this.stats.ccErrors++;
          this.breakPes(es, `continuity_counter gap on PID ${pid} (${es.cc} -> ${cc})`);
        }
      }
      es.cc = cc;
    }
    if (!hasPayload) return;
    const payload = p.subarray(off);
    if (pusi) {
      this.finish(es, out);
      es.broken = false;
      this.append(es, payload);
      if (es.size >= 6) es.expected = es.parts[0].length >= 6 ? readPesLength(es.parts[0]) : 0;
    } else if (es.size > 0 && !es.broken) {
      this.append(es, payload);
    } else {
      return; // the middle of a PES we did not see start, or one already dropped
    }
    if (es.expected > 0 && es.size >= es.expected) this.finish(es, out);
  }

  private append(es: PesState, payload: Buffer): void {
    if (es.size + payload.length > this.maxPesBytes || this.pending + payload.length > this.maxPendingBytes) {
      this.stats.oversizedPes++;
      const why = es.size + payload.length > this.maxPesBytes ? `PES over ${this.maxPesBytes} bytes` : `pending PES data over ${this.maxPendingBytes} bytes`;
      this.breakPes(es, `${why} on PID ${es.pid}`);
      return;
    }
    es.parts.push(payload);
    es.size += payload.length;
    this.pending += payload.length;
  }

  /** Drops the PES in progress (its later packets are skipped until the next start). */
  private breakPes(es: PesState, why: string): void {
    if (es.size > 0) this.stats.droppedPes++;
    this.lastError = why;
    this.clear(es);
    es.broken = true;
  }

  private clear(es: PesState): void {
    this.pending -= es.size;
    es.parts = [];
    es.size = 0;
    es.expected = 0;
  }

  /** Completes the PES in progress on `es`, if any. */
  private finish(es: PesState, out: TsAccessUnit[]): void {
    if (es.size === 0) return;
    const pes = es.parts.length === 1 ? es.parts[0] : Buffer.concat(es.parts, es.size);
    this.clear(es);
    const parsed = parsePesHeader(pes);
    if (typeof parsed === 'string') {
      this.stats.droppedPes++;
      this.lastError = `${parsed} on PID ${es.pid}`;
      return;
    }
    let end = pes.length;
    if (parsed.length > 0) {
      if (parsed.length > pes.length) {
        this.stats.droppedPes++;
        this.lastError = `PES cut short on PID ${es.pid} (${pes.length} of ${parsed.length} bytes)`;
        return;
      }
      end = parsed.length;
    }
    let pts: number;
    let dts: number;
    if (parsed.pts === undefined) {
      if (es.lastPts === undefined) {
        this.stats.droppedPes++;
        this.lastError = `PES without PTS on PID ${es.pid}`;
        return;
      }
      pts = dts = es.lastPts;
    } else {
      // decode order is the line; the PTS is placed next to its DTS
      dts = this.unwrap(parsed.dts ?? parsed.pts);
      pts = parsed.dts === undefined ? dts : nearest(parsed.pts, dts);
    }
    const units = accessUnitsOf(es, pes.subarray(parsed.payloadOffset, end), pts, dts);
    es.lastPts = units.length > 0 ? units[units.length - 1].pts : pts;
    for (const u of units) out.push(u);
  }

  /** The 33-bit value placed closest to the previous timestamp. */
  private unwrap(v: number): number {
    const t = this.lastTs === undefined ? v : nearest(v, this.lastTs);
    this.lastTs = t;
    return t;
  }

  // --- PSI ----------------------------------------------------------------------

  private psi(pid: number, pusi: boolean, payload: Buffer): void {
    let st = this.sections.get(pid);
    if (!st) {
      st = { buf: undefined };
      this.sections.set(pid, st);
    }
    if (pusi) {
      const pointer = payload[0];
      if (1 + pointer > payload.length) {
        st.buf = undefined;
        return;
      }
      // the end of a section begun in an earlier packet
      if (st.buf && pointer > 0) this.sectionData(pid, st, payload.subarray(1, 1 + pointer));
      st.buf = Buffer.from(payload.subarray(1 + pointer));
    } else if (st.buf) {
      st.buf = Buffer.concat([st.buf, payload]);
    } else {
      return;
    }
    this.sectionData(pid, st, undefined);
  }

  /** Handles every complete section in the buffer; keeps an incomplete one (bounded). */
  private sectionData(pid: number, st: SectionState, more: Buffer | undefined): void {
    let buf = more && st.buf ? Buffer.concat([st.buf, more]) : st.buf;
    while (buf && buf.length >= 3 && buf[0] !== 0xff) {
      const len = 3 + (((buf[1] & 0x0f) << 8) | buf[2]);
      if (len > MAX_SECTION) {
        buf = undefined;
        break;
      }
      if (buf.length < len) break;
      this.section(pid, buf.subarray(0, len));
      if (this.sections.get(pid) !== st) return; // the PMT PID changed
      buf = buf.subarray(len);
    }
    st.buf = buf && buf.length > 0 && buf[0] !== 0xff && buf.length < MAX_SECTION ? buf : undefined;
  }

  private section(pid: number, s: Buffer): void {
    // long form only: table_id, syntax 1, ..., CRC_32
    if (s.length < 12 || (s[1] & 0x80) === 0) return;
    if (crc32Mpeg2(s, 0, s.length - 4) !== s.readUInt32BE(s.length - 4)) {
      this.stats.crcErrors++;
      this.lastError = `PSI section with a bad CRC-32 on PID ${pid}`;
      return;
    }
    if ((s[5] & 1) === 0) return; // not current yet
    if (pid === 0 && s[0] === 0x00) this.pat(s);
    else if (pid === this.pmtPid && s[0] === 0x02) this.pmt(s);
  }

  private pat(s: Buffer): void {
    for (let i = 8; i + 4 <= s.length - 4; i += 4) {
      const program = s.readUInt16BE(i);
      if (program === 0) continue; // network PID
      const pmtPid = s.readUInt16BE(i + 2) & 0x1fff;
      if (pmtPid !== this.pmtPid) {
        if (this.pmtPid >= 0) this.sections.delete(this.pmtPid);
        this.pmtPid = pmtPid;
        this.pmtVersion = -1;
      }
      return;
    }
  }

  private pmt(s: Buffer): void {
    const version = (s[5] >> 1) & 0x1f;
    if (version === this.pmtVersion) return;
    this.pmtVersion = version;
    const end = s.length - 4;
    const programInfoLength = s.readUInt16BE(10) & 0x0fff;
    let i = 12 + programInfoLength;
    const seen = new Set<number>();
    while (i + 5 <= end) {
      const streamType = s[i];
      const pid = s.readUInt16BE(i + 1) & 0x1fff;
      const infoLength = s.readUInt16BE(i + 3) & 0x0fff;
      const info = s.subarray(i + 5, Math.min(end, i + 5 + infoLength));
      i += 5 + infoLength;
      let codec = STREAM_CODECS[streamType];
      let opusChannelConfig: number | undefined;
      if (streamType === 0x06) {
        const opus = opusDescriptors(info);
        if (opus.registered) {
          codec = 'opus';
          opusChannelConfig = opus.channelConfig;
        }
      }
      if (!codec || pid === 0 || pid === this.pmtPid || seen.size >= this.maxStreams) continue;
      seen.add(pid);
      const old = this.streams.get(pid);
      if (old && old.codec === codec && old.streamType === streamType && old.opusChannelConfig === opusChannelConfig) continue;
      if (old) this.clear(old);
      this.streams.set(pid, {
        pid, codec, streamType, opusChannelConfig, droppedBytes: 0, cc: -1, parts: [], size: 0, broken: false, expected: 0, lastPts: undefined,
      });
    }
    for (const [pid, es] of this.streams) {
      if (seen.has(pid)) continue;
      this.clear(es);
      this.streams.delete(pid);
    }
  }
}

/** The 33-bit timestamp `v` plus the multiple of 2^33 that brings it closest to `ref`. */
function nearest(v: number, ref: number): number {
  return v + Math.round((ref - v) / WRAP) * WRAP;
}

/** PES_packet_length + 6 (the whole PES), or 0 when unbounded. */
function readPesLength(b: Buffer): number {
  const len = b.readUInt16BE(4);
  return len === 0 ? 0 : 6 + len;
}

interface PesHeader {
  pts: number | undefined;
  dts: number | undefined;
  payloadOffset: number;
  /** the whole PES length, 0 when unbounded */
  length: number;
}

/** Stream ids without the optional PES header (13818-1 Table 2-21). */
const NO_OPTIONAL_HEADER = new Set([0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff]);

/** Parses a PES header; returns the reason as a string when it is not one. */
function parsePesHeader(b: Buffer): PesHeader | string {
  if (b.length < 6 || b[0] !== 0 || b[1] !== 0 || b[2] !== 1) return 'no PES start code';
  const length = readPesLength(b);
  if (NO_OPTIONAL_HEADER.has(b[3])) return { pts: undefined, dts: undefined, payloadOffset: 6, length };
  if (b.length < 9 || (b[6] & 0xc0) !== 0x80) return 'bad PES header';
  const flags = b[7] >> 6;
  const payloadOffset = 9 + b[8];
  if (payloadOffset > b.length) return 'PES header longer than the PES';
  let pts: number | undefined;
  let dts: number | undefined;
  if (flags & 2) {
    if (b[8] < 5) return 'PES header too short for its PTS';
    pts = readTimestamp(b, 9);
    if (flags === 3) {
      if (b[8] < 10) return 'PES header too short for its DTS';
      dts = readTimestamp(b, 14);
    }
  }
  return { pts, dts, payloadOffset, length };
}

/** A 33-bit PTS/DTS in its 5 bytes with marker bits. */
function readTimestamp(b: Buffer, off: number): number {
  return ((b[off] >> 1) & 7) * 2 ** 30 + (((b[off + 1] << 8) | b[off + 2]) >> 1) * 2 ** 15 + (((b[off + 3] << 8) | b[off + 4]) >> 1);
}

/** The Opus descriptors of a PMT entry: registration 'Opus' (tag 0x05) and extension 0x7F / 0x80 (channel_config_code). */
function opusDescriptors(info: Buffer): { registered: boolean; channelConfig: number | undefined } {
  let registered = false;
  let channelConfig: number | undefined;
  let i = 0;
  while (i + 2 <= info.length) {
    const tag = info[i];
    const len = info[i + 1];
    const body = info.subarray(i + 2, Math.min(info.length, i + 2 + len));
    if (tag === 0x05 && body.length >= 4 && body.toString('latin1', 0, 4) === 'Opus') registered = true;
    if (tag === 0x7f && body.length >= 2 && body[0] === 0x80) channelConfig = body[1];
    i += 2 + len;
  }
  return { registered, channelConfig };
}
