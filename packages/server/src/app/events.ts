import { EventEmitter } from 'node:events';
import type { Client } from './client.js';
import type { Source } from './source.js';

/** A file an output (HLS, DVR) finished writing. */
export interface SegmentEvent {
  source: Source;
  /** absolute path of the finished file */
  file: string;
  /** duration in seconds */
  duration: number;
}

export interface HlsSegmentEvent extends SegmentEvent {
  /** segment uri as written in the playlist (relative to the m3u8) */
  url: string;
  m3u8: string;
  m3u8Url: string;
  seqNo: number;
}

export interface DvrFileEvent extends SegmentEvent {
  format: 'flv' | 'mp4';
  size: number;
  startedAt: number;
  complete: boolean;
}

/**
 * A bound on memory was hit for a stream (SRS logs these as warnings): the GOP cache was dropped
 * (`gop_cache`), a player's queue dropped to a keyframe (`queue`), an HLS segment was dropped (`hls`).
 */
export interface LimitEvent {
  source: Source;
  what: 'gop_cache' | 'queue' | 'hls';
  /** the directive whose bound was hit, e.g. `queue_max_bytes` */
  directive: string;
  /** what was held when it was hit and what was done, for the log */
  detail: Record<string, string | number>;
}

/**
 * Everything that happens in the live model, on one typed bus. Hooks, the
 * history recorder and socket.io stats subscribe; the app never imports them.
 */
export interface ServerEvents {
  'client:connect': [client: Client];
  'client:close': [client: Client];
  'stream:publish': [source: Source, client: Client];
  'stream:unpublish': [source: Source, client: Client];
  'stream:play': [source: Source, client: Client];
  'stream:stop': [source: Source, client: Client];
  'hls:segment': [event: HlsSegmentEvent];
  'dvr:file': [event: DvrFileEvent];
  'stream:limit': [event: LimitEvent];
  /** the stream's tracks changed (a sequence start, or an MP3 stream's first frame): `source.tracks` */
  'stream:tracks': [source: Source];
}

export class EventBus extends EventEmitter<ServerEvents> {
  constructor() {
    super({ captureRejections: false });
    // Many subscribers (hooks, stats, db, socket.io) are expected.
    this.setMaxListeners(100);
  }
}
