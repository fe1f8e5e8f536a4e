import type { ConsumerSink } from '../../app/consumer.js';
import type { Packet } from '../../kernel/packet.js';
import { packetChunks } from './packet-chunks.js';

/** The socket side a player sink writes to (a net.Socket). */
export interface RtmpOut {
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
  write(bytes: Uint8Array): boolean;
}

/**
 * An RTMP player's sink: each batch of packets as RTMP chunks on message stream `streamId`
 * (the chunks of a packet are made once per chunk size and shared by every player), corked
 * into one writev. Returns false when the socket is congested; nothing after it is destroyed.
 */
export function rtmpPlayerSink(out: RtmpOut, chunkSize: number, streamId: number): ConsumerSink {
  return {
    outputName: 'rtmp',
    write(packets: readonly Packet[]): boolean {
      if (out.destroyed) return true;
      out.cork();
      let ok = true;
      for (let i = 0; i < packets.length; i++) ok = out.write(packetChunks(packets[i], chunkSize, streamId));
      out.uncork();
      return ok;
    },
  };
}
