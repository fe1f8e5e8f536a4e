/**
 * SRS's mpegts_over_udp stream caster: every datagram to the caster's UDP port is MPEG-TS of
 * one stream, the one its `output` URL names (`rtmp://127.0.0.1/live/livestream`; `[app]` and
 * `[stream]`, which a datagram cannot fill, become `live` and `livestream`). tsrs publishes it
 * straight into that stream through a publisher handle (no RTMP loop back):
 *
 * - The first datagram opens a publisher (`fmle-publish`, protocol `mpegts-udp`, the sender's IP):
 *   counted against max_connections, then connect/publish hooks and security, as an RTMP
 *   publisher. The datagrams that arrive while it is admitted are held and demuxed once it is
 *   (a sender's first burst has the PAT, PMT and first keyframe, and an encoder's next keyframe
 *   may be 10 s later), at most max_pending_bytes of them (stream_caster, tsrs, default 32 MiB):
 *   past that the held ones are dropped and the stream starts at the next PAT/PMT and keyframe.
 * - Only MPEG-TS opens a publish: a datagram that is not whole 188-byte packets starting with
 *   the sync byte 0x47 is dropped (logged once a minute), so stray or hostile datagrams run no
 *   hooks and leave no history row.
 * - One sender at a time: datagrams from another address:port are dropped and counted. A holder
 *   that has produced nothing for `HOLDER_GRACE_MS` (still admitted but no frame yet, refused or
 *   kicked and still sending) gives the port up to the next sender of MPEG-TS.
 * - Bounded per sender: the demuxer follows at most stream_caster.max_streams elementary
 *   streams and holds at most max_pes_bytes per PES and max_pending_bytes in all (tsrs; larger
 *   PES are dropped and counted in the demuxer's stats, logged at unpublish).
 * - The stream ends `idle_timeout` seconds after the last datagram (stream_caster.idle_timeout,
 *   tsrs, default 3). A refused or kicked sender is ignored until it has been quiet that long,
 *   so a sender that keeps going does not run the hooks on every datagram.
 */
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import type { TsDemuxerOptions } from '../../kernel/mpegts-demux.js';
import { DEFAULT_MAX_HELD_BYTES, TsToSource } from '../../protocol/mpegts/to-source.js';
import { Episode } from '../resource-errors.js';
import { Client } from '../client.js';
import type { ConnectionLimit } from '../connection-limit.js';
import type { PublisherHandle } from '../handles.js';
import type { Hub } from '../hub.js';
import { resolveVhost } from '../resolve-vhost.js';
import { nameProblem, streamNamesProblem } from '../safe-name.js';
import { casterStream, type CasterStream } from './output-url.js';

export interface MpegtsCasterOptions {
  hub: Hub;
  config: () => Config;
  log: Logger;
  /** the caster's `output` URL */
  output: string;
  /** stream_caster.idle_timeout, ms */
  idleTimeoutMs: number;
  /** max_connections: a sender's session counts as one connection */
  limit?: ConnectionLimit;
  /** the listener's name in logs and limit episodes */
  name?: string;
  /** stream_caster.max_streams / max_pes_bytes / max_pending_bytes (the demuxer's defaults when left out) */
  demuxer?: TsDemuxerOptions;
}

/** The stream an mpegts_over_udp output names; throws when it names none (a config error). */
export function mpegtsCasterStream(output: string): CasterStream {
  const names = casterStream(output, { app: 'live', stream: 'livestream' });
  if (!names) throw new Error(`stream_caster mpegts_over_udp: output '${output}' names no app/stream (rtmp://127.0.0.1/live/livestream)`);
  const bad = nameProblem('vhost', names.vhost) ?? streamNamesProblem(names);
  if (bad) throw new Error(`stream_caster mpegts_over_udp: output '${output}': ${bad}`);
  return names;
}

type State = 'opening' | 'live' | 'ignored';

/** How long a sender may hold the port without a single frame before another sender of MPEG-TS takes it (ms). */
export const HOLDER_GRACE_MS = 2000;

