/**
 * The history recorder: turns the live model's bus events into rows of the history database
 * (stream sessions, client sessions, events). Every handler only queues writes on the store,
 * which batches them on its own timer, so media code never waits on SQLite (and a database
 * outage only costs the store's retries, never a stall).
 */
import { randomUUID } from 'node:crypto';
import type { HistoryStore, StreamMediaInput } from '@tsrs/db';
import type { Client } from '../app/client.js';
import type { DvrFileEvent, EventBus, HlsSegmentEvent, ServerEvents } from '../app/events.js';
import type { Source } from '../app/source.js';
import type { Logger } from '../log.js';
import { protocolOf, urlOf } from './client-info.js';

/** The store's write side (a fake in unit tests). */
export type HistorySink = Pick<HistoryStore, 'streamStarted' | 'streamUpdated' | 'streamEnded' | 'clientStarted' | 'clientEnded' | 'event'>;

interface StreamSession {
  id: string;
  publisher: Client;
  startedAt: number;
  /** source counters when this publish began (they run over the Source's whole life) */
  recvBase: number;
  framesBase: number;
  /** bytes sent by players that already stopped during this session */
  sentDone: number;
  /** the last media description written, to write only changes */
  mediaKey: string;
  /** HLS segments are not recorded one by one: one `hls` event per session says HLS ran */
  hlsSeen: boolean;
}

/** A player's bytes count for the session of the stream it plays, from `base` on. */
interface Playing {
  client: Client;
  source: Source;
  base: number;
}

export interface LiveBytes {
  in: number;
  out: number;
}

export class HistoryRecorder {
  private readonly streams = new Map<Source, StreamSession>();
  private readonly players = new Map<Client, Playing>();
  /** clients with an open client-session row */
  private readonly clients = new Map<string, Client>();
  /** connections whose connect event was written (RTMP), so their close is written too */
  private readonly connected = new Set<string>();
  /** bus listeners, for close() */
  private readonly listeners: [keyof ServerEvents, (...a: never[]) => void][] = [];
  private closed = false;

  constructor(
    private readonly bus: EventBus,
    private readonly sink: HistorySink,
    private readonly log: Logger,
  ) {
    this.on('client:connect', (c) => this.onConnect(c));
    this.on('client:close', (c) => this.onClose(c));
    this.on('stream:publish', (s, c) => this.onPublish(s, c));
    this.on('stream:unpublish', (s, c) => this.onUnpublish(s, c));
    this.on('stream:play', (s, c) => this.onPlay(s, c));
    this.on('stream:stop', (s, c) => this.onStop(s, c));
    this.on('hls:segment', (e) => this.onHls(e));
    this.on('dvr:file', (e) => this.onDvr(e));
    this.on('stream:tracks', () => this.checkMedia());
  }

  /** Subscribes `fn`; a failure is logged, never thrown into the emitter (a protocol session). */
  private on<K extends keyof ServerEvents>(type: K, fn: (...a: ServerEvents[K]) => void): void {
    const g = (...a: ServerEvents[K]) => {
      try {
        fn(...a);
      } catch (err) {
        this.log.error({ event: type, err: String(err) }, 'history recorder failed on an event');
      }
    };
    this.bus.on(type, g as never);
    this.listeners.push([type, g as never]);
  }

  /** Bytes so far of a live stream session (the database has them only at its end). */
  liveStream(id: string): LiveBytes | undefined {
    for (const [source, s] of this.streams) if (s.id === id) return { in: source.recvBytes - s.recvBase, out: this.sentOf(source, s, false) };
    return undefined;
  }

  /** Bytes so far of a live client session. */
  liveClient(id: string): LiveBytes | undefined {
    const c = this.clients.get(id);
    return c ? { in: c.transport.bytesRead(), out: c.transport.bytesWritten() } : undefined;
  }

  // ---- streams ----

  private onPublish(source: Source, c: Client): void {
    const session: StreamSession = {
      id: randomUUID(),
      publisher: c,
      startedAt: source.publishedAt || Date.now(),
      recvBase: source.recvBytes,
      framesBase: source.frames,
      sentDone: 0,
      mediaKey: '',
      hlsSeen: false,
    };
    this.streams.set(source, session);
    // Players waiting for this stream count from now.
    for (const p of this.players.values()) if (p.source === source) p.base = p.client.transport.bytesWritten();
    const where = { vhost: source.vhost, app: source.app, stream: source.stream };
    this.sink.streamStarted({ id: session.id, ...where, clientId: c.id, ip: c.ip, protocol: protocolOf(c.type, c.protocol), at: session.startedAt });
    this.startClient(c, 'publish');
    this.sink.event({ type: 'publish', ...where, clientId: c.id, at: session.startedAt, data: { session: session.id, ip: c.ip, type: c.type } });
  }

  private onUnpublish(source: Source, c: Client): void {
    const session = this.streams.get(source);
    if (!session) return;
    this.streams.delete(source);
    this.endStream(source, session, c.endReason ?? 'normal');
  }

  private endStream(source: Source, s: StreamSession, reason: 'normal' | 'kicked' | 'error'): void {
    const now = Date.now();
    const seconds = (now - s.startedAt) / 1000;
    const frames = source.frames - s.framesBase;
    if (frames > 0 && seconds > 0) this.sink.streamUpdated(s.id, { frameRate: Math.round((frames / seconds) * 100) / 100 });
    const bytesIn = source.recvBytes - s.recvBase;
    const bytesOut = this.sentOf(source, s, true);
    this.sink.streamEnded(s.id, { at: now, bytesIn, bytesOut, reason });
    this.sink.event({
      type: 'unpublish', vhost: source.vhost, app: source.app, stream: source.stream, clientId: s.publisher.id, at: now,
      data: { session: s.id, reason, duration_ms: now - s.startedAt, bytes_in: bytesIn, bytes_out: bytesOut },
    });
  }

