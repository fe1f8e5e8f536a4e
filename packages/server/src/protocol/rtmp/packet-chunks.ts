import type { Packet } from '../../kernel/packet.js';
import { MESSAGE_TYPE } from '../../kernel/packet.js';
import { encodeMessage } from './chunk-encoder.js';
import { CSID } from './messages.js';

const CSID_OF = { audio: CSID.AUDIO, video: CSID.VIDEO, script: CSID.OVER_STREAM } as const;

/**
 * The packet as a complete chunked RTMP message, made once and shared by every
 * RTMP player with the same out chunk size and stream id (the usual case: all of them).
 */
export function packetChunks(packet: Packet, chunkSize: number, streamId: number): Buffer {
  const key = chunkSize * 64 + streamId;
  if (packet.rtmpKey === key && packet.rtmp) return packet.rtmp;
  const buf = encodeMessage(
    { typeId: MESSAGE_TYPE[packet.kind], streamId, timestamp: packet.dts, csid: CSID_OF[packet.kind], payload: packet.body },
    chunkSize,
  );
  // Cache only the common shape; an odd player (other stream id) encodes its own.
  if (packet.rtmpKey === -1 && streamId < 64) {
    packet.rtmpKey = key;
    packet.rtmp = buf;
  }
  return buf;
}
