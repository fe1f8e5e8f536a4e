import type { Config } from '../config/index.js';
import { newObjectId, randomId } from './ids.js';

/**
 * Who this server is, as the API (`server`, `service`, `pid`) and the hooks (`server_id`,
 * `service_id`) report it. `server_id` comes from the config (it may change on reload),
 * else a `vid-…` generated once per run; `service` is new on every start.
 */
export class ServerIdentity {
  readonly serviceId = randomId(8);
  readonly pid = String(process.pid);
  private readonly generatedServerId = newObjectId();

  constructor(private readonly config: () => Config) {}

  get serverId(): string {
    return this.config().global.server_id ?? this.generatedServerId;
  }
}
