import { createServer, type Server, type Socket } from 'node:net';
import { Client, type ClientType } from '../app/client.js';
import type { ConnectionLimit } from '../app/connection-limit.js';
import type { Consumer, ConsumerSink } from '../app/consumer.js';
import { AdmissionError, type Hub } from '../app/hub.js';
import { isResourceError } from '../app/resource-errors.js';
import { nameProblem, streamNamesProblem } from '../app/safe-name.js';
import type { Source } from '../app/source.js';
import { DEFAULT_VHOST, type Config } from '../config/index.js';
import type { Packet } from '../kernel/packet.js';
import type { Logger } from '../log.js';
import { packetChunks } from '../protocol/rtmp/packet-chunks.js';
import { MSG } from '../protocol/rtmp/messages.js';
import { ServerSession, type Decision } from '../protocol/rtmp/server-session.js';
import type { RtmpUrl } from '../protocol/rtmp/url.js';
import type { Listener } from './listener.js';
import { bindHost, peerIp } from './tcp.js';

/** Read timeout for a connection that has not started publishing or playing yet. */
const IDLE_TIMEOUT_MS = 30_000;

/** The vhost name a request lands on: its own block, else the default vhost. */
export function resolveVhost(config: Config, host: string): string | undefined {
  const v = config.getVhost(host);
  if (!v) return undefined;
  return config.root.find('vhost', host) ? host : DEFAULT_VHOST;
}

/** RTMP on `listen` (1935): publishers and players. */
export class RtmpListener implements Listener {
  readonly name = 'rtmp';
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly hub: Hub,
    private readonly config: () => Config,
    private readonly log: Logger,
    /** every socket counts against max_connections, with those of the HTTP ports */
    private readonly limit: ConnectionLimit,
  ) {}

  async start(): Promise<void> {
    const endpoints = this.config().listen;
    if (endpoints.length === 0) throw new Error('no RTMP listen port configured');
    for (const ep of endpoints) {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: ep.port, host: bindHost(ep.host) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => {
        if (!isResourceError(err)) return this.log.error({ err: String(err) }, 'rtmp listener error');
        this.limit.resourceError(err, 'rtmp accept');
      });
      this.servers.push(server);
      this.log.info({ port: ep.port, host: ep.host }, 'rtmp listening');
    }
  }

  addresses(): { host: string; port: number }[] {
    return this.servers.flatMap((s) => {
      const a = s.address();
      return a && typeof a === 'object' ? [{ host: a.address, port: a.port }] : [];
    });
  }

  async close(graceful: boolean): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) {
      if (graceful) s.end();
      else s.destroy();
    }
    if (graceful) setTimeout(() => this.sockets.forEach((s) => s.destroy()), 1000).unref();
    await Promise.all(closing);
  }

  private accept(socket: Socket): void {
    // Counted before the handshake: idle sockets take resources too.
    if (!this.limit.admit(socket, this.name)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    new RtmpConnection(socket, this.hub, this.config(), this.log);
  }
}

