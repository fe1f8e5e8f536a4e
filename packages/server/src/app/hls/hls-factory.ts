import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import type { OutputFactory } from '../hub.js';
import { HlsOutput } from './hls-output.js';

/**
 * The hub's factory for HLS: an HlsOutput on each Source of a vhost with
 * hls enabled (never on an edge vhost, `cluster.mode remote`). The output outlives a swept Source (its playlist and dispose
 * timer belong to the stream), so a new Source for the stream picks it up.
 */
export function hlsOutputFactory(deps: { config: () => Config; bus: EventBus; log: Logger }): OutputFactory {
  const outputs = new Map<string, HlsOutput>();
  return (source) => {
    const config = () => deps.config().getVhost(source.vhost)?.hls;
    // An edge keeps HLS off (as SRS recommends): its origin makes the stream's segments.
    if (!config()?.enabled || deps.config().getVhost(source.vhost)?.cluster.mode === 'remote') return undefined;
    const existing = outputs.get(source.key);
    if (existing) {
      existing.attach(source);
      return existing;
    }
    const key = source.key;
    const output = new HlsOutput(source, {
      config,
      utcTime: () => deps.config().global.utc_time,
      bus: deps.bus,
      log: deps.log,
      onIdle: (o) => {
        if (outputs.get(key) === o) outputs.delete(key);
      },
    });
    outputs.set(key, output);
    return output;
  };
}