  /** Bytes sent to the session's players: those gone plus those playing (rebased when `settle`). */
  private sentOf(source: Source, s: StreamSession, settle: boolean): number {
    let sent = s.sentDone;
    for (const p of this.players.values()) {
      if (p.source !== source) continue;
      const now = p.client.transport.bytesWritten();
      sent += now - p.base;
      if (settle) p.base = now;
    }
    return sent;
  }

  /** Writes codecs and size once the sequence headers are in (and again if they change): on `stream:tracks`. */
  private checkMedia(): void {
    for (const [source, s] of this.streams) {
      const media = mediaOf(source);
      if (!media) continue;
      const key = JSON.stringify(media);
      if (key === s.mediaKey) continue;
      s.mediaKey = key;
      this.sink.streamUpdated(s.id, media);
    }
  }

  private onHls(e: HlsSegmentEvent): void {
    const s = this.streams.get(e.source);
    if (!s || s.hlsSeen) return;
    s.hlsSeen = true;
    this.sink.event({
      type: 'hls', vhost: e.source.vhost, app: e.source.app, stream: e.source.stream, clientId: s.publisher.id,
      data: { session: s.id, m3u8: e.m3u8Url, first_segment: e.url, duration: e.duration },
    });
  }

  private onDvr(e: DvrFileEvent): void {
    const s = e.source;
    this.sink.event({
      type: 'dvr', vhost: s.vhost, app: s.app, stream: s.stream, clientId: s.publisher?.id ?? null,
      data: { file: e.file, format: e.format, size: e.size, duration: e.duration, started_at: e.startedAt, complete: e.complete },
    });
  }

  // ---- clients ----

  private onConnect(c: Client): void {
    this.connected.add(c.id);
    this.sink.event({ type: 'connect', vhost: c.vhost || null, app: c.app || null, clientId: c.id, data: { ip: c.ip, tcUrl: c.tcUrl } });
  }

  private onPlay(source: Source, c: Client): void {
    this.players.set(c, { client: c, source, base: c.transport.bytesWritten() });
    this.startClient(c, 'play');
    this.sink.event({ type: 'play', vhost: source.vhost, app: source.app, stream: source.stream, clientId: c.id, data: { ip: c.ip, type: c.type } });
  }

  private onStop(source: Source, c: Client): void {
    this.settlePlayer(c);
    this.sink.event({ type: 'stop', vhost: source.vhost, app: source.app, stream: source.stream, clientId: c.id, data: { ip: c.ip, type: c.type } });
  }

  /** A player leaves its stream: its bytes go to the stream's session, if one is live. */
  private settlePlayer(c: Client): void {
    const p = this.players.get(c);
    if (!p) return;
    this.players.delete(c);
    const s = this.streams.get(p.source);
    if (s) s.sentDone += c.transport.bytesWritten() - p.base;
  }

  private onClose(c: Client): void {
    // Only clients that connected or were admitted have rows: a refused request leaves none.
    const known = this.connected.delete(c.id) || this.clients.has(c.id) || this.players.has(c);
    if (!known) return;
    this.settlePlayer(c);
    const reason = c.endReason ?? 'normal';
    const bytesIn = c.transport.bytesRead();
    const bytesOut = c.transport.bytesWritten();
    if (this.clients.delete(c.id)) this.sink.clientEnded(c.id, { bytesIn, bytesOut, reason });
    this.sink.event({
      type: 'close', vhost: c.vhost || null, app: c.app || null, stream: c.stream || null, clientId: c.id,
      data: { ip: c.ip, type: c.type, reason, bytes_in: bytesIn, bytes_out: bytesOut, alive_ms: Date.now() - c.startedAt },
    });
  }

  private startClient(c: Client, kind: 'publish' | 'play'): void {
    this.clients.set(c.id, c);
    this.sink.clientStarted({
      id: c.id, kind, type: c.type, protocol: protocolOf(c.type, c.protocol), ip: c.ip, vhost: c.vhost, app: c.app, stream: c.stream, url: urlOf(c),
    });
  }

  /** Stop listening; streams still live end here (the server is stopping). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [type, g] of this.listeners.splice(0)) this.bus.off(type, g as never);
    for (const [source, s] of this.streams) this.endStream(source, s, 'normal');
    this.streams.clear();
    for (const c of this.clients.values()) {
      this.sink.clientEnded(c.id, { bytesIn: c.transport.bytesRead(), bytesOut: c.transport.bytesWritten(), reason: c.endReason ?? 'normal' });
    }
    this.clients.clear();
  }
}

/** The stream's codecs and size as history stores them; undefined before any header. */
export function mediaOf(source: Source): StreamMediaInput | undefined {
  const v = source.video;
  const a = source.audio;
  if (!v && !a) return undefined;
  const m: StreamMediaInput = {};
  if (v) Object.assign(m, { videoCodec: v.codec, videoProfile: v.profile, videoLevel: v.level, width: v.width, height: v.height });
  if (a) Object.assign(m, { audioCodec: a.codec, audioSampleRate: a.sample_rate, audioChannels: a.channel, audioProfile: a.profile });
  return m;
}
