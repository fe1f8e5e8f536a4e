/**
 * RTMP command (types 20/17) and data (types 18/15) messages: decoding, and encoders for the
 * server's replies and the client's requests. Encoders return RtmpMessage objects ready for
 * encodeMessage() with the chunk stream ids SRS uses.
 */
import { decodeAmf0All, ecmaArray, encodeAmf0, Amf0Error, type Amf0Object, type Amf0Value } from '../../kernel/amf0.js';
import { CSID, MSG, RtmpProtocolError, type RtmpMessage } from './messages.js';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** the command object (null for most commands besides connect) */
  commandObject: Amf0Value;
  /** the optional arguments after the command object */
  args: Amf0Value[];
}

/**
 * An AMF3 command/data message body starts with a format byte (0 means the rest is AMF0,
 * which is what every client sends in practice).
 */
function amf0Body(msg: RtmpMessage): Buffer {
  if (msg.typeId === MSG.AMF3_COMMAND || msg.typeId === MSG.AMF3_DATA) {
    if (msg.payload.length > 0 && msg.payload[0] === 0) return msg.payload.subarray(1);
  }
  return msg.payload;
}

/** Decodes a command message (type 20, or type 17 with an AMF0 body). */
export function decodeCommand(msg: RtmpMessage): RtmpCommand {
  const values = decodeAmf0All(amf0Body(msg));
  const [name, transactionId] = values;
  if (typeof name !== 'string') throw new RtmpProtocolError('command message without a command name');
  return {
    name,
    transactionId: typeof transactionId === 'number' && Number.isFinite(transactionId) ? transactionId : 0,
    commandObject: values.length > 2 ? values[2] : null,
    args: values.slice(3),
  };
}

export interface RtmpData {
  name: string;
  values: Amf0Value[];
}

/** Decodes a data message (type 18, or 15 with an AMF0 body) into its name and values. */
export function decodeData(msg: RtmpMessage): RtmpData {
  const values = decodeAmf0All(amf0Body(msg));
  const name = values[0];
  if (typeof name !== 'string') throw new RtmpProtocolError('data message without a name');
  return { name, values: values.slice(1) };
}

/**
 * Normalizes a data message for storage: AMF3 data (15) becomes AMF0 data (18), and a
 * leading "@setDataFrame" string is cut off (zero copy) so "onMetaData" comes first, as
 * SRS stores it and players expect it.
 */
export function unwrapDataMessage(msg: RtmpMessage): RtmpMessage {
  let payload = amf0Body(msg);
  // 0x02 + u16 length + "@setDataFrame"
  const SDF = '@setDataFrame';
  if (
    payload.length >= 3 + SDF.length &&
    payload[0] === 0x02 &&
    payload.readUInt16BE(1) === SDF.length &&
    payload.toString('latin1', 3, 3 + SDF.length) === SDF
  ) {
    payload = payload.subarray(3 + SDF.length);
  }
  if (payload === msg.payload && msg.typeId === MSG.AMF0_DATA) return msg;
  return { ...msg, typeId: MSG.AMF0_DATA, payload };
}

function command(csid: number, streamId: number, ...values: Amf0Value[]): RtmpMessage {
  return { typeId: MSG.AMF0_COMMAND, streamId, timestamp: 0, csid, payload: encodeAmf0(...values) };
}

function data(csid: number, streamId: number, ...values: Amf0Value[]): RtmpMessage {
  return { typeId: MSG.AMF0_DATA, streamId, timestamp: 0, csid, payload: encodeAmf0(...values) };
}

// --- server replies --------------------------------------------------------------------------

export const FMS_VERSION = 'FMS/3,5,3,888';

export interface StatusInfo extends Amf0Object {
  level: 'status' | 'error' | 'warning';
  code: string;
  description: string;
}

export function connectResult(transactionId: number, objectEncoding = 0, description = 'Connection succeeded'): RtmpMessage {
  return command(
    CSID.OVER_CONNECTION,
    0,
    '_result',
    transactionId,
    { fmsVer: FMS_VERSION, capabilities: 127, mode: 1 },
    {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description,
      objectEncoding,
      data: ecmaArray({ version: '3,5,3,888', srs_server: 'tsrs' }),
    },
  );
}

export function connectError(
  transactionId: number,
  description: string,
  code = 'NetConnection.Connect.Rejected',
  /** more of the refusal (SRS's redirect: `{ code: 302, redirect: url }`) */
  ex?: Amf0Object,
): RtmpMessage {
  const info: Amf0Object = { level: 'error', code, description };
  if (ex) info.ex = ex;
  return command(CSID.OVER_CONNECTION, 0, '_error', transactionId, null, info);
}

/** `_result` with a null command object: releaseStream, FCPublish, FCUnpublish, unknown calls. */
export function simpleResult(transactionId: number, value: Amf0Value = undefined): RtmpMessage {
  return command(CSID.OVER_CONNECTION, 0, '_result', transactionId, null, value);
}

export function createStreamResult(transactionId: number, streamId: number): RtmpMessage {
  return command(CSID.OVER_CONNECTION, 0, '_result', transactionId, null, streamId);
}

/** The server's onBWDone, sent after the connect reply like SRS does. */
export function onBWDone(): RtmpMessage {
  return command(CSID.OVER_CONNECTION, 0, 'onBWDone', 0, null);
}

