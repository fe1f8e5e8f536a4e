import { ADTS_HEADER_SIZE, writeAdtsHeader, type AacConfig } from '../kernel/aac.js';
import { encodeFlvHeader, flvTagOf } from '../kernel/flv.js';
import type { Packet } from '../kernel/packet.js';
import { SharedTsRemux } from './http-remux-ts.js';
import type { Source } from './source.js';

/** The live formats served over HTTP (SRS's http_remux mount suffixes). */
export type HttpRemuxFormat = 'flv' | 'ts' | 'aac' | 'mp3';

/**
 * Turns a player's packets into the bytes of one format. The bytes of a packet
 * are made once and shared by every player of the stream (cached on the
 * packet or in a per-stream map), never copied per player.
 */
export interface RemuxEncoder {
  readonly contentType: string;
  /** bytes before any packet (FLV header), if the format has them */
  head(): Buffer | undefined;
  /** bytes of one packet, undefined when the format skips it */
  encode(packet: Packet): Buffer | undefined;
  /** the player left */
  release(): void;
}

export interface FlvTracks {
  hasAudio: boolean;
  hasVideo: boolean;
}

export function remuxEncoder(format: HttpRemuxFormat, source: Source, tracks: FlvTracks): RemuxEncoder {
  switch (format) {
    case 'flv':
      return new FlvEncoder(tracks);
    case 'ts':
      return new TsEncoder(source);
    case 'aac':
      return new AdtsEncoder();
    case 'mp3':
      return new Mp3Encoder();
  }
}

class FlvEncoder implements RemuxEncoder {
  readonly contentType = 'video/x-flv';
  constructor(private readonly tracks: FlvTracks) {}
  head(): Buffer {
    return encodeFlvHeader(this.tracks.hasAudio, this.tracks.hasVideo);
  }
  encode(packet: Packet): Buffer {
    return flvTagOf(packet);
  }
  release(): void {}
}

class TsEncoder implements RemuxEncoder {
  readonly contentType = 'video/mp2t';
  private readonly remux: SharedTsRemux;
  private started = false;
  constructor(source: Source) {
    this.remux = SharedTsRemux.acquire(source);
  }
  head(): undefined {
    return undefined;
  }
  encode(packet: Packet): Buffer | undefined {
    // thrown into the player's sink: the OutputGuard ends this player, which can reconnect
    if (this.remux.failed) throw new Error('the stream\'s shared HTTP-TS remuxer failed until the next publish');
    const ts = this.remux.encode(packet);
    if (!ts || this.started) return ts;
    // first bytes: PAT/PMT, unless the packet carries them (a keyframe)
    this.started = true;
    if (packet.kind === 'video' && packet.keyframe) return ts;
    const tables = this.remux.tables();
    return tables ? Buffer.concat([tables, ts]) : ts;
  }
  release(): void {
    this.remux.release();
  }
}

/** AAC frames with ADTS headers, cached per packet (a stream has one AudioSpecificConfig per packet). */
const ADTS = new WeakMap<Packet, Buffer>();

class AdtsEncoder implements RemuxEncoder {
  readonly contentType = 'audio/aac';
  private config: AacConfig | undefined;
  head(): undefined {
    return undefined;
  }
  encode(packet: Packet): Buffer | undefined {
    const tag = packet.audio;
    if (!tag) return undefined;
    const cached = ADTS.get(packet);
    if (cached) return cached;
    if (tag.codec !== 'aac') return undefined;
    if (tag.sequenceStart) {
      this.config = packet.audioTrack?.aac; // the stream's AudioSpecificConfig, parsed once
      return undefined;
    }
    const f = packet.frame;
    if (!this.config || !f) return undefined;
    const out = Buffer.allocUnsafe(ADTS_HEADER_SIZE + f.data.length);
    writeAdtsHeader(out, 0, this.config, f.data.length);
    out.set(f.data, ADTS_HEADER_SIZE);
    ADTS.set(packet, out);
    return out;
  }
  release(): void {}
}

/** MP3 frames as they are: the tag body after its header (a view, no copy). */
class Mp3Encoder implements RemuxEncoder {
  readonly contentType = 'audio/mpeg';
  head(): undefined {
    return undefined;
  }
  encode(packet: Packet): Buffer | undefined {
    const f = packet.frame;
    return f?.kind === 'audio' && f.codec === 'mp3' ? f.data : undefined;
  }
  release(): void {}
}
