/** Test helpers: HTTP-FLV players that parse what they receive. */
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { FlvDemuxer } from '../src/kernel/flv.js';

export interface FlvPlayer {
  status: number;
  contentType: string;
  bytes: number;
  videoTags: number;
  audioTags: number;
  /** tag types in arrival order (first ones only, for start checks) */
  firstTags: { type: number; timestamp: number; keyframe: boolean; sequenceHeader: boolean }[];
  lastVideoTs: number;
  error: string | undefined;
  close(): void;
}

/** GET an HTTP-FLV URL (optionally through another port) and demux the stream as it arrives. */
export function playFlv(url: string): Promise<FlvPlayer> {
  return new Promise((resolve, reject) => {
    const demux = new FlvDemuxer();
    let req: ClientRequest;
    const p: FlvPlayer = {
      status: 0, contentType: '', bytes: 0, videoTags: 0, audioTags: 0, firstTags: [], lastVideoTs: -1, error: undefined,
      close: () => req.destroy(),
    };
    req = get(url, { agent: false }, (res: IncomingMessage) => {
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