export function onStatus(streamId: number, info: StatusInfo): RtmpMessage {
  return command(CSID.OVER_STREAM, streamId, 'onStatus', 0, null, info);
}

const status = (code: string, description: string, extra: Amf0Object = {}): StatusInfo => ({
  level: 'status',
  code,
  description,
  ...extra,
});
const error = (code: string, description: string): StatusInfo => ({ level: 'error', code, description });

export const publishStart = (streamId: number, streamName = '') =>
  onStatus(streamId, status('NetStream.Publish.Start', `Started publishing stream.`, { details: streamName }));
export const publishBadName = (streamId: number, description = 'Stream is already publishing.') =>
  onStatus(streamId, error('NetStream.Publish.BadName', description));
export const playReset = (streamId: number, streamName = '') =>
  onStatus(streamId, status('NetStream.Play.Reset', 'Playing and resetting stream.', { details: streamName }));
export const playStart = (streamId: number, streamName = '') =>
  onStatus(streamId, status('NetStream.Play.Start', 'Started playing stream.', { details: streamName }));
export const playStreamNotFound = (streamId: number, description = 'Stream not found.') =>
  onStatus(streamId, error('NetStream.Play.StreamNotFound', description));
export const unpublishSuccess = (streamId: number) =>
  onStatus(streamId, status('NetStream.Unpublish.Success', 'Stream is now unpublished'));
export const playUnpublishNotify = (streamId: number) =>
  onStatus(streamId, status('NetStream.Play.UnpublishNotify', 'Stream is now unpublished'));
export const pauseNotify = (streamId: number) =>
  onStatus(streamId, status('NetStream.Pause.Notify', 'Paused stream.'));
export const unpauseNotify = (streamId: number) =>
  onStatus(streamId, status('NetStream.Unpause.Notify', 'Unpaused stream.'));

/** NetStream.Data.Start is a data message (type 18) named onStatus. */
export const dataStart = (streamId: number) =>
  data(CSID.OVER_STREAM, streamId, 'onStatus', { code: 'NetStream.Data.Start' });

/** |RtmpSampleAccess(audio, video): lets Flash players access the raw samples. */
export const sampleAccess = (streamId: number) => data(CSID.OVER_STREAM, streamId, '|RtmpSampleAccess', true, true);

export const onFCPublish = (streamId: number) =>
  command(CSID.OVER_STREAM, streamId, 'onFCPublish', 0, null, {
    code: 'NetStream.Publish.Start',
    description: 'Started publishing stream.',
  });
export const onFCUnpublish = (streamId: number) =>
  command(CSID.OVER_STREAM, streamId, 'onFCUnpublish', 0, null, {
    code: 'NetStream.Unpublish.Success',
    description: 'Stop publishing stream.',
  });

// --- client requests -------------------------------------------------------------------------

export interface ConnectParams {
  app: string;
  tcUrl: string;
  flashVer?: string;
  swfUrl?: string;
  pageUrl?: string;
  objectEncoding?: number;
  /** more properties of the command object (a server ignores those it does not know) */
  extra?: Amf0Object;
}

export function connectCommand(transactionId: number, p: ConnectParams): RtmpMessage {
  const obj: Amf0Object = {
    app: p.app,
    flashVer: p.flashVer ?? 'LNX 9,0,124,2',
    tcUrl: p.tcUrl,
    fpad: false,
    capabilities: 15,
    audioCodecs: 4071,
    videoCodecs: 252,
    videoFunction: 1,
    objectEncoding: p.objectEncoding ?? 0,
  };
  if (p.swfUrl !== undefined) obj.swfUrl = p.swfUrl;
  if (p.pageUrl !== undefined) obj.pageUrl = p.pageUrl;
  if (p.extra) for (const [k, v] of Object.entries(p.extra)) if (!(k in obj)) obj[k] = v;
  return command(CSID.OVER_CONNECTION, 0, 'connect', transactionId, obj);
}

export const createStreamCommand = (transactionId: number) =>
  command(CSID.OVER_CONNECTION, 0, 'createStream', transactionId, null);
export const releaseStreamCommand = (transactionId: number, streamName: string) =>
  command(CSID.OVER_CONNECTION, 0, 'releaseStream', transactionId, null, streamName);
export const fcPublishCommand = (transactionId: number, streamName: string) =>
  command(CSID.OVER_CONNECTION, 0, 'FCPublish', transactionId, null, streamName);
export const fcUnpublishCommand = (transactionId: number, streamName: string) =>
  command(CSID.OVER_CONNECTION, 0, 'FCUnpublish', transactionId, null, streamName);
export const deleteStreamCommand = (transactionId: number, streamId: number) =>
  command(CSID.OVER_CONNECTION, 0, 'deleteStream', transactionId, null, streamId);
export const publishCommand = (streamId: number, streamName: string, type = 'live') =>
  command(CSID.OVER_STREAM, streamId, 'publish', 0, null, streamName, type);
/** start -2: live or recorded; -1: live only; >= 0: recorded from that position. */
export const playCommand = (streamId: number, streamName: string, start = -2, duration = -1, reset = true) =>
  command(CSID.OVER_STREAM, streamId, 'play', 0, null, streamName, start, duration, reset);

/** True for errors a hostile or broken peer can cause by what it sends. */
export function isProtocolError(err: unknown): boolean {
  return err instanceof RtmpProtocolError || err instanceof Amf0Error;
}
