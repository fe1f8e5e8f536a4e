/**
 * Wire types the console reads. SRS's HTTP API (`/api/v1/...`), the tsrs additions (DVR control,
 * recordings, history) and the socket.io live feed are the server's own types, from
 * `@tsrs/api-types`; only what the console adds on top is defined here.
 */
import type { ErrorCode, HistoryErrorCode } from '@tsrs/api-types';

export type {
  AudioInfo,
  Client,
  ClientsResponse,
  ClientToServerEvents,
  DvrAction,
  DvrRequest,
  DvrResponse,
  Envelope,
  FeaturesResponse,
  ErrorBody,
  HistoryClientSession,
  HistoryClientsQuery,
  HistoryClientsResponse,
  HistoryEndReason,
  HistoryQuery,
  HistoryStreamSession,
  HistoryStreamsResponse,
  Kbps,
  KickResponse,
  LiveAuth,
  LiveEvent,
  LiveEventType,
  LiveHistory,
  LiveHistorySample,
  LiveStream,
  LiveStreamHistory,
  LiveStreamHistoryResponse,
  LiveSummary,
  Ok,
  RawResponse,
  Recording,
  RecordingDeleteResponse,
  RecordingsQuery,
  RecordingsResponse,
  ServerToClientEvents,
  Stream,
  StreamResponse,
  StreamsResponse,
  Summaries,
  SummariesResponse,
  Versions,
  VersionsResponse,
  VideoInfo,
  Vhost,
  VhostsResponse,
} from '@tsrs/api-types';

type HistoryErrorCodes = (typeof HistoryErrorCode)[keyof typeof HistoryErrorCode];

/** What the server's error codes mean (a code added to api-types fails the build until named here). */
const SERVER_ERRORS = {
  100: 'Test error',
  400: 'Request failed (no connection, or WebRTC refused the request)',
  1060: 'Unknown raw API rpc',
  1061: 'Raw API disabled (raw_api.enabled / allow_reload is off)',
  1090: 'Exporter disabled',
  2014: 'Vhost not found',
  2048: 'Stream not found',
  2049: 'Client not found',
  3063: 'Invalid JSON body',
  4003: 'Request body too large',
  4090: 'Invalid query parameter',
  4091: 'The server runs without a history database',
} satisfies Record<Exclude<ErrorCode, 0> | HistoryErrorCodes, string>;

/** SRS/tsrs error codes with a human meaning (4092-4096: the DVR routes' codes). */
export const ERROR_CODES: Record<number, string> = {
  ...SERVER_ERRORS,
  4092: 'Invalid DVR request',
  4093: 'Recording not found',
  4094: 'The recording is being written: stop it first',
  4095: 'The recording file is gone',
  4096: 'This recording cannot be exported as MP4',
};
