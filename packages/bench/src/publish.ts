/**
 * `tsrs-bench publish`: M publishers replaying an FLV file in real time, each with a delay
 * probe (its wall-clock send time) every --probe-ms: over RTMP an `onBenchTime` data message
 * and the same time in an SEI NAL unit of the next video frame (for WebRTC players); over WHIP
 * (--proto whip, whip-publisher.ts) the SEI only.
 */
import { RtmpClient } from '@tsrs/server/dist/src/protocol/rtmp/client-session.js';
import { num, str, type Flags } from './args.js';
import { encodeBenchTime, encodeSeiTime, wallNow } from './bench-time.js';
import { insertNalBeforeSlice, isAvcPacket, loadFlv, Looper, type Media } from './media.js';
import { WhipPublisher } from './whip-publisher.js';

/**
 * The i-th of `count` streams: `rtmp://h/app/s?q` -> `rtmp://h/app/s_<i>?q`; a WHIP endpoint's
 * `stream` query parameter likewise (`...?app=live&stream=s` -> `stream=s_<i>`).
 */
export function nthUrl(url: string, i: number, count: number): string {
  if (count <= 1) return url;
  if (/^https?:\/\//.test(url)) {
    const u = new URL(url);
    const stream = u.searchParams.get('stream');
    if (stream === null) throw new Error(`${url}: no stream= parameter`);
    u.searchParams.set('stream', `${stream}_${i}`);
    return u.href;
  }
  const q = url.indexOf('?');
  return q < 0 ? `${url}_${i}` : `${url.slice(0, q)}_${i}${url.slice(q)}`;
}

/** What `publish` runs, RTMP or WHIP. */
export interface BenchPublisher {
  onClose: (() => void) | undefined;
  /** the last media timestamp sent, ms */
  lastTs: number;
  stop(): Promise<void>;
}

export async function publish(flags: Flags): Promise<void> {
  const url = str(flags, 'url');
  const file = str(flags, 'input');
  const count = num(flags, 'count', 1);
  const duration = num(flags, 'duration', 0);
  const probeMs = num(flags, 'probe-ms', 1000);
  const proto = str(flags, 'proto', /^https?:\/\//.test(url) ? 'whip' : 'rtmp');
  if (proto !== 'rtmp' && proto !== 'whip') throw new Error(`--proto: rtmp or whip, got ${proto}`);
  if (proto === 'whip' && !/^https?:\/\//.test(url)) throw new Error(`-u: a WHIP endpoint (http://host:port/rtc/v1/whip/?app=&stream=) expected, got ${url}`);
  const media = loadFlv(file);
  const quiet = flags.quiet === true;
  if (!quiet) console.error(`publishing ${file} (${media.kbps.toFixed(0)} kbit/s, loop ${media.period} ms) to ${count} stream(s) over ${proto}`);

  const start = (u: string): Promise<BenchPublisher> =>
    proto === 'whip' ? WhipPublisher.start(u, media, probeMs, typeof flags.token === 'string' ? flags.token : undefined) : MediaPublisher.start(u, media, probeMs, undefined, true);
  const clients = await Promise.all(Array.from({ length: count }, (_, i) => start(nthUrl(url, i, count))));
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
 * `probeMs` (used by `publish` and the soak test), and with `sei` the same send time in an SEI
 * NAL unit of the next H.264 frame. `onClose` is called if the server closes it.
 */
export class MediaPublisher implements BenchPublisher {
  onClose: (() => void) | undefined;
  /** the last media timestamp sent, ms */
  lastTs = 0;
  private readonly looper: Looper;
  private readonly t0 = performance.now();
  private nextProbe = 0;
  private seiDue = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly client: RtmpClient,
    private readonly media: Media,
    private readonly probeMs: number,
    private readonly sei: boolean,
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

  static async start(url: string, media: Media, probeMs = 1000, timeoutMs?: number, sei = false): Promise<MediaPublisher> {
    return new MediaPublisher(await RtmpClient.connect(url, { mode: 'publish', timeoutMs }), media, probeMs, sei);
  }

  private tick(): void {
    const now = performance.now() - this.t0;
    this.looper.due(now, (tag, ts) => {
      this.lastTs = ts;
      let body = tag.body;
      if (this.seiDue && this.media.avc && tag.type === 9 && isAvcPacket(body, 1)) {
        body = insertNalBeforeSlice(body, encodeSeiTime(wallNow()), this.media.avc.naluLengthSize);
        this.seiDue = false;
      }
      this.client.sendMedia(tag.type, ts, body);
    });
    if (this.probeMs > 0 && now >= this.nextProbe) {
      this.client.sendMedia(18, Math.floor(now), encodeBenchTime(wallNow()));
      this.seiDue = this.sei;
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
