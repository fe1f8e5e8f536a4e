import { createServer, type Server, type Socket } from 'node:net';
import type { ConnectionLimit } from '../app/connection-limit.js';
import type { Hub } from '../app/hub.js';
import type { StreamRegistry } from '../app/cluster/registry.js';
import { isResourceError } from '../app/resource-errors.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { RtmpConnection } from '../protocol/rtmp/connection.js';
import { HeldBytesBudget } from '../protocol/rtmp/held-bytes.js';
import type { Listener } from './listener.js';
import { bindHost } from './tcp.js';

/** RTMP on `listen` (1935): publishers and players. */
export class RtmpListener implements Listener {
  readonly name = 'rtmp';
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /** rtmp_max_buffered_bytes: the input bytes all connections hold together */
  readonly held = new HeldBytesBudget(() => this.config().global.rtmp_max_buffered_bytes);

  constructor(
    private readonly hub: Hub,
    private readonly config: () => Config,
    private readonly log: Logger,
    /** every socket counts against max_connections, with those of the HTTP ports */
    private readonly limit: ConnectionLimit,
    /** the shared stream registry, where an origin finds the streams it lacks */
    private readonly registry?: StreamRegistry,
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
    new RtmpConnection(socket, this.hub, this.config(), this.log, this.registry, this.held);
  }
}
