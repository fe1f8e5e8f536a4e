import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionLimit } from '../app/connection-limit.js';
import { isResourceError } from '../app/resource-errors.js';
import type { Endpoint } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Listener } from './listener.js';
import { bindHost } from './tcp.js';

/**
 * One handler of HTTP requests (API, streams, static files). Returns true when it
 * answered (or will answer) the request, false to let the next handler try.
 */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Largest request head tsrs accepts; bigger ones get 431 and are closed. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How often Node looks for requests past their head timeout (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

/**
 * An HTTP port with a chain of handlers. The API and the HTTP server share one
 * listener when their ports are equal (as SRS allows).
 */
export class HttpListener implements Listener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly handlers: HttpHandler[] = [];
  /**
   * In a worker of `tsrs --workers N`: bind this port in this process alone (node:cluster's
   * `exclusive`) instead of sharing the primary's; the workers' loopback API ports.
   */
  exclusive = false;

  constructor(
    readonly name: string,
    private readonly endpoint: Endpoint,
    private readonly log: Logger,
    /** every socket of the port counts against max_connections */
    private readonly limit: ConnectionLimit,
    /**
     * handshake_timeout: a request's head must arrive within it (else 408 and close), and a
     * keep-alive connection may idle this long between requests.
     */
    private readonly headTimeoutMs: number,
    /**
     * Requests whose handler bounds the body itself (a publisher's body is a live stream,
     * bounded by its idle timeout instead of the 2 x handshake_timeout deadline).
     */
    private readonly ownsBody: (req: IncomingMessage) => boolean = () => false,
  ) {}

  /** Add a handler; earlier handlers are tried first. */
  use(handler: HttpHandler): void {
    this.handlers.push(handler);
  }

  /** The node http.Server (for socket.io to attach to), once started. */
  get httpServer(): Server | undefined {
    return this.server;
  }

  async start(): Promise<void> {
    const server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        // Counted from accept (and from a later request's first byte): a socket that sends
        // nothing, or half a head, is answered 408 and closed.
        headersTimeout: this.headTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
        // Live streams are long responses: no overall request timeout.
        requestTimeout: 0,
        keepAliveTimeout: this.headTimeoutMs,
        noDelay: true,
      },
      (req, res) => void this.dispatch(req, res),
    );
    // After http's own connection listener: a refused socket is torn down like any other.
    server.on('connection', (s: Socket) => {
      if (!this.limit.admit(s, this.name)) return;
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (err, socket) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET') this.log.debug({ err: err.message, code }, `${this.name}: bad request`);
      if (!socket.writable) return socket.destroy();
      const status =
        code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
        : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
        : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.endpoint.port, host: bindHost(this.endpoint.host), exclusive: this.exclusive }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => {
      if (!isResourceError(err)) return this.log.error({ err: String(err) }, `${this.name} listener error`);
      this.limit.resourceError(err, `${this.name} accept`);
    });
    this.server = server;
    this.log.info({ port: this.endpoint.port }, `${this.name} listening`);
  }

  /**
   * A request with a body (API JSON, or a body nobody asked for) must send all of it within
   * 2 x handshake_timeout, else its socket is cut; and its connection closes after the answer,
   * so an answered request (404, 401) never waits for the rest of a slow body. A socket that
   * drips a body can hold a slot no longer than that.
   */
  private boundBody(req: IncomingMessage, res: ServerResponse): void {
    if (this.ownsBody(req)) return;
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return;
    res.shouldKeepAlive = false;
    const timer = setTimeout(() => {
      if (req.complete) return;
      this.log.debug({ url: req.url }, `${this.name}: request body too slow, closed`);
      req.socket.destroy();
    }, this.headTimeoutMs * 2);
    timer.unref();
    const done = () => clearTimeout(timer);
    req.once('end', done);
    req.socket.once('close', done);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.boundBody(req, res);
    try {
      for (const h of this.handlers) if (await h(req, res)) return;
      if (!res.headersSent) sendText(res, 404, 'Not Found');
    } catch (err) {
      this.log.warn({ err: String(err), url: req.url }, `${this.name}: handler failed`);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
    }
  }

  addresses(): { host: string; port: number }[] {
    const a = this.server?.address();
    return a && typeof a === 'object' ? [{ host: a.address, port: a.port }] : [];
  }

  async close(graceful: boolean): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    if (graceful) server.closeIdleConnections();
    else for (const s of this.sockets) s.destroy();
    // Live responses never end by themselves: cut them after a moment.
    setTimeout(() => this.sockets.forEach((s) => s.destroy()), graceful ? 1000 : 0).unref();
    await closed;
  }
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, ...headers });
  res.end(body);
}
