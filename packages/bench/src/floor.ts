/**
 * `tsrs-bench floor`: the CPU floor of fan-out in Node.js. A bare TCP server that answers
 * any request with an HTTP head and an FLV stream, and every --merge-ms writes the tags
 * due in that window to every socket in one writev (cork/uncork). No protocol work, no
 * queues: what any Node.js server must at least spend to push these bytes.
 * Play it with `tsrs-bench play -u http://127.0.0.1:PORT/live/s.flv`.
 */
import { createServer, type Socket } from 'node:net';
import { encodeFlvHeader, encodeFlvTag } from '@tsrs/server/dist/src/kernel/flv.js';
import { num, str, type Flags } from './args.js';
import { encodeBenchTime, wallNow } from './bench-time.js';
import { loadFlv, Looper } from './media.js';

const HEAD = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n', 'latin1');
/** skip a socket whose unsent bytes exceed this (a stalled reader must not grow memory) */
const MAX_PENDING = 8 * 1024 * 1024;

export async function floor(flags: Flags): Promise<void> {
  const port = num(flags, 'port', 8090);
  const mergeMs = num(flags, 'merge-ms', 200);
  const media = loadFlv(str(flags, 'input'));
  const duration = num(flags, 'duration', 0);
  const sockets = new Set<Socket>();
  // What a joining socket gets first: FLV header, metadata and sequence headers.
  const start = [HEAD, encodeFlvHeader(true, true), ...media.tags.filter((t) => t.header).map((t) => encodeFlvTag(t.type, 0, t.body))];

  const server = createServer({ noDelay: true }, (socket) => {
    socket.once('data', () => {
      socket.cork();
      for (const b of start) socket.write(b);
      socket.uncork();
      sockets.add(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  console.error(`floor: listening on 127.0.0.1:${port}, ${media.kbps.toFixed(0)} kbit/s, writev every ${mergeMs} ms`);

  const t0 = performance.now();
  const looper = new Looper(media);
  let nextProbe = 0;
  const batch: Buffer[] = [];
  const timer = setInterval(() => {
    const now = performance.now() - t0;
    batch.length = 0;
    looper.due(now, (tag, ts) => {
      if (!tag.header) batch.push(encodeFlvTag(tag.type, ts, tag.body));
    });
    if (now >= nextProbe) {
      batch.push(encodeFlvTag(18, Math.floor(now), encodeBenchTime(wallNow())));
      nextProbe += 1000;
    }
    if (batch.length === 0) return;
    for (const s of sockets) {
      if (s.writableLength > MAX_PENDING) continue;
      s.cork();
      for (let i = 0; i < batch.length; i++) s.write(batch[i]);
      s.uncork();
    }
  }, mergeMs);

  const stop = () => {
    clearInterval(timer);
    for (const s of sockets) s.destroy();
    server.close(() => process.exit());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (duration > 0) setTimeout(stop, duration * 1000);
}
