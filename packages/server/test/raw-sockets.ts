/** Test helpers: raw TCP clients that speak as little of a protocol as a test wants. */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A raw RTMP connection after a simple (plain) handshake, for sending hand-made bytes. */
export async function rawRtmpHandshake(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const c1 = randomBytes(1536);
  c1.fill(0, 0, 8);
  s.write(Buffer.concat([Buffer.from([3]), c1]));
  let got = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 1 + 1536 * 2) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
  });
  s.write(got.subarray(1, 1537)); // C2 = S1
  return s;
}

/** Resolves true when `s` closes within `ms` (whatever it receives meanwhile is read and dropped). */
export function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.on('data', () => undefined);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
