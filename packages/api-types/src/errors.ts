/**
 * Every error code the tsrs API answers, in one table: SRS's numeric codes (srs_kernel_error.hpp)
 * where tsrs answers as SRS does, and tsrs's own (4090-4096) for its additions. An SRS-style
 * error is HTTP 200 with only the code, `{"code":N}`; WebRTC signalling (WHIP) answers a 4xx/5xx
 * with `{"code":N,"msg":"..."}`. The server answers with these names and the console shows
 * `ERROR_TEXT`; a code added here fails the build until it has a text.
 */

export const ErrorCode = {
  Success: 0,
  /** /api/v1/tests/errors */
  TestError: 100,
  /** a client without a connection object cannot be kicked */
  NoConnection: 400,
  /** SRS ERROR_SYSTEM...: a handler failed; the request is still answered */
  SystemError: 1000,
  /** /api/v1/raw: missing or unknown rpc */
  RawApiRpcInvalid: 1060,
  /** /api/v1/raw: rpc disabled by raw_api */
  RawApiDisabled: 1061,
  /** /metrics while exporter is disabled (SRS); tsrs serves /metrics always on the API port */
  ExporterDisabled: 1090,
  VhostNotFound: 2014,
  StreamNotFound: 2048,
  ClientNotFound: 2049,
  /** the request body is not valid JSON (SRS ERROR_JSON_LOADS) */
  JsonInvalid: 3063,
  /** the request body is larger than the API accepts (SRS ERROR_HTTP_CONTENT_LENGTH) */
  BodyTooLarge: 4003,
  /** tsrs: a query parameter is malformed (a time that is neither ms nor ISO-8601, an unknown kind...) */
  BadQuery: 4090,
  /** tsrs: the server runs without a history database (history and recordings routes) */
  HistoryUnavailable: 4091,
  /** tsrs: a DVR request's body or query parameter is missing or malformed */
  DvrBadRequest: 4092,
  /** tsrs: no recording has this id */
  RecordingNotFound: 4093,
  /** tsrs: the recording is being written: stop it first */
  RecordingBusy: 4094,
  /** tsrs: the recording's row is there but its file is gone (or is not a recording file) */
  RecordingFileNotFound: 4095,
  /** tsrs: the recording cannot be exported as MP4 (not FLV) */
  ExportUnsupported: 4096,
  /** tsrs: the WebRTC port already has rtc_server.max_sessions sessions (HTTP 503) */
  RtcSessionsFull: 4097,
  /** SRS ERROR_RTC_SDP_DECODE: the SDP offer does not parse */
  RtcSdpDecode: 5012,
  /** SRS ERROR_RTC_SDP_EXCHANGE: the offer cannot be answered (no usable codec, ICE or DTLS) */
  RtcSdpExchange: 5018,
  /** SRS ERROR_RTC_API_BODY: the JSON body of /rtc/v1/publish/ lacks `sdp` or `streamurl` */
  RtcApiBody: 5019,
  /** SRS ERROR_RTC_SOURCE_BUSY: the stream already has a publisher */
  RtcSourceBusy: 5020,
  /** SRS ERROR_RTC_DISABLED: rtc_server (or the vhost's rtc) is off */
  RtcDisabled: 5021,
  /** SRS ERROR_RTC_INVALID_PARAMS: bad app/stream/session parameters */
  RtcInvalidParams: 5023,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What each error code means, for people (the console shows these). */
export const ERROR_TEXT: Record<Exclude<ErrorCode, 0>, string> = {
  100: 'Test error',
  400: 'Request failed (no connection, or WebRTC refused the request)',
  1000: 'The server failed to answer the request (see its log)',
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
  4092: 'Invalid DVR request',
  4093: 'Recording not found',
  4094: 'The recording is being written: stop it first',
  4095: 'The recording file is gone',
  4096: 'This recording cannot be exported as MP4',
  4097: 'The server has as many WebRTC sessions as it takes (rtc_server.max_sessions)',
  5012: 'The WebRTC offer (SDP) does not parse',
  5018: 'The WebRTC offer cannot be answered',
  5019: 'The WebRTC publish request lacks sdp or streamurl',
  5020: 'The stream already has a publisher',
  5021: 'WebRTC is disabled on this server',
  5023: 'Invalid WebRTC parameters',
};

/** The history routes' codes (HTTP 200 `{"code":N}`), under their earlier names. */
export const HistoryErrorCode = {
  BadQuery: ErrorCode.BadQuery,
  Unavailable: ErrorCode.HistoryUnavailable,
} as const;

/** The DVR and recordings routes' codes (HTTP 200 `{"code":N}`). */
export const DvrErrorCode = {
  /** no history database: the same code as the history routes */
  Unavailable: ErrorCode.HistoryUnavailable,
  BadRequest: ErrorCode.DvrBadRequest,
  RecordingNotFound: ErrorCode.RecordingNotFound,
  RecordingBusy: ErrorCode.RecordingBusy,
  FileNotFound: ErrorCode.RecordingFileNotFound,
  ExportUnsupported: ErrorCode.ExportUnsupported,
} as const;

/** SRS's WebRTC codes (srs_kernel_error.hpp), as the WebRTC server throws them. */
export const RtcErrorCode = {
  SdpDecode: ErrorCode.RtcSdpDecode,
  SdpExchange: ErrorCode.RtcSdpExchange,
  ApiBody: ErrorCode.RtcApiBody,
  SourceBusy: ErrorCode.RtcSourceBusy,
  Disabled: ErrorCode.RtcDisabled,
  InvalidParams: ErrorCode.RtcInvalidParams,
  SessionsFull: ErrorCode.RtcSessionsFull,
} as const;
