/**
 * The edge side of a vhost with `cluster { mode remote; origin HOST[:PORT] ...; }`:
 *
 * - play: the first player of a stream nobody publishes here (RTMP, HTTP-FLV, any protocol
 *   that opens a player: `stream:demand`) starts one EdgeUpstream pulling it from the origins;
 *   every later player shares it. `edge_idle_timeout` seconds after the last player left
 *   (`stream:idle`), it stops.
 * - publish: a stream published on the edge gets an EdgePush output that pushes it through to
 *   an origin; the edge's own players play it locally.
 *
 * It follows the hub's bus (`stream:demand`, `stream:idle`, `stream:publish`); the upstream
 * publishes through a publisher handle like any other protocol.
 */
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import type { Client } from '../client.js';
import type { DemandEvent, EventBus, IdleEvent } from '../events.js';
import type { Hub } from '../hub.js';
import type { Source } from '../source.js';
import { edgeLoop, formatEdgeVia } from './edge-via.js';
import { EdgePush } from './push.js';
import { EdgeUpstream } from './upstream.js';

export interface EdgeClusterDeps {
  hub: Hub;
  config: () => Config;
  log: Logger;
  /** this edge's node id in pull chains (one per process: workers are told apart) */
  self: string;
}

export class EdgeCluster {
  /** upstreams by source key */
  private readonly upstreams = new Map<string, EdgeUpstream>();
  private readonly idle = new Map<string, NodeJS.Timeout>();
  private readonly pushes = new Map<Source, EdgePush>();

  constructor(private readonly d: EdgeClusterDeps) {}

  subscribe(bus: EventBus): void {
    bus.on('stream:demand', (e) => this.onDemand(e));
    bus.on('stream:idle', (e) => this.onIdle(e));
    bus.on('stream:publish', (source, client) => this.onPublish(source, client));
    bus.on('stream:unpublish', (source) => this.onUnpublish(source));
  }

  /** The upstream of a stream, while there is one (API, tests). */
  upstreamOf(source: Source): EdgeUpstream | undefined {
    return this.upstreams.get(source.key);
  }

  get upstreamCount(): number {
    return this.upstreams.size;
  }

  private cluster(vhost: string) {
    const c = this.d.config().getVhost(vhost)?.cluster;
    return c?.mode === 'remote' ? c : undefined;
  }

  /**
   * A player waits for a stream nobody publishes here: pull it, unless an upstream runs. A
   * request without a player (an HLS playlist; edges keep HLS off) starts nothing: no idle
   * would end it.
   */
  private onDemand(e: DemandEvent): void {
    const cluster = this.cluster(e.vhost);
    if (!cluster || !e.client) return;
    const loop = edgeLoop(e.client.edgeVia, this.d.self);
    if (loop) {
      // before the running-upstream check: the loop's own play must not hold the stream
      this.d.log.warn({ url: e.client.streamUrl, ip: e.client.ip }, `${loop}: the player is closed (check cluster.origin)`);
      e.client.transport.close('edge loop');
      return;
    }
    const source = this.d.hub.findSource(e.vhost, e.app, e.stream);
    if (!source) return;
    const key = source.key;
    clearTimeout(this.idle.get(key));
    this.idle.delete(key);
    if (this.upstreams.get(key)?.active) return;
    const { vhost, app, stream } = source;
    const upstream = new EdgeUpstream({
      hub: this.d.hub,
      log: this.d.log,
      origins: () => this.cluster(vhost)?.origin ?? [],
      originVhost: () => this.cluster(vhost)?.vhost ?? vhost,
      vhost,
      app,
      stream,
      param: e.param,
      via: formatEdgeVia(e.client.edgeVia, this.d.self),
    });
    this.upstreams.set(key, upstream);
    this.d.log.info({ url: source.url, origins: cluster.origin.join(' ') }, 'edge: first player, pulling from the origin');
    upstream.start();
  }

  /** The last player left: the upstream ends `edge_idle_timeout` later unless one came back. */
  private onIdle(e: IdleEvent): void {
    const source = e.source;
    const key = source.key;
    const up = this.upstreams.get(key);
    if (!up || this.idle.has(key)) return;
    const seconds = this.cluster(source.vhost)?.edge_idle_timeout ?? 0;
    const end = () => {
      this.idle.delete(key);
      if (source.players > 0) return;
      this.upstreams.delete(key);
      up.stop();
    };
    if (seconds <= 0) return end();
    this.idle.set(key, setTimeout(end, seconds * 1000).unref());
  }

  private isUpstream(client: Client): boolean {
    for (const u of this.upstreams.values()) if (u.client === client) return true;
    return false;
  }

  private onPublish(source: Source, client: Client): void {
    const cluster = this.cluster(source.vhost);
    if (!cluster || this.isUpstream(client)) return;
    const vhost = source.vhost;
    const push = new EdgePush(source, {
      log: this.d.log,
      origins: () => this.cluster(vhost)?.origin ?? [],
      originVhost: () => this.cluster(vhost)?.vhost ?? vhost,
      param: client.param,
    });
    this.pushes.set(source, push);
    source.addOutput(push);
  }

  private onUnpublish(source: Source): void {
    const push = this.pushes.get(source);
    if (!push) return;
    this.pushes.delete(source);
    source.removeOutput(push);
  }

  close(): void {
    for (const t of this.idle.values()) clearTimeout(t);
    this.idle.clear();
    for (const u of this.upstreams.values()) u.stop();
    this.upstreams.clear();
    for (const [source, push] of this.pushes) source.removeOutput(push);
    this.pushes.clear();
  }
}