/** Whether a datagram is MPEG-TS: whole 188-byte packets, each starting with the sync byte 0x47. */
export function looksLikeTs(data: Buffer): boolean {
  if (data.length === 0 || data.length % 188 !== 0) return false;
  for (let i = 0; i < data.length; i += 188) if (data[i] !== 0x47) return false;
  return true;
}

interface Session {
  sender: string;
  state: State;
  client: Client;
  publisher: PublisherHandle | undefined;
  glue: TsToSource | undefined;
  bytes: number;
  /** datagrams from other senders while this one held the port */
  foreign: number;
  timer: NodeJS.Timeout;
  /** the connection-limit's close listener */
  onClose: (() => void) | undefined;
  /** when the first datagram came (ms) */
  openedAt: number;
  /** datagrams that came while the publish was admitted, in order; undefined once over the bound */
  early: Buffer[] | undefined;
  /** bytes in `early` */
  earlyBytes: number;
}

export class MpegtsCaster {
  private session: Session | undefined;
  private readonly names: CasterStream;
  /** datagrams that were not MPEG-TS and opened nothing */
  notTs = 0;
  private readonly notTsLog: Episode;

  constructor(private readonly opts: MpegtsCasterOptions) {
    this.names = mpegtsCasterStream(opts.output);
    this.notTsLog = new Episode(opts.log, 'mpegts caster: datagrams that are not MPEG-TS dropped', 60_000);
  }

  /** One datagram from `address:port`. */
  onDatagram(data: Buffer, address: string, port: number): void {
    const sender = `${address}:${port}`;
    let s = this.session;
    if (s && s.sender !== sender) {
      if (this.stale(s) && looksLikeTs(data)) {
        this.opts.log.warn({ sender, holder: s.sender, url: s.client.streamUrl }, 'mpegts caster: the holder sent no frame, the new sender takes the port');
        this.end(s, `replaced by ${sender}`, false);
        s = undefined;
      } else {
        if (s.foreign++ === 0) this.opts.log.warn({ sender, holder: s.sender, url: s.client.streamUrl }, 'mpegts caster: datagrams from a second sender dropped');
        return;
      }
    }
    if (!s) {
      if (!looksLikeTs(data)) {
        this.notTs++;
        this.notTsLog.hit({ sender, bytes: data.length, dropped: this.notTs });
        return;
      }
      s = this.open(sender, address);
    }
    s.timer.refresh();
    s.bytes += data.length;
    if (s.state === 'live') s.glue!.push(data);
    else if (s.state === 'opening') this.hold(s, data);
  }

  /** A datagram that came while the publish is admitted: kept for the demuxer, up to the bound. */
  private hold(s: Session, data: Buffer): void {
    if (!s.early) return;
    const max = this.opts.demuxer?.maxPendingBytes ?? DEFAULT_MAX_HELD_BYTES;
    if (s.earlyBytes + data.length > max) {
      this.opts.log.warn({ cid: s.client.id, sender: s.sender, held: s.earlyBytes, max_pending_bytes: max }, 'mpegts caster: datagrams held while the publish is admitted pass max_pending_bytes, dropped: the stream starts at the next keyframe');
      s.early = undefined;
      s.earlyBytes = 0;
      return;
    }
    s.early.push(data);
    s.earlyBytes += data.length;
  }

  private open(sender: string, ip: string): Session {
    const n = this.names;
    const client = new Client({
      ip,
      type: 'fmle-publish',
      protocol: 'mpegts-udp',
      vhost: n.vhost,
      app: n.app,
      stream: n.stream,
      param: n.param,
      tcUrl: n.tcUrl,
      transport: {
        close: (reason) => this.ignore(s, reason),
        bytesRead: () => s.bytes,
        bytesWritten: () => 0,
      },
    });
    const s: Session = {
      sender, state: 'opening', client, publisher: undefined, glue: undefined, bytes: 0, foreign: 0, onClose: undefined, openedAt: Date.now(),
      early: [], earlyBytes: 0,
      timer: setTimeout(() => this.idle(s), this.opts.idleTimeoutMs),
    };
    this.session = s;
    const counted = this.opts.limit?.admit(
      { remoteAddress: ip, destroy: () => this.ignore(s, 'max_connections'), once: (_e: 'close', l: () => void) => (s.onClose = l) },
      this.opts.name ?? 'mpegts_caster',
    );
    if (counted !== false) void this.admit(s);
    return s;
  }

