/**
 * The shared stream registry (tsrs, `cluster { registry redis://HOST:PORT[/DB]; }`): every origin
 * records the streams published on it in Redis, so any node finds the origin of any stream
 * without a coworkers list.
 *
 * Entries: one hash per stream, key `tsrs:stream:VHOST/APP/STREAM`, fields `node` (server_id),
 * `owner` (server_id/service: this run of this node), `rtmp` and `api` (`host:port` other nodes
 * reach it at), `vhost`, `app`, `stream`, `since` (ms since the epoch). An entry lives
 * `registry_lease` seconds unless renewed; its origin renews it every `registry_renew` seconds
 * and deletes it at unpublish, so a crashed origin's entries expire within the lease. An entry
 * belongs to one owner: a second origin publishing the same stream takes it over only once the
 * first one's is gone.
 *
 * Redis unreachable: the client reconnects with backoff (250 ms doubling to 5 s), commands fail at
 * once instead of queueing, one warning per outage is logged, and publishing and playing go on
 * locally; once connected again every entry of this node is recorded anew.
 */
import os from 'node:os';
import { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { parseRegistryUrl, redactRegistryUrl, type RegistryUrl } from '../../config/registry-url.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import { Episode } from '../resource-errors.js';
import type { Source } from '../source.js';
import { formatHostPort, parseHostPort, type HostPort } from './addr.js';

const KEY_PREFIX = 'tsrs:stream:';
/** vhost/app/stream names are bounded well below this; a longer key is not recorded */
const MAX_KEY = 1024;
/** each field of an entry read back from Redis */
const MAX_FIELD = 512;
/** distinct registry URLs one server talks to (one per vhost at most) */
const MAX_REGISTRIES = 16;
const COMMAND_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 3000;
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5000;

/** Sets the entry when it is absent or this owner's: KEYS[1]; ARGV owner, lease ms, field/value pairs. */
const CLAIM = `local o = redis.call('HGET', KEYS[1], 'owner')
if o and o ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;
/** Deletes the entry when it is this owner's: KEYS[1]; ARGV owner. */
const RELEASE = `if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const FIELDS = ['node', 'owner', 'rtmp', 'api', 'vhost', 'app', 'stream', 'since'] as const;

/** Where a stream is published, as read from the registry. */
export interface RegistryEntry {
  /** the origin's server_id */
  node: string;
  /** its RTMP address */
  rtmp: HostPort;
  /** its HTTP API address (`host:port`), '' when its API is off */
  api: string;
  vhost: string;
  app: string;
  stream: string;
  /** ms since the epoch the origin first recorded it */
  since: number;
}

export interface StreamRegistryDeps {
  config: () => Config;
  log: Logger;
  /** this node's server_id and this run's service id */
  identity: { readonly serverId: string; readonly serviceId: string };
  /** the bound RTMP and API listen addresses (host may be 0.0.0.0) */
  rtmpAddress: () => HostPort | undefined;
  apiAddress: () => HostPort | undefined;
}

/** The Redis key of a stream's entry. */
export function registryKey(vhost: string, app: string, stream: string): string {
  return `${KEY_PREFIX}${vhost}/${app}/${stream}`;
}

/**
 * The host other nodes reach this one at: `configured`, else `listenHost` when it is a specific
 * address, else the first non-loopback IPv4 address, else 127.0.0.1.
 */
export function advertisedHost(configured: string | undefined, listenHost: string | undefined): string {
  if (configured) return configured;
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::' && listenHost !== '::ffff:0.0.0.0') return listenHost;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** The registry could not be asked (Redis unreachable or too slow). */
export class RegistryUnavailable extends Error {
  constructor(registry: string) {
    super(`${registry} unreachable`);
    this.name = 'RegistryUnavailable';
  }
}

/** One Redis connection of the registry (one per distinct URL). */
class RegistryConnection {
  readonly redis: Redis;
  readonly name: string;
  private readonly outage: Episode;
  private everReady = false;

  constructor(url: RegistryUrl, log: Logger, onReady: () => void) {
    this.name = redactRegistryUrl(url);
    this.outage = new Episode(log, 'registry: Redis unreachable, retrying (streams are served locally meanwhile)', 30_000);
    this.redis = new Redis({
      host: url.host,
      port: url.port,
      db: url.db,
      username: url.username,
      password: url.password,
      tls: url.tls ? {} : undefined,
      lazyConnect: true,
      // fail at once while disconnected: nothing piles up during an outage
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(RETRY_BASE_MS * 2 ** Math.min(times - 1, 10), RETRY_MAX_MS),
    });
    this.redis.on('error', (err: Error) => this.outage.hit({ registry: this.name, err: err.message }));
    this.redis.on('ready', () => {
      log.info({ registry: this.name }, this.everReady ? 'registry: Redis reconnected' : 'registry: Redis connected');
      this.everReady = true;
      onReady();
    });
    this.redis.connect().catch(() => {}); // the retry strategy goes on; 'error' logged it
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  failed(err: unknown): void {
    this.outage.hit({ registry: this.name, err: err instanceof Error ? err.message : String(err) });
  }

  close(): void {
    this.outage.stop();
    this.redis.disconnect(false);
  }
}

interface Recorded {
  source: Source;
  /** the registry URL it was recorded in (the vhost's at publish or at the last renewal) */
  url: string;
  since: number;
  timer: NodeJS.Timeout;
}

/** Records this origin's published streams and finds other origins' (see the module comment). */
export class StreamRegistry {
  private readonly connections = new Map<string, RegistryConnection>();
  private readonly recorded = new Map<string, Recorded>();
  private closed = false;

  constructor(private readonly d: StreamRegistryDeps) {}

  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source) => this.onPublish(source));
    bus.on('stream:unpublish', (source) => this.onUnpublish(source));
  }

  /** `owner` of this node's entries: its server_id and this run's service id. */
  get owner(): string {
    return `${this.d.identity.serverId}/${this.d.identity.serviceId}`;
  }

  /** The registry URL of an origin vhost, when it has one. */
  private registryOf(vhost: string): string | undefined {
    const c = this.d.config().getVhost(vhost)?.cluster;
    return c && c.mode === 'local' ? c.registry : undefined;
  }

  /** Whether `vhost` looks streams up in a registry. */
  has(vhost: string): boolean {
    return this.registryOf(vhost) !== undefined;
  }

  private connection(url: string): RegistryConnection | undefined {
    const known = this.connections.get(url);
    if (known || this.closed) return known;
    const parsed = parseRegistryUrl(url);
    if (typeof parsed === 'string') return undefined; // the config refused it already
    if (this.connections.size >= MAX_REGISTRIES) {
      this.d.log.warn({ registry: redactRegistryUrl(parsed), max: MAX_REGISTRIES }, 'registry: too many distinct registries, this one is not used');
      return undefined;
    }
    const conn = new RegistryConnection(parsed, this.d.log, () => this.renewAll(url));
    this.connections.set(url, conn);
    return conn;
  }

  /** Connects to the registries the config names (at start and after a reload), so an outage shows at once. */
  connectConfigured(): void {
    const config = this.d.config();
    for (const name of config.vhostNames()) {
      const url = this.registryOf(name);
      if (url) this.connection(url);
    }
  }

  private onPublish(source: Source): void {
    const url = this.registryOf(source.vhost);
    const key = registryKey(source.vhost, source.app, source.stream);
    if (!url || key.length > MAX_KEY || this.recorded.has(key) || this.closed) return;
    const renewMs = this.renewMs(source.vhost);
    const rec: Recorded = { source, url, since: Date.now(), timer: setInterval(() => void this.renew(key), renewMs) };
    rec.timer.unref();
    this.recorded.set(key, rec);
    void this.renew(key);
  }

  private onUnpublish(source: Source): void {
    const key = registryKey(source.vhost, source.app, source.stream);
    const rec = this.recorded.get(key);
    if (!rec || rec.source !== source) return;
    clearInterval(rec.timer);
    this.recorded.delete(key);
    void this.release(rec.url, key);
  }

  private leaseMs(vhost: string): number {
    return Math.round((this.d.config().getVhost(vhost)?.cluster.registry_lease ?? 10) * 1000);
  }

  /** registry_renew, kept below half the lease so one lost renewal does not drop the entry */
  private renewMs(vhost: string): number {
    const c = this.d.config().getVhost(vhost)?.cluster;
    const renew = (c?.registry_renew ?? 3) * 1000;
    return Math.max(100, Math.round(Math.min(renew, this.leaseMs(vhost) / 2)));
  }

  /** Records (or renews) one of this node's entries; a config that moved the vhost's registry moves it. */
  private async renew(key: string): Promise<void> {
    const rec = this.recorded.get(key);
    if (!rec) return;
    const { source } = rec;
    const url = this.registryOf(source.vhost);
    if (url !== rec.url) {
      void this.release(rec.url, key);
      if (!url) {
        clearInterval(rec.timer);
        this.recorded.delete(key);
        return;
      }
      rec.url = url;
    }
    const conn = this.connection(url);
    if (!conn?.ready) return; // reconnecting: renewAll runs once it is ready
    const cluster = this.d.config().getVhost(source.vhost)?.cluster;
    const rtmp = this.d.rtmpAddress();
    if (!rtmp) return;
    const host = advertisedHost(cluster?.registry_host, rtmp.host);
    const api = this.d.apiAddress();
    const fields: Record<(typeof FIELDS)[number], string> = {
      node: this.d.identity.serverId,
      owner: this.owner,
      rtmp: formatHostPort({ host, port: rtmp.port }),
      api: api ? formatHostPort({ host, port: api.port }) : '',
      vhost: source.vhost,
      app: source.app,
      stream: source.stream,
      since: String(rec.since),
    };
    try {
      const took = await conn.redis.eval(CLAIM, 1, key, this.owner, String(this.leaseMs(source.vhost)), ...Object.entries(fields).flat());
      if (took !== 1) this.d.log.debug({ key }, 'registry: another origin holds the entry, retrying at the next renewal');
    } catch (err) {
      conn.failed(err);
    }
  }

  private renewAll(url: string): void {
    for (const [key, rec] of this.recorded) if (rec.url === url) void this.renew(key);
  }

  private async release(url: string, key: string): Promise<void> {
    const conn = this.connections.get(url);
    if (!conn?.ready) return; // the lease ends it
    try {
      await conn.redis.eval(RELEASE, 1, key, this.owner);
    } catch (err) {
      conn.failed(err);
    }
  }

  /**
   * Where another origin publishes `vhost/app/stream`, per the vhost's registry; undefined when
   * no entry is there, the entry is this node's own or the vhost has no registry. Rejects with
   * RegistryUnavailable when Redis cannot be asked now (logged once per outage).
   */
  async locate(vhost: string, app: string, stream: string): Promise<RegistryEntry | undefined> {
    const url = this.registryOf(vhost);
    if (!url) return undefined;
    const conn = this.connection(url);
    const key = registryKey(vhost, app, stream);
    if (key.length > MAX_KEY) return undefined;
    if (!conn?.ready) throw new RegistryUnavailable(conn?.name ?? 'registry');
    let values: (string | null)[];
    try {
      values = await conn.redis.hmget(key, ...FIELDS);
    } catch (err) {
      conn.failed(err);
      throw new RegistryUnavailable(conn.name);
    }
    const f = Object.fromEntries(FIELDS.map((k, i) => [k, values[i] ?? ''])) as Record<(typeof FIELDS)[number], string>;
    if (Object.values(f).some((v) => v.length > MAX_FIELD) || !f.owner || f.owner === this.owner) return undefined;
    const rtmp = parseHostPort(f.rtmp, null);
    if (!rtmp) return undefined;
    const api = f.api && parseHostPort(f.api, null) ? f.api : '';
    return { node: f.node, rtmp, api, vhost: f.vhost, app: f.app, stream: f.stream, since: Number(f.since) || 0 };
  }

  /** Stops renewing; `release` deletes this node's entries first (a graceful stop), bounded in time. */
  async close(release = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending: Promise<void>[] = [];
    for (const [key, rec] of this.recorded) {
      clearInterval(rec.timer);
      if (release) pending.push(this.release(rec.url, key));
    }
    this.recorded.clear();
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, COMMAND_TIMEOUT_MS).unref())]);
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}
