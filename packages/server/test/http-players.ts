/** Test helpers: HTTP-FLV players that parse what they receive. */
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { FlvDemuxer } from '../src/kernel/flv.js';
import type { VideoFrame } from './stream-checks.js';

export interface FlvPlayer {
  status: number;
  contentType: string;
  bytes: number;
  videoTags: number;
  audioTags: number;
  /** tag types in arrival order (first ones only, for start checks) */
  firstTags: { type: number; timestamp: number; keyframe: boolean; sequenceHeader: boolean }[];
  lastVideoTs: number;
  /** every coded video frame (sequence headers left out): timestamp ms and keyframe flag, the first 100,000 */
  video: VideoFrame[];
  /** the first malformed byte ends parsing: a strict FLV demuxer (header, PreviousTagSizes, StreamID) */
  error: string | undefined;
  /** the response ended or its connection closed (by either side) */
  closed: boolean;
  /** stop reading: once Node's buffers fill, the socket is not read and the kernel's buffers fill */
  pause(): void;
  resume(): void;
  close(): void;
}

/** GET an HTTP-FLV URL (optionally through another port) and demux the stream as it arrives. */
export function playFlv(url: string): Promise<FlvPlayer> {
  return new Promise((resolve, reject) => {
    const demux = new FlvDemuxer({ strict: true });
    let req: ClientRequest;
    let response: IncomingMessage | undefined;
    const p: FlvPlayer = {
      status: 0, contentType: '', bytes: 0, videoTags: 0, audioTags: 0, firstTags: [], lastVideoTs: -1, video: [],
      error: undefined, closed: false,
      pause: () => response?.pause(),
      resume: () => response?.resume(),
      close: () => req.destroy(),
    };
    req = get(url, { agent: false }, (res: IncomingMessage) => {
      response = res;
      res.once('close', () => (p.closed = true));
      p.status = res.statusCode ?? 0;
      p.contentType = String(res.headers['content-type'] ?? '');
      resolve(p);
      res.on('data', (chunk: Buffer) => {
        p.bytes += chunk.length;
        if (p.status !== 200 || p.error) return;
        try {
          for (const t of demux.push(chunk)) {
            const keyframe = t.type === 9 && t.body[0] >> 4 === 1;
            const sequenceHeader = (t.type === 9 || t.type === 8) && t.body.length > 1 && t.body[1] === 0;
            if (p.firstTags.length < 20) p.firstTags.push({ type: t.type, timestamp: t.timestamp, keyframe, sequenceHeader });
            if (t.type === 9) {
              p.videoTags++;
              p.lastVideoTs = t.timestamp;
              if (!sequenceHeader && p.video.length < 100_000) p.video.push({ ts: t.timestamp, keyframe });
            } else if (t.type === 8) p.audioTags++;
          }
        } catch (err) {
          p.error = String(err);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => {
      p.error = String(err);
      reject(err);
    });
  });
}

/** GET a URL, whole body. */
export async function fetchBytes(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const r = await fetch(url, init);
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}
