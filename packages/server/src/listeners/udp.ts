import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Listener } from './listener.js';
import { bindHost } from './tcp.js';

/** Kernel receive buffer asked for: a burst of a few Mbit/s outlasts a busy event-loop turn. */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** A UDP port whose datagrams go to one handler (the mpegts_over_udp caster). */
export class UdpListener implements Listener {
  private socket: Socket | undefined;

  constructor(
    readonly name: string,
    private readonly endpoint: Endpoint,
    private readonly log: Logger,
    private readonly onDatagram: (data: Buffer, address: string, port: number) => void,
    private readonly onClose: () => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    const host = bindHost(this.endpoint.host);
    const socket = createSocket({ type: host?.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.endpoint.port, address: host }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(RECV_BUFFER_BYTES);
    } catch {
      // the system's maximum is lower: keep its default
    }
    socket.on('error', (err) => this.log.warn({ err: String(err) }, `${this.name} socket error`));
    socket.on('message', (data, r) => {
      try {
        this.onDatagram(data, r.address, r.port);
      } catch (err) {
        this.log.warn({ err: String(err), from: r.address }, `${this.name}: datagram failed`);
      }
    });
    this.socket = socket;
    this.log.info({ port: this.endpoint.port }, `${this.name} listening (udp)`);
  }

  addresses(): { host: string; port: number }[] {
    const a = this.socket?.address();
    return a ? [{ host: a.address, port: a.port }] : [];
  }

  async close(): Promise<void> {
    this.onClose();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
