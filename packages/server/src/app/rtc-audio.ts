/**
 * A WebRTC publisher's Opus made AAC for RTMP, HTTP-FLV, HLS and DVR (which carry AAC; SRS's
 * rtc_to_rtmp transcodes the same way): one FFmpeg child per stream under the process supervisor,
 * restarted with its backoff when it dies.
 *
 * In: each Opus packet (RFC 7587: one per RTP packet) with its time on the stream's millisecond
 * timeline, written to FFmpeg's stdin as Ogg Opus (kernel/ogg.ts) whose granule positions follow
 * those times, so a gap (lost packets) is a gap; `aresample=async=1` fills it with silence.
 * Out: AAC-LC 48 kHz stereo in ADTS on stdout, cut into frames; frame n of a run is placed at the
 * run's first input time + n * 1024 / 48000 s (the encoder's 1024-sample priming delay is not
 * taken off: audio trails by about 21 ms). The AudioSpecificConfig of the ADTS header is sent as
 * the sequence header before the first frame of each run.
 *
 * Bounded: at most `MAX_PENDING_BYTES` may wait in the pipe to FFmpeg (more is dropped and
 * counted); stdout is parsed as it comes, a garbled header skips a byte.
 */
import type { ChildProcess } from 'node:child_process';
import { aacFrameBody, aacSequenceHeaderBody } from '../kernel/flv-build.js';
import { accessUnitsOf, type EsState } from '../kernel/mpegts-es.js';
import { OggOpusWriter, OGG_MAX_PACKET } from '../kernel/ogg.js';
import { buildOpusHead, opusPacketSamples } from '../kernel/opus.js';
import type { ProcessSupervisor, SupervisedProcess } from './process-supervisor.js';

export type AudioSink = (timestampMs: number, body: Buffer) => void;

const MAX_PENDING_BYTES = 1024 * 1024;
const OPUS_PRE_SKIP = 312;

/** FFmpeg's arguments: Ogg Opus on stdin -> AAC-LC 48 kHz stereo ADTS on stdout. */
export function opusToAacArgs(bitrateKbps = 64): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0',
    '-f', 'ogg', '-i', 'pipe:0',
    '-vn', '-af', 'aresample=async=1', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', `${bitrateKbps}k`,
    '-flush_packets', '1', '-f', 'adts', 'pipe:1',
  ];
}

export class OpusToAac {
  private proc: SupervisedProcess;
  private child: ChildProcess | undefined;
  private writer = new OggOpusWriter();
  /** the first input time of the current run (ms), undefined until its first packet */
  private runStartMs: number | undefined;
  private framesOut = 0;
  private pending = Buffer.alloc(0);
  private es: EsState = { pid: 0, codec: 'aac', droppedBytes: 0 };
  private lastConfig: Buffer | undefined;
  private closed = false;
  /** Opus packets dropped (pipe full, unparseable) and AAC frames written */
  readonly counters = { dropped: 0, frames: 0 };

  constructor(
    supervisor: ProcessSupervisor,
    ffmpeg: string,
    private readonly sink: AudioSink,
    opts: { name: string; stream: string; contextId?: string },
  ) {
    this.proc = supervisor.start({
      name: opts.name,
      command: ffmpeg,
      args: opusToAacArgs(),
      stream: opts.stream,
      contextId: opts.contextId,
      pipes: true,
      onSpawn: (child) => this.attach(child),
    });
  }

  /** One Opus packet at `ms` on the stream's timeline. */
  push(packet: Buffer, ms: number): void {
    const child = this.child;
    const stdin = child?.stdin;
    if (this.closed || !stdin || stdin.destroyed || packet.length === 0 || packet.length > OGG_MAX_PACKET) return;
    let samples: number;
    try {
      samples = opusPacketSamples(packet);
    } catch {
      this.counters.dropped++;
      return;
    }
    if (stdin.writableLength > MAX_PENDING_BYTES) {
      this.counters.dropped++;
      return;
    }
    if (this.runStartMs === undefined) {
      this.runStartMs = ms;
      stdin.write(this.writer.start(buildOpusHead({ channels: 2, preSkip: OPUS_PRE_SKIP })));
    }
    const granule = OPUS_PRE_SKIP + Math.max(0, ms - this.runStartMs) * 48 + samples;
    stdin.write(this.writer.packet(packet, granule));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.child?.stdin?.end();
    await this.proc.stop();
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    this.writer = new OggOpusWriter();
    this.runStartMs = undefined;
    this.framesOut = 0;
    this.pending = Buffer.alloc(0);
    this.lastConfig = undefined;
    child.stdin?.on('error', () => {}); // EPIPE when it dies: the supervisor restarts it
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.child === child) this.onAdts(chunk);
    });
  }

  private onAdts(chunk: Buffer): void {
    let buf: Buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let end = 0;
    // whole ADTS frames only (frame_length: 13 bits from byte 3); a byte that starts none is skipped
    while (end + 7 <= buf.length) {
      const len = ((buf[end + 3] & 3) << 11) | (buf[end + 4] << 3) | (buf[end + 5] >> 5);
      if (buf[end] !== 0xff || (buf[end + 1] & 0xf6) !== 0xf0 || len < 7) {
        if (end > 0) break; // frames so far first; the next call starts at the bad byte
        buf = buf.subarray(1);
        continue;
      }
      if (end + len > buf.length) break;
      end += len;
    }
    this.pending = Buffer.from(buf.subarray(end));
    if (end === 0 || this.runStartMs === undefined) return;
    for (const au of accessUnitsOf(this.es, buf.subarray(0, end), 0, 0)) {
      const rate = au.sampleRate ?? 48000;
      const ms = Math.round(this.runStartMs + (this.framesOut * 1024 * 1000) / rate);
      this.framesOut++;
      if (au.config && (!this.lastConfig || !au.config.equals(this.lastConfig))) {
        this.lastConfig = au.config;
        this.sink(ms, aacSequenceHeaderBody(au.config));
      }
      this.sink(ms, aacFrameBody(au.data));
      this.counters.frames++;
    }
  }
}
