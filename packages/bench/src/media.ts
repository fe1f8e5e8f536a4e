/**
 * The media a publisher (or the floor) plays: an FLV file read once into memory and
 * replayed in real time, looped with continuous timestamps.
 */
import { readFileSync } from 'node:fs';
import { FlvDemuxer } from '@tsrs/server/dist/src/kernel/flv.js';

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
  /** loop length, ms (last timestamp + one frame) */
  period: number;
  /** media bitrate, kbit/s */
  kbps: number;
}

export function loadFlv(file: string): Media {
  const demuxer = new FlvDemuxer();
  const raw = demuxer.push(readFileSync(file));
  if (raw.length === 0) throw new Error(`${file}: no FLV tags`);
  const first = raw.find((t) => t.type !== 18)?.timestamp ?? 0;
  let bytes = 0;
  const tags = raw.map((t): MediaTag => {
    bytes += t.body.length;
    const b = t.body;
    const header =
      t.type === 18 ||
      (t.type === 9 && (b[0] & 0x0f) === 7 && b[1] === 0) || // AVC sequence header
      (t.type === 8 && b[0] >> 4 === 10 && b[1] === 0); // AAC sequence header
    return { type: t.type, ts: Math.max(0, t.timestamp - first), body: Buffer.from(b), header };
  });
  const videoTs = tags.filter((t) => t.type === 9 && !t.header).map((t) => t.ts);
  const frame = videoTs.length > 1 ? (videoTs[videoTs.length - 1] - videoTs[0]) / (videoTs.length - 1) : 40;
  const period = Math.round(tags[tags.length - 1].ts + frame);
  return { tags, period, kbps: (bytes * 8) / period };
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
