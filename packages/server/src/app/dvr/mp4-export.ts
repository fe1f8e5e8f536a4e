import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { FlvDemuxer, packetFromFlvTag } from '../../kernel/flv.js';
import type { Packet } from '../../kernel/packet.js';
import { Mp4Encoder } from './encoders.js';

/**
 * An FLV recording as fragmented MP4, made while it is sent: the file is read
 * in chunks, demuxed, and re-muxed a fragment (~1 s) at a time, so memory
 * stays small whatever the recording's length. A truncated FLV (a crash)
 * exports up to its last whole tag.
 */
export function flvToMp4Stream(path: string): Readable {
  return Readable.from(exportChunks(path), { objectMode: false });
}

async function* exportChunks(path: string): AsyncGenerator<Buffer> {
  const demuxer = new FlvDemuxer({ checkPreviousTagSize: false });
  let encoder: Mp4Encoder | undefined;
  let videoHeader: Packet | undefined;
  let audioHeader: Packet | undefined;
  /** media before the encoder can start (headers of both tracks must be known) */
  const early: Packet[] = [];
  let out: Buffer[] = [];
  const emit = (b: Buffer) => out.push(b);
  const startEncoder = (first: Packet) => {
    encoder = new Mp4Encoder(first.dts);
    encoder.begin({ metadata: undefined, videoHeader, audioHeader }, emit);
    if (encoder.failed) throw new Error(`cannot export as MP4: ${encoder.failed}`);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    let tags;
    try {
      tags = demuxer.push(chunk as Buffer);
    } catch {
      break; // damaged tail: export what came before
    }
    for (const t of tags) {
      let p: Packet;
      try {
        p = packetFromFlvTag(t.type, t.timestamp, t.body);
      } catch {
        continue;
      }
      if (p.kind === 'script') continue;
      if (p.sequenceHeader) {
        if (p.kind === 'video') videoHeader ??= p;
        else audioHeader ??= p;
        continue;
      }
      if (!encoder) {
        // Our files put both headers first; wait a little for a late audio header anyway.
        early.push(p);
        if (!(videoHeader && audioHeader) && early.length < 64) continue;
        startEncoder(early[0]);
        for (const e of early.splice(0)) encoder!.write(e, emit);
        continue;
      }
      encoder.write(p, emit);
    }
    if (out.length) {
      yield Buffer.concat(out);
      out = [];
    }
  }
  if (!encoder && early.length) {
    startEncoder(early[0]);
    for (const e of early) encoder!.write(e, emit);
  }
  encoder?.end(emit);
  if (out.length) yield Buffer.concat(out);
}
