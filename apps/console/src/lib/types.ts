/**
 * Wire types the console reads. SRS's HTTP API (`/api/v1/...`), the tsrs additions (DVR control,
 * recordings, history) and the socket.io live feed are the server's own types, from
 * `@tsrs/api-types`; only what the console adds on top is defined here.
 */
import { ERROR_TEXT } from '@tsrs/api-types/errors';

export { ErrorCode } from '@tsrs/api-types/errors';

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
  LiveCluster,
  LiveHistory,
  LiveNode,
  NodeClient,
  NodeStream,
  LiveHistorySample,
  LiveStream,
  LiveStreamHistory,
  LiveStreamHistoryResponse,
  LiveSummary,
  Ok,
  Process,
  ProcessesResponse,
  ForwardState,
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

/**
 * What the server's error codes mean: the one table beside the wire types (the values come from
 * the `errors` entry, which holds no schemas, so the console's bundle stays small).
 */
export const ERROR_CODES: Record<number, string> = ERROR_TEXT;
