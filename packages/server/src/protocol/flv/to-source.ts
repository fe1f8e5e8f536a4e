/**
 * An FLV byte stream (file layout: header, then tags) onto a publisher: each complete tag is
 * one FLV-form message (kind from its TagType, its timestamp, its body). Sans-IO: the caller
 * pushes the bytes as they arrive. Tags over `maxTagSize`, a bad header or a broken
 * PreviousTagSize throw CodecError and the stream stays failed (the caller ends the publish).
 */
import { FlvDemuxer } from '../../kernel/flv.js';
import type { PacketKind } from '../../kernel/packet.js';

/** Where the tags go: a PublisherHandle. */
export interface FlvTagTarget {
  write(kind: PacketKind, timestamp: number, body: Buffer): void;
}

const KINDS: Record<number, PacketKind> = { 8: 'audio', 9: 'video', 18: 'script' };

export class FlvToSource {
  private readonly demuxer: FlvDemuxer;
  /** tags written so far */
  tags = 0;

  constructor(
    private readonly target: FlvTagTarget,
    /** largest tag body accepted, bytes */
    maxTagSize?: number,
  ) {
    this.demuxer = new FlvDemuxer({ maxTagSize });
  }

  /** true once the 9-byte FLV header (and PreviousTagSize0) has been read */
  get started(): boolean {
    return this.demuxer.header !== undefined;
  }

  /** Feeds bytes; every tag they complete is written. Throws CodecError on corrupt input. */
  push(chunk: Buffer): void {
    for (const tag of this.demuxer.push(chunk)) {
      this.tags++;
      // a tag split over several chunks is already its own copy; one inside a chunk is a view
      this.target.write(KINDS[tag.type], tag.timestamp, tag.body);
    }
  }

  /** The publish ended: the bytes of a partial tag are dropped (see FlvDemuxer.release). */
  release(): void {
    this.demuxer.release();
  }

  /** Bytes held of a tag not complete yet. */
  get pendingBytes(): number {
    return this.demuxer.pendingBytes;
  }

  /** The input ended: throws CodecError when it stopped inside the header or a tag. */
  end(): void {
    this.demuxer.end();
  }
}
