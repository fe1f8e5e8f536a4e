import type { Socket } from 'node:net';
import { Client, type ClientType } from '../../app/client.js';
import type { PlayerHandle, PublisherHandle } from '../../app/handles.js';
import { AdmissionError, BusyError, LimitError, type Hub } from '../../app/hub.js';
import { isReset } from '../../app/resource-errors.js';
import { nameProblem, streamNamesProblem } from '../../app/safe-name.js';
import { resolveVhost } from '../../app/resolve-vhost.js';
import type { Config } from '../../config/index.js';
import { peerIp } from '../../listeners/tcp.js';
import type { Logger } from '../../log.js';
import { upstreamParam, type HostPort } from '../../app/cluster/addr.js';
import { discoverOrigin, redirectUrl } from '../../app/cluster/coworkers.js';
import { EDGE_VIA_FIELD, parseEdgeVia } from '../../app/cluster/edge-via.js';
import type { StreamRegistry } from '../../app/cluster/registry.js';
import { rtmpPlayerSink } from './from-source.js';
import type { BytesHolder, HeldBytesBudget } from './held-bytes.js';
import { ServerSession, type Decision } from './server-session.js';
import { packetKindOf } from './to-source.js';
import type { RtmpUrl } from './url.js';

/** Read timeout for a connection that has not started publishing or playing yet. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * One RTMP connection: a sans-IO ServerSession glued onto the live model. Connect runs
 * `hub.connect`; publish and play open a hub handle (admission, events, bookkeeping), media
 * goes into the publisher handle, packets come out through the player's sink; closing the
 * handle and, at the socket's close, removing the client are all the cleanup there is.
 */
