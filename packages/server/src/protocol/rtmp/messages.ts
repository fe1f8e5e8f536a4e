/**
 * RTMP message types, chunk stream ids, protocol control and user control messages,
 * and the aggregate message splitter (Adobe RTMP spec 5.4, 6.2, 7.1.6, 7.1.7).
 */

/** A complete RTMP message as it leaves the chunk decoder or enters the chunk encoder. */
export interface RtmpMessage {
  typeId: number;
  /** message stream id (0 for the NetConnection, 1.. for NetStreams) */
  streamId: number;
  /** absolute timestamp in ms, uint32 as on the wire */
  timestamp: number;
  /** chunk stream id the message arrived on / should be sent on (2..65599) */
  csid: number;
  payload: Buffer;
}

/** Thrown for any malformed RTMP input (handshake, chunking, messages, commands). */
export class RtmpProtocolError extends Error {
  override name = 'RtmpProtocolError';
}

export const MSG = {
  SET_CHUNK_SIZE: 1,
  ABORT: 2,
  ACK: 3,
  USER_CONTROL: 4,
  WINDOW_ACK_SIZE: 5,
  SET_PEER_BANDWIDTH: 6,
  AUDIO: 8,
  VIDEO: 9,
  AMF3_DATA: 15,
  AMF3_SHARED_OBJECT: 16,
  AMF3_COMMAND: 17,
  AMF0_DATA: 18,
  AMF0_SHARED_OBJECT: 19,
  AMF0_COMMAND: 20,
  AGGREGATE: 22,
} as const;

/** Chunk stream ids, the same choices SRS makes. */
export const CSID = {
  PROTOCOL_CONTROL: 2,
  OVER_CONNECTION: 3,
  OVER_CONNECTION2: 4,
  OVER_STREAM: 5,
  VIDEO: 6,
  AUDIO: 7,
  OVER_STREAM2: 8,
} as const;

/** User control event types (spec 7.1.7). */
export const USER_CONTROL = {
  STREAM_BEGIN: 0,
  STREAM_EOF: 1,
  STREAM_DRY: 2,
  SET_BUFFER_LENGTH: 3,
  STREAM_IS_RECORDED: 4,
  PING_REQUEST: 6,
  PING_RESPONSE: 7,
} as const;

/** Set Peer Bandwidth limit types. */
export const PEER_BANDWIDTH = { HARD: 0, SOFT: 1, DYNAMIC: 2 } as const;

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { typeId, streamId: 0, timestamp: 0, csid: CSID.PROTOCOL_CONTROL, payload };
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

export function setChunkSizeMessage(size: number): RtmpMessage {
  return control(MSG.SET_CHUNK_SIZE, u32(size & 0x7fffffff));
}

export function abortMessage(csid: number): RtmpMessage {
  return control(MSG.ABORT, u32(csid));
}

export function ackMessage(sequence: number): RtmpMessage {
  return control(MSG.ACK, u32(sequence));
}

export function windowAckSizeMessage(size: number): RtmpMessage {
  return control(MSG.WINDOW_ACK_SIZE, u32(size));
}

export function setPeerBandwidthMessage(size: number, limitType: number = PEER_BANDWIDTH.DYNAMIC): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limitType;
  return control(MSG.SET_PEER_BANDWIDTH, b);
}

/** Reads the uint32 body of set chunk size / abort / ack / window ack size. */
export function readU32Payload(msg: RtmpMessage): number {
  if (msg.payload.length < 4) {
    throw new RtmpProtocolError(`message type ${msg.typeId} needs 4 bytes, got ${msg.payload.length}`);
  }
  return msg.payload.readUInt32BE(0);
}

// --- user control events ---------------------------------------------------------------------

function userControl(event: number, a: number, b?: number): RtmpMessage {
  const p = Buffer.allocUnsafe(b === undefined ? 6 : 10);
  p.writeUInt16BE(event, 0);
  p.writeUInt32BE(a >>> 0, 2);
  if (b !== undefined) p.writeUInt32BE(b >>> 0, 6);
  return control(MSG.USER_CONTROL, p);
}

export const streamBegin = (streamId: number) => userControl(USER_CONTROL.STREAM_BEGIN, streamId);
export const streamEof = (streamId: number) => userControl(USER_CONTROL.STREAM_EOF, streamId);
export const streamDry = (streamId: number) => userControl(USER_CONTROL.STREAM_DRY, streamId);
export const streamIsRecorded = (streamId: number) => userControl(USER_CONTROL.STREAM_IS_RECORDED, streamId);
export const setBufferLength = (streamId: number, ms: number) =>
  userControl(USER_CONTROL.SET_BUFFER_LENGTH, streamId, ms);
export const pingRequest = (timestamp: number) => userControl(USER_CONTROL.PING_REQUEST, timestamp);
export const pingResponse = (timestamp: number) => userControl(USER_CONTROL.PING_RESPONSE, timestamp);

export type UserControlEvent =
  | { event: 0 | 1 | 2 | 4; streamId: number }
  | { event: 3; streamId: number; bufferLength: number }
  | { event: 6 | 7; timestamp: number }
  | { event: number; data: Buffer };

export function parseUserControl(payload: Buffer): UserControlEvent {
  if (payload.length < 2) throw new RtmpProtocolError('user control message shorter than 2 bytes');
  const event = payload.readUInt16BE(0);
  const need = event === USER_CONTROL.SET_BUFFER_LENGTH ? 10 : 6;
  const known = event <= 7 && event !== 5;
  if (known && payload.length < need) {
    throw new RtmpProtocolError(`user control event ${event} needs ${need} bytes, got ${payload.length}`);
  }
  switch (event) {
    case 0:
    case 1:
    case 2:
    case 4:
      return { event, streamId: payload.readUInt32BE(2) };
    case 3:
      return { event, streamId: payload.readUInt32BE(2), bufferLength: payload.readUInt32BE(6) };
    case 6:
    case 7:
      return { event, timestamp: payload.readUInt32BE(2) };
    default:
      return { event, data: payload.subarray(2) };
  }
}

// --- aggregate messages ----------------------------------------------------------------------

/**
 * Splits an aggregate message (type 22) into its sub-messages. Each sub-message is an
 * FLV tag: type(1) size(3) timestamp(3) timestampExtended(1) streamId(3) body(size) backPointer(4).
 * Timestamps are rebased so the first sub-message gets the aggregate's timestamp.
 * Bodies are subarrays of the aggregate's payload (no copy).
 */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const p = msg.payload;
  const out: RtmpMessage[] = [];
  let off = 0;
  let base = -1;
  while (off < p.length) {
    if (p.length - off < 11) throw new RtmpProtocolError('aggregate: truncated sub-message header');
    const typeId = p[off];
    const size = p.readUIntBE(off + 1, 3);
    const ts = (p.readUIntBE(off + 4, 3) | (p[off + 7] << 24)) >>> 0;
    off += 11;
    if (p.length - off < size) throw new RtmpProtocolError('aggregate: sub-message body exceeds the payload');
    if (base < 0) base = ts;
    out.push({
      typeId,
      streamId: msg.streamId,
      timestamp: (msg.timestamp + (ts - base)) >>> 0,
      csid: msg.csid,
      payload: p.subarray(off, off + size),
    });
    off += size;
    // The back pointer is optional at the very end; some muxers omit it.
    off += Math.min(4, p.length - off);
  }
  return out;
}
