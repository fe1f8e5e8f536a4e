import { EventEmitter } from 'node:events';
import type { Client } from './client.js';
import type { OutputErrorEvent } from './output-guard.js';
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
 * A player asked for a stream nobody publishes (`stream:demand`): an on-demand producer (edge
 * pull, on-demand ingest) may start it now. Announced for every player that arrives at a stream
 * without a publisher (RTMP play, HTTP-FLV/TS/AAC/MP3, an HLS viewer), for the players still
 * there when the publisher leaves (they wait for the next one), and for an HLS playlist request
 * of a stream that has no playlist yet (then without `client`). Subscribers must be idempotent.
 */
export interface DemandEvent {
  vhost: string;
  app: string;
  stream: string;
  /** the player's request parameters as sent, '' or '?a=b&c=d' (RTMP: the stream name's query) */
  param: string;
  /** the player, when one is attached to the stream (it waits, within play.waiting_timeout) */
  client: Client | undefined;
  /** the stream's players now, this one included (1: the first); 0 for a request without a player */
  players: number;
}

/**
 * The last player of a stream left (`stream:idle`): consumers and HLS viewers fell to 0, with
 * or without a publisher. A producer started on demand keeps its own hold time and checks
 * `source.players` when it ends, since a player may arrive meanwhile without a new demand.
 */
export interface IdleEvent {
  vhost: string;
  app: string;
  stream: string;
  source: Source;
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
  /** an output threw or a malformed frame was refused (app/output-guard.ts), at a limited rate */
  'stream:output-error': [event: OutputErrorEvent];
  /** the stream's tracks changed (a sequence start, or an MP3 stream's first frame): `source.tracks` */
  'stream:tracks': [source: Source];
  /** a player waits for a stream without a publisher: start it if you can (DemandEvent) */
  'stream:demand': [event: DemandEvent];
  /** the stream's last player left (IdleEvent) */
  'stream:idle': [event: IdleEvent];
}

export class EventBus extends EventEmitter<ServerEvents> {
  constructor() {
    super({ captureRejections: false });
    // Many subscribers (hooks, stats, db, socket.io) are expected.
    this.setMaxListeners(100);
  }
}
