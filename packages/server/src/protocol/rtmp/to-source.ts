import type { PacketKind } from '../../kernel/packet.js';
import { MSG } from './messages.js';

/** The packet kind of an RTMP media message type (8 audio, 9 video, 18/15 data). */
export function packetKindOf(typeId: number): PacketKind {
  return typeId === MSG.AUDIO ? 'audio' : typeId === MSG.VIDEO ? 'video' : 'script';
}
