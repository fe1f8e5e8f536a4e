/**
 * A healthy HTTP-FLV player watched while an attack runs beside it: the resource-limit tests
 * assert that its video timestamps keep advancing for the whole attack, that it received no
 * malformed FLV and that the server never closed it.
 */
import { playFlv, type FlvPlayer } from './http-players.js';

export interface HealthyPlayer {
  readonly player: FlvPlayer;
  /** (wall ms, last video timestamp ms) pairs, sampled every `everyMs` */
  readonly samples: { at: number; ts: number }[];
  /**
   * Throws unless the stream advanced in every window of `windowMs` since the watch began,
   * the FLV parsed cleanly and the connection is still open. Stops nothing.
   */
  assertAdvancing(windowMs?: number): void;
  close(): void;
}

/**
 * Start an HTTP-FLV player on `url` and sample its last video timestamp every `everyMs`.
 * Resolves once the first video tag arrived (rejects after `startMs`).
 */
export async function watchHealthyPlayer(url: string, everyMs = 500, startMs = 15_000): Promise<HealthyPlayer> {
  const player = await playFlv(url);
  if (player.status !== 200) throw new Error(`healthy player: HTTP ${player.status} for ${url}`);
  let ended = false;
  const deadline = Date.now() + startMs;
  while (player.videoTags === 0) {
    if (Date.now() > deadline) throw new Error(`healthy player: no video within ${startMs} ms from ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const samples: { at: number; ts: number }[] = [{ at: Date.now(), ts: player.lastVideoTs }];
  const timer = setInterval(() => samples.push({ at: Date.now(), ts: player.lastVideoTs }), everyMs);
  timer.unref();
  const bytesAt = () => player.bytes;
  let lastBytes = bytesAt();
  let lastBytesAt = Date.now();
  const bytesTimer = setInterval(() => {
    if (bytesAt() !== lastBytes) {
      lastBytes = bytesAt();
      lastBytesAt = Date.now();
    }
  }, everyMs);
  bytesTimer.unref();
  return {
    player,
    samples,
    assertAdvancing(windowMs = 3000) {
      samples.push({ at: Date.now(), ts: player.lastVideoTs });
      if (player.error) throw new Error(`healthy player: ${player.error}`);
      if (ended) throw new Error('healthy player: closed');
      for (let i = 0, j = 0; i < samples.length; i++) {
        // the first sample at least windowMs after samples[i]
        while (j < samples.length && samples[j].at - samples[i].at < windowMs) j++;
        if (j >= samples.length) break;
        if (samples[j].ts <= samples[i].ts) {
          throw new Error(
            `healthy player stalled: timestamp ${samples[i].ts} ms at +${samples[i].at - samples[0].at} ms ` +
              `was still ${samples[j].ts} ms at +${samples[j].at - samples[0].at} ms`,
          );
        }
      }
      if (Date.now() - lastBytesAt > windowMs * 2) throw new Error(`healthy player: no bytes for ${Date.now() - lastBytesAt} ms`);
    },
    close() {
      ended = true;
      clearInterval(timer);
      clearInterval(bytesTimer);
      player.close();
    },
  };
}
