/**
 * `tsrs-bench publish`: M RTMP publishers replaying an FLV file in real time, each
 * sending an `onBenchTime` probe (its wall-clock send time) every --probe-ms.
 */
import { RtmpClient } from '@tsrs/server/dist/src/protocol/rtmp/client-session.js';
import { num, str, type Flags } from './args.js';
import { encodeBenchTime, wallNow } from './bench-time.js';
import { loadFlv, Looper } from './media.js';

/** `rtmp://h/app/s?q` -> `rtmp://h/app/s_<i>?q` */
export function nthUrl(url: string, i: number, count: number): string {
  if (count <= 1) return url;
  const q = url.indexOf('?');
  return q < 0 ? `${url}_${i}` : `${url.slice(0, q)}_${i}${url.slice(q)}`;
}

export async function publish(flags: Flags): Promise<void> {
  const url = str(flags, 'url');
  const file = str(flags, 'input');
  const count = num(flags, 'count', 1);
  const duration = num(flags, 'duration', 0);
  const probeMs = num(flags, 'probe-ms', 1000);
  const media = loadFlv(file);
  const quiet = flags.quiet === true;
  if (!quiet) console.error(`publishing ${file} (${media.kbps.toFixed(0)} kbit/s, loop ${media.period} ms) to ${count} stream(s)`);

  const clients = await Promise.all(Array.from({ length: count }, (_, i) => RtmpClient.connect(nthUrl(url, i, count), { mode: 'publish' })));
  const t0 = performance.now();
  const loopers = clients.map(() => new Looper(media));
  let nextProbe = 0;
  let stopped = false;
  for (const c of clients) c.on('close', () => {
    if (!stopped) {
      console.error('publisher connection closed by the server');
      process.exitCode = 1;
      stop();
    }
  });

  // 10 ms ticks: cheap, and the probe's send time is taken when it is written anyway.
  const timer = setInterval(() => {
    const now = performance.now() - t0;
    for (let i = 0; i < clients.length; i++) {
      const c = clients[i];
      loopers[i].due(now, (tag, ts) => c.sendMedia(tag.type, ts, tag.body));
    }
    if (now >= nextProbe) {
      for (const c of clients) c.sendMedia(18, Math.floor(now), encodeBenchTime(wallNow()));
      nextProbe += probeMs;
    }
  }, 10);

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    Promise.all(clients.map((c) => c.close().catch(() => {}))).then(() => process.exit());
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (duration > 0) setTimeout(stop, duration * 1000);
}
