/**
 * The API port of `tsrs --workers N`, served by the primary: one answer for all workers. Each
 * worker serves its own API on 127.0.0.1 at a port of its own (told to the primary when it is
 * ready); the primary asks them over HTTP and merges (merge.ts):
 * - GET /api/v1/streams, /api/v1/clients: every worker's rows (each with `worker`), paged;
 * - GET /api/v1/summaries: per-process figures summed;
 * - GET /metrics: every worker's series, each labelled `worker="N"`, each family declared once;
 * - GET/DELETE /api/v1/clients/{id}, GET /api/v1/streams/{id}[/samples]: the worker that has it
 *   (ids are random per process, so unique across workers); a kick reaches any worker's client;
 * - GET /api/v1/raw?rpc=reload: every worker reloads;
 * - anything else (versions, vhosts, configs, history, the console, socket.io): the first ready
 *   worker, piped as is (the workers share the history database; each worker's live feed carries
 *   its siblings' rows, see socket-workers.ts).
 * The workers check credentials (http_api auth) themselves: requests carry the client's headers.
 * Bounded: at most MAX_CONNECTIONS sockets, 16 KiB request heads, each worker answer at most
 * MAX_ANSWER_BYTES within ANSWER_TIMEOUT_MS (a worker that does not answer in time is left out).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Endpoint } from '../config/index.js';
import { bindHost } from '../listeners/tcp.js';
import type { Logger } from '../log.js';
import { mergeLists, mergeMetrics, mergeSummaries, parseObject, workerListQuery, type WorkerJson } from './merge.js';

/** A ready worker's API: its index (1..N) and its loopback port. */
export interface WorkerApi {
  worker: number;
  port: number;
}

export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
export const ANSWER_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 1000;
const MAX_HEADER_BYTES = 16 * 1024;

interface Answer {
  worker: number;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Headers not passed between the hops. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'proxy-connection']);

function forwardHeaders(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) out[k] = v;
  return out;
}

/** Ask one worker: GET/DELETE `path`, the whole answer (bounded), or undefined when it failed. */
function ask(w: WorkerApi, method: string, path: string, headers: IncomingHttpHeaders): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: w.port, method, path, headers: forwardHeaders(headers), agent: false, timeout: ANSWER_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy();
          return resolve(undefined);
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ worker: w.worker, status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function send(res: ServerResponse, a: Answer, body: Buffer = a.body): void {
  const headers = forwardHeaders(a.headers);
  headers['content-length'] = String(body.length);
  res.writeHead(a.status, headers as Record<string, string>);
  res.end(body);
}

function unavailable(res: ServerResponse): void {
  const body = JSON.stringify({ code: 1, msg: 'no worker is ready' });
  res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const ONE = /^\/api\/v1\/(?:clients\/[^/]+|streams\/[^/]+(?:\/samples)?)$/;

export class WorkersApi {
  private server: Server | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    /** the ready workers, in index order */
    private readonly workers: () => WorkerApi[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
      this.handle(req, res).catch((err) => {
        this.log.warn({ err: String(err) }, 'api: request failed');
        if (!res.headersSent) unavailable(res);
        else res.destroy();
      });
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.endpoint.port, host: bindHost(this.endpoint.host) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: String(err) }, 'api listener error'));
    this.server = server;
    this.log.info({ port: this.endpoint.port }, 'api listening (for every worker)');
  }

  /** The bound port. */
  port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const workers = this.workers();
    if (workers.length === 0) {
      req.resume();
      return unavailable(res);
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = req.method ?? 'GET';
    const all = async (p: string) => (await Promise.all(workers.map((w) => ask(w, method, p, req.headers)))).filter((a): a is Answer => a !== undefined);
    const oks = (answers: Answer[]): WorkerJson[] =>
      answers.flatMap((a) => {
        const json = a.status === 200 ? parseObject(a.body) : undefined;
        return json && json.code === 0 ? [{ worker: a.worker, json }] : [];
      });

    if (method === 'GET' && (path === '/api/v1/streams' || path === '/api/v1/clients')) {
      req.resume();
      const answers = await all(`${path}/?${workerListQuery(url.searchParams)}`);
      if (answers.length === 0) return unavailable(res);
      const good = oks(answers);
      // An error (401 without credentials, ...) is every worker's: answer the first.
      if (good.length === 0) return send(res, answers[0]);
      const key = path.endsWith('streams') ? 'streams' : 'clients';
      const from = answers.find((a) => a.worker === good[0].worker)!;
      return send(res, from, Buffer.from(JSON.stringify(mergeLists(good, key, url.searchParams))));
    }
    if (method === 'GET' && path === '/api/v1/summaries') {
      req.resume();
      const answers = await all(req.url ?? path);
      if (answers.length === 0) return unavailable(res);
      const good = oks(answers);
      if (good.length === 0) return send(res, answers[0]);
      const from = answers.find((a) => a.worker === good[0].worker)!;
      return send(res, from, Buffer.from(JSON.stringify(mergeSummaries(good))));
    }
    if (method === 'GET' && path === '/metrics') {
      req.resume();
      const answers = await all(req.url ?? path);
      if (answers.length === 0) return unavailable(res);
      const good = answers.filter((a) => a.status === 200);
      if (good.length === 0) return send(res, answers[0]);
      return send(res, good[0], Buffer.from(mergeMetrics(good.map((a) => ({ worker: a.worker, text: a.body.toString('utf8') })))));
    }
    const reload = method === 'GET' && path === '/api/v1/raw' && url.searchParams.get('rpc') === 'reload';
    if (((method === 'GET' || method === 'DELETE') && ONE.test(path)) || reload) {
      req.resume();
      const answers = await all(req.url ?? path);
      if (answers.length === 0) return unavailable(res);
      const good = oks(answers)[0];
      return send(res, good ? answers.find((a) => a.worker === good.worker)! : answers[0]);
    }
    this.pipe(workers[0], req, res);
  }

  /** Pass the request to one worker and its answer back, streaming both ways. */
  private pipe(w: WorkerApi, req: IncomingMessage, res: ServerResponse): void {
    const up = request({ host: '127.0.0.1', port: w.port, method: req.method, path: req.url, headers: forwardHeaders(req.headers), agent: false }, (ans) => {
      res.writeHead(ans.statusCode ?? 502, forwardHeaders(ans.headers) as Record<string, string>);
      ans.pipe(res);
    });
    up.on('error', () => (res.headersSent ? res.destroy() : unavailable(res)));
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  /** socket.io's WebSocket: to the first ready worker, bytes both ways. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const w = this.workers()[0];
    if (!w) return void socket.destroy();
    const up: Socket = connect(w.port, '127.0.0.1', () => {
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${text}\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const end = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', end);
    socket.on('error', end);
    up.on('close', end);
    socket.on('close', end);
  }
}