  private async admit(s: Session): Promise<void> {
    const log = this.opts.log.child({ cid: s.client.id });
    const vhost = resolveVhost(this.opts.config(), this.names.vhost);
    if (!vhost || this.opts.config().getVhost(vhost)?.enabled === false) {
      log.warn({ vhost: this.names.vhost }, 'mpegts caster: vhost not found or disabled, sender ignored');
      return this.ignore(s, 'no vhost');
    }
    s.client.vhost = vhost;
    try {
      s.publisher = await this.opts.hub.openPublisher(s.client, { connect: true, gone: () => s.state !== 'opening' });
    } catch (err) {
      log.warn({ sender: s.sender, url: s.client.streamUrl, reason: (err as Error).message }, 'mpegts caster: publish refused, sender ignored until it stops');
      return this.ignore(s, 'refused');
    }
    s.state = 'live';
    const glue = new TsToSource(s.publisher, this.opts.demuxer);
    s.glue = glue;
    s.client.inputStats = () => glue.inputStats();
    log.info({ sender: s.sender, url: s.client.streamUrl, held: s.earlyBytes }, 'mpegts caster: publish');
    // the datagrams of the admission (the one that opened the session first), in the order they came
    const early = s.early ?? [];
    s.early = undefined;
    s.earlyBytes = 0;
    for (const data of early) {
      if (s.state !== 'live') break;
      glue.push(data);
    }
  }

  /** A holder that has had the port for HOLDER_GRACE_MS without writing one frame. */
  private stale(s: Session): boolean {
    return (s.glue?.messages ?? 0) === 0 && Date.now() - s.openedAt >= HOLDER_GRACE_MS;
  }

  /** Refused, kicked or over a bound: the publish ends; its datagrams are dropped until it is quiet. */
  private ignore(s: Session, reason: string): void {
    if (s.state === 'ignored') return;
    s.state = 'ignored';
    this.unpublish(s, reason);
  }

  /**
   * The publish ends. `flush`: the sender stopped (or the server stops) while live, so the
   * frames the demuxer and the interleaver still hold (the last PES of each track, a track
   * waiting for the other) are written first; a refused or kicked sender's are not.
   */
  private unpublish(s: Session, reason: string, flush = false): void {
    const p = s.publisher;
    s.publisher = undefined;
    if (p) {
      if (flush) s.glue?.end();
      p.close();
      const g = s.glue;
      this.opts.log.info(
        { cid: s.client.id, url: s.client.streamUrl, reason, recv: s.bytes, codecs: [...(g?.codecs ?? [])].join(','), dropped: g?.dropped, demux: g?.demuxer.stats },
        'mpegts caster: unpublish',
      );
    }
    // the demuxer's partial PES and the held messages go now: the Client (and with it this
    // session, through its transport) may outlive the publish
    s.glue?.release();
    s.glue = undefined;
    s.early = undefined;
    s.earlyBytes = 0;
    s.onClose?.();
    s.onClose = undefined;
  }

  private idle(s: Session): void {
    const was = this.end(s, `no datagram for ${this.opts.idleTimeoutMs} ms`, true);
    if (was === 'ignored' && s.foreign > 0) this.opts.log.info({ dropped: s.foreign }, 'mpegts caster: datagrams of other senders dropped');
  }

  /** The listener closes: the publish ends. */
  close(): void {
    if (this.session) this.end(this.session, 'server stopping', true);
  }

  /**
   * The session leaves the port (its idle timer stopped) and its publish ends; `flush`: a live
   * publish writes the frames still held first (see unpublish). Returns the state it was in.
   */
  private end(s: Session, reason: string, flush: boolean): Session['state'] {
    clearTimeout(s.timer);
    if (this.session === s) this.session = undefined;
    const was = s.state;
    s.state = 'ignored';
    this.unpublish(s, reason, flush && was === 'live');
    return was;
  }
}