export class RtmpConnection implements BytesHolder {
  private readonly session: ServerSession;
  private readonly client: Client;
  private readonly log: Logger;
  private publisher: PublisherHandle | undefined;
  private player: PlayerHandle | undefined;
  private gotMedia = false;
  private registered = false;
  /** handshake_timeout: closes the connection unless its next step comes in time */
  private stepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly hub: Hub,
    private readonly config: Config,
    parentLog: Logger,
    private readonly registry?: StreamRegistry,
    /** rtmp_max_buffered_bytes: what all RTMP connections hold together */
    private readonly budget?: HeldBytesBudget,
  ) {
    this.client = new Client({
      ip: peerIp(socket),
      transport: {
        close: (reason) => this.close(reason),
        bytesRead: () => socket.bytesRead,
        bytesWritten: () => socket.bytesWritten,
      },
    });
    this.log = parentLog.child({ cid: this.client.id });
    this.session = new ServerSession(
      {
        onConnect: (req) => {
          this.client.edgeVia = parseEdgeVia(req.commandObject[EDGE_VIA_FIELD]);
          return this.onConnect(req.url, req.tcUrl, req.pageUrl, req.swfUrl);
        },
        onPublish: (req) => this.onPublish(req.url, req.fmle),
        onPlay: (req) => this.onPlay(req.url),
        onPause: (paused) => this.player?.consumer?.setPaused(paused),
        onUnpublish: () => this.endRole(),
        onStop: () => this.endRole(),
        onMedia: (msg) => this.onMedia(msg.typeId, msg.timestamp, msg.payload),
        onError: (err) => {
          this.client.endReason = 'error';
          this.log.warn({ ip: this.client.ip, err: err.message }, 'rtmp protocol error, closing');
        },
      },
      {
        send: (buf) => {
          if (!socket.destroyed) socket.write(buf);
        },
        end: (reason) => this.close(reason),
        outChunkSize: config.global.chunk_size,
        windowAckSize: 2_500_000,
        maxCommandSize: config.global.rtmp_max_command_size,
        maxDataSize: config.global.rtmp_max_metadata_size,
      },
    );
    socket.setTimeout(IDLE_TIMEOUT_MS, () => this.close('timeout'));
    this.expect('handshake and connect');
    socket.on('data', (data) => {
      this.session.push(data);
      this.budget?.update(this, this.session.closed ? 0 : this.session.heldBytes);
    });
    socket.on('error', (err) => {
      if (!this.client.endReason && !isReset(err)) this.client.endReason = 'error';
      this.log.debug({ err: err.message }, 'rtmp socket error');
    });
    socket.on('close', () => this.cleanup());
    this.log.info({ ip: this.client.ip }, 'rtmp client accepted');
  }

  /**
   * Arm handshake_timeout for the client's next step (undefined: disarm). Time tsrs spends
   * deciding (hooks) does not count: the timer is off between a request and its answer.
   */
  private expect(step: string | undefined): void {
    clearTimeout(this.stepTimer);
    this.stepTimer = undefined;
    if (!step || this.socket.destroyed) return;
    const ms = this.config.global.handshake_timeout * 1000;
    this.stepTimer = setTimeout(() => this.close(`no ${step} within ${ms} ms`), ms);
  }

  private async onConnect(url: RtmpUrl, tcUrl: string, pageUrl: string, swfUrl: string): Promise<Decision> {
    this.deciding();
    const decision = await this.connect(url, tcUrl, pageUrl, swfUrl);
    if (!decision) {
      this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.close('timeout'));
      this.expect('publish or play');
    }
    return decision;
  }

  /**
   * A decision (hooks) is pending: neither handshake_timeout nor the idle read timeout runs
   * (the client waits for the answer, as it does with SRS, whose connection is blocked on
   * its hook); the hook's own timeout bounds the wait. Each accepted step arms its timeout.
   */
  private deciding(): void {
    this.expect(undefined);
    this.socket.setTimeout(0);
  }

  private async connect(url: RtmpUrl, tcUrl: string, pageUrl: string, swfUrl: string): Promise<Decision> {
    const bad = (url.vhost ? nameProblem('vhost', url.vhost) : undefined) ?? nameProblem('app', url.app);
    if (bad) {
      this.log.warn({ ip: this.client.ip, tcUrl, reason: bad }, 'rtmp connect refused: bad name');
      return { reject: bad };
    }
    const vhost = resolveVhost(this.config, url.vhost);
    if (!vhost) return { reject: `vhost ${url.vhost} not found` };
    if (this.config.getVhost(vhost)?.enabled === false) return { reject: `vhost ${vhost} is disabled` };
    Object.assign(this.client, { vhost, app: url.app, tcUrl, pageUrl, swfUrl, param: url.param, stream: url.stream });
    this.registered = true;
    this.log.info({ tcUrl, vhost, app: url.app }, 'rtmp connect');
    try {
      await this.hub.connect(this.client);
      return undefined;
    } catch (err) {
      return this.refused('connect', err);
    }
  }

  /** The answer to a refused connect, publish or play (the reason is logged and sent). */
  private refused(stage: 'connect' | 'publish' | 'play', err: unknown, code?: string): Decision {
    const message = err instanceof Error ? err.message : String(err);
    this.log.warn({ stage, url: this.client.streamUrl, reason: message }, `rtmp ${stage} refused`);
    return code ? { reject: message, code } : { reject: message };
  }

  private setStream(url: RtmpUrl, type: ClientType): void {
    const vhost = resolveVhost(this.config, url.vhost) ?? this.client.vhost;
    Object.assign(this.client, { vhost, app: url.app, stream: url.stream, param: url.param, type });
  }

  private async onPublish(url: RtmpUrl, fmle: boolean): Promise<Decision> {
    this.deciding();
    if (this.player || this.publisher) return { reject: 'one stream per connection', code: 'NetStream.Publish.BadName' };
    this.setStream(url, fmle ? 'fmle-publish' : 'flash-publish');
    if (!url.stream) return { reject: 'empty stream name', code: 'NetStream.Publish.BadName' };
    const bad = this.badNames(url);
    if (bad) return { reject: bad, code: 'NetStream.Publish.BadName' };
    try {
      this.publisher = await this.hub.openPublisher(this.client, { gone: () => this.socket.destroyed });
    } catch (err) {
      return this.refused('publish', err, err instanceof BusyError ? 'NetStream.Publish.BadName' : undefined);
    }
    const publish = this.config.getVhost(this.client.vhost)?.publish;
    this.socket.setTimeout(publish?.firstpkt_timeout ?? 20_000, () => this.close('publisher timeout'));
    this.log.info({ ip: this.client.ip, url: this.client.streamUrl, param: this.client.param }, 'rtmp publish');
    return undefined;
  }

  /** Names that could leave a directory or alias another stream are refused (safe-name.ts). */
  private badNames(url: RtmpUrl): string | undefined {
    const bad = (url.vhost ? nameProblem('vhost', url.vhost) : undefined) ?? streamNamesProblem(this.client);
    if (bad) this.log.warn({ ip: this.client.ip, app: this.client.app, stream: this.client.stream, reason: bad }, `${this.client.type} refused: bad name`);
    return bad;
  }

  private async onPlay(url: RtmpUrl): Promise<Decision> {
    this.deciding();
    if (this.player || this.publisher) return { reject: 'one stream per connection', code: 'NetStream.Play.Failed' };
    this.setStream(url, 'rtmp-play');
    if (!url.stream) return { reject: 'empty stream name', code: 'NetStream.Play.StreamNotFound' };
    const bad = this.badNames(url);
    if (bad) return { reject: bad, code: 'NetStream.Play.StreamNotFound' };
    const elsewhere = await this.clusterRedirect();
    if (elsewhere) return elsewhere;
    // The session answers Play.Start when we return; the consumer's first flush comes after it.
    const sink = rtmpPlayerSink(this.socket, this.config.global.chunk_size, this.session.streamId);
    try {
      this.player = await this.hub.openPlayer(this.client, sink, { gone: () => this.socket.destroyed });
    } catch (err) {
      // a stream nobody publishes is refused before the hooks once too many players wait
      return this.refused('play', err, err instanceof AdmissionError && !(err instanceof LimitError) ? undefined : 'NetStream.Play.Failed');
    }
    // Players send next to nothing: no read timeout once playing.
    this.socket.setTimeout(0);
    const consumer = this.player.consumer;
    this.socket.on('drain', () => consumer?.onDrain());
    this.log.info({ ip: this.client.ip, url: this.client.streamUrl, param: this.client.param }, 'rtmp play');
    return undefined;
  }

  /**
   * Origin cluster: a stream this origin does not publish is looked up in the vhost's registry
   * (`cluster { registry redis://...; }`), then on the coworkers (`origin_cluster on; coworkers
   * ...`); the player is redirected (SRS's RTMP 302: NetConnection.Connect.Rejected with
   * `ex: { code: 302, redirect }`) to the origin that has it, or refused when none has, as SRS.
   */
  private async clusterRedirect(): Promise<Decision> {
    const c = this.client;
    const cluster = this.config.getVhost(c.vhost)?.cluster;
    const askCoworkers = !!cluster?.origin_cluster && cluster.coworkers.length > 0;
    const askRegistry = !!this.registry?.has(c.vhost);
    if (!cluster || (!askCoworkers && !askRegistry)) return undefined;
    if (this.hub.findSource(c.vhost, c.app, c.stream)?.active) return undefined;
    let at: HostPort | undefined;
    let asked = false;
    if (askRegistry) {
      // Redis unreachable (logged by the registry): as if there were no registry
      at = (await this.registry!.locate(c.vhost, c.app, c.stream).then((e) => ((asked = true), e), () => undefined))?.rtmp;
    }
    const via = at ? 'registry' : 'coworkers';
    if (!at && askCoworkers) {
      asked = true;
      at = await discoverOrigin(cluster.coworkers, { vhost: c.vhost, app: c.app, stream: c.stream, ip: this.socket.localAddress ?? '' });
    }
    // nobody could be asked, or the publisher came meanwhile: the player plays (or waits) here
    if (!asked || this.hub.findSource(c.vhost, c.app, c.stream)?.active) return undefined;
    if (!at) return this.refused('play', new Error(`no origin of the cluster publishes ${c.streamUrl}`), 'NetStream.Play.StreamNotFound');
    const redirect = redirectUrl(at, c.app, c.stream, upstreamParam(c.param, c.vhost));
    this.log.info({ url: c.streamUrl, redirect, via }, 'rtmp play redirected in the origin cluster');
    return { reject: 'RTMP 302 Redirect', code: 'NetConnection.Connect.Rejected', ex: { code: 302, redirect } };
  }

  private onMedia(typeId: number, timestamp: number, payload: Buffer): void {
    const publisher = this.publisher;
    if (!publisher) return;
    if (!this.gotMedia) {
      this.gotMedia = true;
      const normal = this.config.getVhost(this.client.vhost)?.publish.normal_timeout ?? 5000;
      this.socket.setTimeout(normal, () => this.close('publisher timeout'));
    }
    publisher.write(packetKindOf(typeId), timestamp, payload);
  }

  /** The client unpublished or stopped but stays connected: it may publish or play again. */
  private endRole(): void {
    this.stopRole();
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.close('timeout'));
    this.expect('publish or play');
  }

  private stopRole(): void {
    if (this.publisher) {
      this.publisher.close();
      this.log.info({ url: this.client.streamUrl }, 'rtmp unpublish');
      this.publisher = undefined;
    }
    this.player?.close();
    this.player = undefined;
  }

  close(reason: string): void {
    if (this.socket.destroyed) return;
    this.log.info({ reason }, 'rtmp closing');
    this.session.close();
    this.socket.destroy();
  }

  /** The process holds too much RTMP input: this connection, holding the most, goes. */
  evict(held: number, total: number, limit: number): void {
    this.client.endReason = 'error';
    this.log.warn(
      { ip: this.client.ip, held, total, limit },
      `rtmp input held by all connections over rtmp_max_buffered_bytes (${limit}): closing the one holding the most (${held} bytes)`,
    );
    this.close('rtmp_max_buffered_bytes');
  }

  private cleanup(): void {
    this.budget?.remove(this);
    this.client.leave(); // a hook still deciding on it stops
    this.expect(undefined);
    this.session.close();
    this.stopRole();
    if (this.registered) this.hub.removeClient(this.client);
    this.log.info(
      { ip: this.client.ip, reason: this.client.endReason ?? 'normal', recv: this.socket.bytesRead, sent: this.socket.bytesWritten },
      'rtmp client closed',
    );
  }
}
