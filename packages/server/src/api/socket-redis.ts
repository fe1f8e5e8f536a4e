/**
 * socket.io's Redis adapter (@socket.io/redis-adapter over two ioredis connections) for the live
 * feed of a cluster (`cluster { registry redis://...; }`).
 *
 * Redis going away must not hurt the node: publishes are not queued while the connection is down
 * (ioredis `enableOfflineQueue: false` on the publishing connection), a failed publish is counted
 * and dropped (the adapter does not handle its promise; an unhandled rejection would end the
 * process), and the connections retry every 0.2-5 s. The state changes are logged once each.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactSecrets } from '../app/redact.js';

export interface LiveRegistry {
  /** for `io.adapter(...)` */
  adapter: ReturnType<typeof createAdapter>;
  /** publishes dropped so far (Redis down or refusing) */
  readonly dropped: number;
  close(): void;
}

type Publish = (channel: string | Buffer, message: string | Buffer) => Promise<number>;

export function liveRegistry(url: string, log: Logger): LiveRegistry {
  const retryStrategy = (attempt: number) => Math.min(200 * attempt, 5_000);
  const pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000, retryStrategy });
  // The subscriber's few SUBSCRIBE commands wait for the connection (and ioredis re-subscribes after
  // a reconnect).
  const sub = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 5_000, retryStrategy });
  let down = false;
  let dropped = 0;
  for (const [name, client] of [['publisher', pub], ['subscriber', sub]] as const) {
    client.on('error', (err: Error) => {
      if (down) return;
      down = true;
      log.warn({ registry: redactSecrets(url), connection: name, err: err.message }, 'registry unreachable: the live view shows this node only until it is back');
    });
    client.on('ready', () => {
      if (!down) return;
      down = false;
      log.info({ registry: redactSecrets(url), connection: name }, 'registry reachable again');
    });
  }
  const publish = pub.publish.bind(pub) as Publish;
  (pub as unknown as { publish: Publish }).publish = (channel, message) =>
    publish(channel, message).catch(() => {
      dropped++;
      return 0;
    });
  return {
    adapter: createAdapter(pub, sub, { key: 'tsrs-live' }),
    get dropped() {
      return dropped;
    },
    close() {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

