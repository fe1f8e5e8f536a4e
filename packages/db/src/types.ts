// Public row and input types. Times in results are ms since the epoch (numbers), byte counts are
// numbers (exact up to 2^53), so every result is plain JSON.

export type EndReason = 'normal' | 'kicked' | 'error';
export type ClientKind = 'publish' | 'play';
export type RecordingFormat = 'flv' | 'mp4';
/** ms epoch number, Date, or ISO-8601 string (numeric strings are read as ms). */
export type TimeInput = number | Date | string;

// ---- write inputs ----

export interface StreamStartInput {
  /** Unique per publish session (not per stream name): chosen by the server. */
  id: string;
  vhost: string;
  app: string;
  stream: string;
  /** Server-side client id of the publisher. */
  clientId: string;
  ip: string;
  protocol: string;
  at?: TimeInput;
}

export interface StreamMediaInput {
  videoCodec?: string | null;
  videoProfile?: string | null;
  videoLevel?: string | null;
  width?: number | null;
  height?: number | null;
  frameRate?: number | null;
  audioCodec?: string | null;
  audioSampleRate?: number | null;
  audioChannels?: number | null;
  audioProfile?: string | null;
}

export interface SessionEndInput {
  at?: TimeInput;
  bytesIn?: number;
  bytesOut?: number;
  reason?: EndReason;
}

export interface ClientStartInput {
  /** Server-side client id. */
  id: string;
  kind: ClientKind;
  /** SRS client type, e.g. 'rtmp-play', 'flv-play', 'fmle-publish'. */
  type: string;
  protocol: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  url: string;
  at?: TimeInput;
}

export interface RecordingStartInput {
  /** Optional; the store generates a UUID otherwise. */
  id?: string;
  vhost: string;
  app: string;
  stream: string;
  path: string;
  format: RecordingFormat;
  at?: TimeInput;
}

export interface RecordingProgressInput {
  size: number;
  durationMs: number;
}

export interface RecordingEndInput extends RecordingProgressInput {
  at?: TimeInput;
  complete: boolean;
}

export interface EventInput {
  type: string;
  at?: TimeInput;
  vhost?: string | null;
  app?: string | null;
  stream?: string | null;
  clientId?: string | null;
  /** Anything JSON.stringify can handle (bigints become numbers). */
  data?: unknown;
}

// ---- results ----

export interface StreamSessionRow extends Required<{ [K in keyof StreamMediaInput]: Exclude<StreamMediaInput[K], undefined> }> {
  id: string;
  vhost: string;
  app: string;
  stream: string;
  clientId: string;
  ip: string;
  protocol: string;
  startedAt: number;
  endedAt: number | null;
  /** endedAt - startedAt, null while live. */
  durationMs: number | null;
  bytesIn: number;
  bytesOut: number | null;
  endReason: EndReason | null;
  /** The cluster node that wrote the row (`cluster { node_id }`, else hostname:api-port; '' for rows older than nodes). */
  node: string;
}

export interface ClientSessionRow {
  id: string;
  kind: ClientKind;
  type: string;
  protocol: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  url: string;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  bytesIn: number;
  bytesOut: number;
  endReason: EndReason | null;
  /** The cluster node that wrote the row (`cluster { node_id }`, else hostname:api-port; '' for rows older than nodes). */
  node: string;
}

export interface RecordingRow {
  id: string;
  vhost: string;
  app: string;
  stream: string;
  path: string;
  format: RecordingFormat;
  startedAt: number;
  endedAt: number | null;
  durationMs: number;
  size: number;
  complete: boolean;
  /** The cluster node that wrote the row (`cluster { node_id }`, else hostname:api-port; '' for rows older than nodes). */
  node: string;
}

export interface EventRow {
  id: number;
  at: number;
  type: string;
  vhost: string | null;
  app: string | null;
  stream: string | null;
  clientId: string | null;
  /** Parsed JSON (null when absent). */
  data: unknown;
}

export interface Page<T> {
  items: T[];
  /** Rows matching the filters, ignoring limit/offset. */
  total: number;
}

// ---- queries ----

export interface HistoryQuery {
  /** Page size, default 100, at most 1000. */
  limit?: number;
  offset?: number;
  /** Rows active at or after `from` (sessions/recordings: not ended before it). */
  from?: TimeInput;
  /** Rows that started at or before `to`. */
  to?: TimeInput;
  vhost?: string;
  app?: string;
  stream?: string;
}

export interface StreamSessionQuery extends HistoryQuery {
  ip?: string;
  /** Only the rows this cluster node wrote. */
  node?: string;
  clientId?: string;
  /** true: only live (not ended) sessions; false: only ended ones. */
  active?: boolean;
}

export interface ClientSessionQuery extends HistoryQuery {
  ip?: string;
  /** Only the rows this cluster node wrote. */
  node?: string;
  kind?: ClientKind;
  endReason?: EndReason;
  active?: boolean;
}

export interface RecordingQuery extends HistoryQuery {
  format?: RecordingFormat;
  complete?: boolean;
}

export interface EventQuery extends HistoryQuery {
  type?: string;
  clientId?: string;
}

export interface RepairResult {
  streams: number;
  clients: number;
  recordings: number;
}

export interface StoreStatus {
  path: string;
  /** Writes waiting for the database. */
  queued: number;
  /** Writes dropped: queue overflow or rejected by the database. */
  dropped: number;
  /** Consecutive failed flush attempts (0 = healthy). */
  failures: number;
  lastError: string | null;
}
