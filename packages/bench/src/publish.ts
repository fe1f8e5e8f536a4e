/**
 * `tsrs-bench publish`: M RTMP publishers replaying an FLV file in real time, each
 * sending an `onBenchTime` probe (its wall-clock send time) every --probe-ms.
 */
import { RtmpClient } from '@tsrs/server/dist/src/protocol/rtmp/client-session.js';
import { num, str, type Flags } from './args.js';
import { encodeBenchTime, wallNow } from './bench-time.js';
import { loadFlv, Looper, type Media } from './media.js';

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

  const clients = await Promise.all(Array.from({ length: count }, (_, i) => MediaPublisher.start(nthUrl(url, i, count), media, probeMs)));
  let stopped = false;
  for (const c of clients)
    c.onClose = () => {
      if (!stopped) {
        console.error('publisher connection closed by the server');
        process.exitCode = 1;
        stop();
      }
    };

  function stop(): void {
    if (stopped) return;
    stopped = true;
    Promise.all(clients.map((c) => c.stop())).then(() => process.exit());
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (duration > 0) setTimeout(stop, duration * 1000);
}

/**
 * One RTMP publisher replaying `media` in real time, looped, with an `onBenchTime` probe every
 * `probeMs` (used by `publish` and the soak test). `onClose` is called if the server closes it.
 */
export class MediaPublisher {
  onClose: (() => void) | undefined;
  /** the last media timestamp sent, ms */
  lastTs = 0;
  private readonly looper: Looper;
  private readonly t0 = performance.now();
  private nextProbe = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly client: RtmpClient,
    media: Media,
    private readonly probeMs: number,
  ) {
    this.looper = new Looper(media);
    client.on('close', () => {
      clearInterval(this.timer);
      if (!this.stopped) this.onClose?.();
    });
    client.on('error', () => {});
    // 10 ms ticks: cheap, and the probe's send time is taken when it is written anyway.
    this.timer = setInterval(() => this.tick(), 10);
  }

  static async start(url: string, media: Media, probeMs = 1000, timeoutMs?: number): Promise<MediaPublisher> {
    return new MediaPublisher(await RtmpClient.connect(url, { mode: 'publish', timeoutMs }), media, probeMs);
  }

  private tick(): void {
    const now = performance.now() - this.t0;
    this.looper.due(now, (tag, ts) => {
      this.lastTs = ts;
      this.client.sendMedia(tag.type, ts, tag.body);
    });
    if (this.probeMs > 0 && now >= this.nextProbe) {
      this.client.sendMedia(18, Math.floor(now), encodeBenchTime(wallNow()));
      this.nextProbe += this.probeMs;
    }
  }

  /** Unpublishes politely and closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.client.close().catch(() => {});
  }
}