/** One RTMP connection: glues a ServerSession to the live model. */
class RtmpConnection {
  private readonly session: ServerSession;
  private readonly client: Client;
  private readonly log: Logger;
  private source: Source | undefined;
  private consumer: Consumer | undefined;
  private gotMedia = false;
  private registered = false;
  /** handshake_timeout: closes the connection unless its next step comes in time */
  private stepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly hub: Hub,
    private readonly config: Config,
    parentLog: Logger,
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
        onConnect: (req) => this.onConnect(req.url, req.tcUrl, req.pageUrl, req.swfUrl),
        onPublish: (req) => this.onPublish(req.url, req.fmle),
        onPlay: (req) => this.onPlay(req.url),
        onPause: (paused) => this.consumer?.setPaused(paused),
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
    socket.on('data', (data) => this.session.push(data));
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
    this.hub.addClient(this.client);
    this.registered = true;
    this.log.info({ tcUrl, vhost, app: url.app }, 'rtmp connect');
    this.hub.bus.emit('client:connect', this.client);
    return this.admit('connect');
  }

  private async admit(stage: 'connect' | 'publish' | 'play'): Promise<Decision> {
    try {
      await this.hub.admit(stage, this.client);
      return undefined;
    } catch (err) {
      const message = err instanceof AdmissionError ? err.message : String(err);
      this.log.warn({ stage, url: this.client.streamUrl, reason: message }, `rtmp ${stage} refused`);
      return { reject: message };
    }
  }

  private setStream(url: RtmpUrl, type: ClientType): void {
    const vhost = resolveVhost(this.config, url.vhost) ?? this.client.vhost;
    Object.assign(this.client, { vhost, app: url.app, stream: url.stream, param: url.param, type });
  }

  private async onPublish(url: RtmpUrl, fmle: boolean): Promise<Decision> {
    this.deciding();
    if (this.consumer || this.source) return { reject: 'one stream per connection', code: 'NetStream.Publish.BadName' };
    this.setStream(url, fmle ? 'fmle-publish' : 'flash-publish');
    if (!url.stream) return { reject: 'empty stream name', code: 'NetStream.Publish.BadName' };
    const bad = this.badNames(url);
    if (bad) return { reject: bad, code: 'NetStream.Publish.BadName' };
    const busy = this.hub.findSource(this.client.vhost, this.client.app, this.client.stream)?.publisher;
    if (busy) return this.refuseBusy();
    const denied = await this.admit('publish');
    if (denied) return denied;
    // gone while its hooks ran: nothing to publish for
    if (this.socket.destroyed) return { reject: 'connection closed during admission' };
    const source = this.hub.publish(this.client);
    if (!source) return this.refuseBusy();
    this.source = source;
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

  private refuseBusy(): Decision {
    this.log.warn({ url: this.client.streamUrl }, 'stream is busy, publish refused');
    return { reject: `stream ${this.client.streamUrl} is busy`, code: 'NetStream.Publish.BadName' };
  }

  private async onPlay(url: RtmpUrl): Promise<Decision> {
    this.deciding();
    if (this.consumer || this.source) return { reject: 'one stream per connection', code: 'NetStream.Play.Failed' };
    this.setStream(url, 'rtmp-play');
    if (!url.stream) return { reject: 'empty stream name', code: 'NetStream.Play.StreamNotFound' };
    const bad = this.badNames(url);
    if (bad) return { reject: bad, code: 'NetStream.Play.StreamNotFound' };
    // A stream nobody publishes: refused before the hooks once too many players wait.
    const full = this.refuseWaiting();
    if (full) return full;
    const denied = await this.admit('play');
    if (denied) return denied;
    if (this.socket.destroyed) return { reject: 'connection closed during admission' };
    // Players send next to nothing: no read timeout once playing.
    this.socket.setTimeout(0);
    const streamId = this.session.streamId;
    const chunkSize = this.config.global.chunk_size;
    const socket = this.socket;
    const sink: ConsumerSink = {
      write(packets: readonly Packet[]): boolean {
        if (socket.destroyed) return true;
        socket.cork();
        let ok = true;
        for (let i = 0; i < packets.length; i++) ok = socket.write(packetChunks(packets[i], chunkSize, streamId));
        socket.uncork();
        return ok;
      },
    };
    // The session answers Play.Start when we return; the consumer's first flush comes after it.
    try {
      this.consumer = this.hub.play(this.client, sink);
    } catch (err) {
      this.log.warn({ url: this.client.streamUrl, reason: String((err as Error).message) }, 'rtmp play refused');
      return { reject: (err as Error).message, code: 'NetStream.Play.Failed' };
    }
    socket.on('drain', () => this.consumer?.onDrain());
    this.log.info({ ip: this.client.ip, url: this.client.streamUrl, param: this.client.param }, 'rtmp play');
    return undefined;
  }

  private refuseWaiting(): Decision {
    try {
      this.hub.checkWaiting(this.client.ip, this.client.vhost, this.client.app, this.client.stream);
      return undefined;
    } catch (err) {
      this.log.warn({ url: this.client.streamUrl, reason: (err as Error).message }, 'rtmp play refused');
      return { reject: (err as Error).message, code: 'NetStream.Play.Failed' };
    }
  }

  private onMedia(typeId: number, timestamp: number, payload: Buffer): void {
    const source = this.source;
    if (!source) return;
    if (!this.gotMedia) {
      this.gotMedia = true;
      const normal = this.config.getVhost(this.client.vhost)?.publish.normal_timeout ?? 5000;
      this.socket.setTimeout(normal, () => this.close('publisher timeout'));
    }
    const kind = typeId === MSG.AUDIO ? 'audio' : typeId === MSG.VIDEO ? 'video' : 'script';
    source.onMessage(kind, timestamp, payload);
  }

  /** The client unpublished or stopped but stays connected: it may publish or play again. */
  private endRole(): void {
    this.stopRole();
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.close('timeout'));
    this.expect('publish or play');
  }

  private stopRole(): void {
    if (this.source) {
      this.hub.unpublish(this.client);
      this.log.info({ url: this.client.streamUrl }, 'rtmp unpublish');
      this.source = undefined;
    }
    if (this.consumer) {
      this.hub.stop(this.consumer);
      this.consumer = undefined;
    }
  }

  close(reason: string): void {
    if (this.socket.destroyed) return;
    this.log.info({ reason }, 'rtmp closing');
    this.session.close();
    this.socket.destroy();
  }

  private cleanup(): void {
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

function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
