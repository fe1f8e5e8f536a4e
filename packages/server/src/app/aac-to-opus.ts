/**
 * AAC -> Opus for WebRTC players (`rtmp_to_rtc on`), once per stream: the stream's AAC frames go
 * as ADTS into one FFmpeg child (started through the ProcessSupervisor, restarted by it), which
 * answers with an Ogg Opus stream on its stdout (48 kHz, stereo, 20 ms frames, one page per
 * packet); each Opus packet comes out with its presentation time in 48 kHz ticks.
 *
 * Timing: the first AAC frame written after a (re)start fixes the base (its dts in ms, x 48);
 * the n-th Opus packet is at base + the samples decoded before it - the encoder's pre-skip
 * (RFC 7845 4.2). Bounded: frames are dropped (and counted) while more than `maxPendingBytes`
 * wait in the child's stdin.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { buildAdtsHeader, type AacConfig } from '../kernel/aac.js';
import { OggReader } from '../kernel/ogg-reader.js';
import { opusPacketSamples, parseOpusHead } from '../kernel/opus.js';
import type { Packet } from '../kernel/packet.js';
import type { Logger } from '../log.js';
import type { ProcessSupervisor, SupervisedProcess } from './process-supervisor.js';

/** One Opus packet and its presentation time (48 kHz ticks, stream time). */
export type OpusSink = (packet: Buffer, pts48k: number) => void;

export interface AacToOpusOptions {
  supervisor: ProcessSupervisor;
  /** the FFmpeg program (absolute path or a name on PATH) */
  ffmpeg: string;
  /** `vhost/app/stream` */
  stream: string;
  contextId?: string;
  log: Logger;
  /** Opus bit rate, bits/s; default 64 000 */
  bitrate?: number;
  maxPendingBytes?: number;
}

/** The FFmpeg arguments: ADTS on stdin, low-delay Ogg Opus on stdout. */
export function aacToOpusArgs(bitrate: number): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error',
    '-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer',
    '-f', 'aac', '-i', 'pipe:0',
    '-vn', '-c:a', 'libopus', '-b:a', String(bitrate), '-ar', '48000', '-ac', '2', '-frame_duration', '20',
    '-f', 'ogg', '-page_duration', '20000', '-flush_packets', '1', 'pipe:1',
  ];
}

export class AacToOpus {
  /** AAC frames dropped because the child was not keeping up (or not running) */
  dropped = 0;
  /** the stream's AudioSpecificConfig (from its sequence start); frames wait for it */
  config: AacConfig | undefined;
  /** Opus packets produced */
  produced = 0;
  private readonly proc: SupervisedProcess;
  private stdin: Writable | undefined;
  private reader = new OggReader(64 * 1024);
  private baseTicks = -1;
  private samples = 0;
  private preSkip = 0;
  private closed = false;
  private readonly maxPending: number;

  constructor(
    private readonly opts: AacToOpusOptions,
    private readonly onOpus: OpusSink,
  ) {
    this.maxPending = opts.maxPendingBytes ?? 256 * 1024;
    this.proc = opts.supervisor.start({
      name: `rtc audio ${opts.stream}`,
      command: opts.ffmpeg,
      args: aacToOpusArgs(opts.bitrate ?? 64_000),
      contextId: opts.contextId,
      stream: opts.stream,
      pipes: true,
      onSpawn: (child: ChildProcess) => {
        if (child.stdin && child.stdout) this.attach(child.stdin, child.stdout);
      },
    });
  }

  /** One AAC frame packet of the stream (sequence starts and other codecs are ignored). */
  write(packet: Packet): void {
    const frame = packet.frame;
    const aac = this.config;
    if (this.closed || !frame || frame.codec !== 'aac' || !aac) return;
    const stdin = this.stdin;
    if (!stdin || stdin.writableLength > this.maxPending) {
      this.dropped++;
      return;
    }
    if (this.baseTicks < 0) this.baseTicks = Math.round(frame.pts * 48);
    stdin.write(Buffer.concat([buildAdtsHeader(aac, frame.data.length), frame.data]));
  }

  /** A new publish (or a timestamp jump): the next frame fixes the base again. */
  resync(): void {
    this.baseTicks = -1;
    this.samples = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.proc.stop();
  }

  private attach(stdin: Writable, stdout: Readable): void {
    stdin.on('error', () => undefined); // EPIPE when the child died: its exit is handled by the supervisor
    this.stdin = stdin;
    this.reader = new OggReader(64 * 1024);
    this.resync();
    stdin.once('close', () => {
      if (this.stdin === stdin) this.stdin = undefined;
    });
    stdout.on('data', (chunk: Buffer) => {
      let packets;
      try {
        packets = this.reader.push(chunk);
      } catch (err) {
        this.opts.log.warn({ err: String(err) }, 'rtc audio: unreadable Ogg from ffmpeg; restarting it');
        stdout.destroy();
        stdin.destroy();
        return;
      }
      for (const p of packets) this.onPacket(p.data);
    });
  }

  private onPacket(data: Buffer): void {
    if (data.length >= 8 && data.toString('latin1', 0, 8) === 'OpusHead') {
      try {
        this.preSkip = parseOpusHead(data).preSkip;
      } catch {
        this.preSkip = 0;
      }
      return;
    }
    if (data.length >= 8 && data.toString('latin1', 0, 8) === 'OpusTags') return;
    let n: number;
    try {
      n = opusPacketSamples(data);
    } catch {
      return;
    }
    const base = this.baseTicks < 0 ? 0 : this.baseTicks;
    const pts = base + this.samples - this.preSkip;
    this.samples += n;
    this.produced++;
    if (pts >= 0) this.onOpus(data, pts);
  }
}
