/** A port the server listens on (RTMP, HTTP, API, UDP). */
export interface Listener {
  readonly name: string;
  start(): Promise<void>;
  /** graceful: stop accepting and let connections finish; fast: destroy them too */
  close(graceful: boolean): Promise<void>;
  /** the bound addresses (ports resolved when the config said 0) */
  addresses(): { host: string; port: number }[];
}
