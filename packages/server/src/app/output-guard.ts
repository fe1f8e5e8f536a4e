/**
 * Outputs are isolated. Every call a Source makes into one of its outputs (HLS, DVR, the shared
 * HTTP-TS remuxer, ...) and every write into a player's sink (RTMP, HTTP-FLV/TS/AAC/MP3) goes
 * through one OutputGuard per Source. An exception there is a bug of that output, not of the
 * stream: it is counted per output (`errors`, the API's `tsrs_errors`), reported at a limited
 * rate (the first error of an output, then at most one report per `reportEveryMs` carrying how
 * many went unreported), and the output is dealt with by its policy, while the publisher and the
 * other outputs go on:
 *
 * - `detach` (the default): the output gets nothing more until the next publish; it is told the
 *   publish ended (`onUnpublish`) so it finishes what it has (a DVR file is closed and stays
 *   playable).
 * - `reopen`: the output is restarted in place (`onUnpublish` then `onPublish`): HLS with
 *   `hls_on_error continue` goes on with a new segment, after a discontinuity.
 * - `continue`: the error is counted and nothing else changes.
 * - `disconnect`: detached, and the publisher is kicked (HLS with `hls_on_error disconnect`,
 *   SRS's "require encoder republish").
 *
 * A player whose sink throws is closed (its connection ends with reason `error`); the stream's
 * other players go on. A call that throws while the guard is already handling that output's
 * error detaches it. The guard itself never throws.
 */
import type { Packet } from '../kernel/packet.js';
import type { Source, SourceOutput } from './source.js';

/** What happens to an output that threw (see the module's comment). */
export type OutputErrorAction = 'continue' | 'reopen' | 'detach' | 'disconnect';

/** The Source's call into an output that threw; `write` is a player's sink. */
/** `io`: a failure the output met later, in its own file work (see `ioFailed`). */
export type OutputStage = 'onPublish' | 'onPacket' | 'onUnpublish' | 'close' | 'write' | 'refuse' | 'io';

/** One report of an output's errors (the Hub sends it to the bus as `stream:output-error`). */
export interface OutputErrorEvent {
  source: Source;
  /**
   * the output's name: `hls`, `dvr`, `http-ts`, ... or a player sink's (`rtmp`, `http-flv`, ...);
   * `publisher` for a frame refused at the source (stage `refuse`, action `refuse-frame`)
   */
  output: string;
  stage: OutputStage;
  /** the error's message (with its stack when there is one) */
  error: string;
  /** what was done; `close-player` for a player's sink */
  action: OutputErrorAction | 'close-player' | 'refuse-frame';
  /** errors of this output on this stream so far, this one included (refused frames: refused so far) */
  count: number;
  /** errors of this output since the previous report, not reported on their own */
  unreported: number;
}

/** A player's side, as the guard sees it (a Consumer). */
export interface GuardedPlayer {
  /** the sink's output name (`rtmp`, `http-flv`, ...) */
  readonly outputName: string;
  /** stop writing to this player and end its connection */
  fail(reason: string): void;
}

/** How often an output's errors are reported at most, after the first, per stream. */
export const OUTPUT_ERROR_REPORT_MS = 10_000;

export class OutputGuard {
  /** errors per output name over the Source's life (names are the outputs' own: a fixed set) */
  readonly errors = new Map<string, number>();
  private readonly detached = new Set<SourceOutput>();
  /** outputs whose error is being handled: a throw from them now detaches them */
  private readonly handling = new Set<SourceOutput>();
  private readonly lastReport = new Map<string, { at: number; unreported: number }>();

  constructor(
    private readonly source: Source,
    private readonly hooks: {
      /** a report, at most one per output per `reportEveryMs` after its first */
      report(event: OutputErrorEvent): void;
      /** end the publisher's connection (the `disconnect` policy) */
      kickPublisher(reason: string): void;
    },
    private readonly reportEveryMs = OUTPUT_ERROR_REPORT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the output gets nothing until the next publish. */
  isDetached(output: SourceOutput): boolean {
    return this.detached.has(output);
  }

  /** A new publish: every output detached during the previous one takes part again. */
  publish(output: SourceOutput): void {
    this.detached.delete(output);
    if (!output.onPublish) return;
    try {
      output.onPublish(this.source);
    } catch (err) {
      this.failed(output, 'onPublish', err);
    }
  }

  packet(output: SourceOutput, packet: Packet): void {
    if (this.detached.has(output)) return;
    try {
      output.onPacket(packet);
    } catch (err) {
      this.failed(output, 'onPacket', err);
    }
  }

  unpublish(output: SourceOutput): void {
    if (this.detached.has(output) || !output.onUnpublish) return;
    try {
      output.onUnpublish(this.source);
    } catch (err) {
      this.failed(output, 'onUnpublish', err);
    }
  }

  /** The output is removed (or the Source goes): it closes, detached or not. */
  close(output: SourceOutput): void {
    this.detached.delete(output);
    if (!output.close) return;
    try {
      output.close();
    } catch (err) {
      this.count(output.name, 'close', err, 'detach');
    }
  }

  /**
   * A failure the output met off the Source's call, in its own asynchronous work (an HLS
   * segment or playlist that could not be written): counted and reported like a throw, then
   * handled by `action`: `continue` (or `reopen`: the output's next file starts over anyway)
   * changes nothing else, `detach` stops the output until the next publish (it is told the
   * publish ended), `disconnect` does that and kicks the publisher.
   */
  ioFailed(output: SourceOutput, err: unknown, action: OutputErrorAction): void {
    if (this.detached.has(output)) return;
    this.count(output.name, 'io', err, action);
    if (action === 'continue' || action === 'reopen') return;
    this.detached.add(output);
    try {
      if (this.source.active) output.onUnpublish?.(this.source);
    } catch (again) {
      this.count(output.name, 'onUnpublish', again, 'detach');
    }
    if (action === 'disconnect') this.hooks.kickPublisher(`${output.name} output error (on_error disconnect)`);
  }

  /** A player's sink threw: the player is closed, the stream and its other players go on. */
  playerFailed(player: GuardedPlayer, err: unknown): void {
    this.count(player.outputName, 'write', err, 'close-player');
    player.fail(`${player.outputName} output error`);
  }

  /** A malformed frame was refused at the source (counted there): reported like an output's error. */
  refused(kind: string, reason: string, count: number): void {
    this.report('publisher', 'refuse', `${kind}: ${reason}`, 'refuse-frame', count);
  }

  private failed(output: SourceOutput, stage: OutputStage, err: unknown): void {
    if (this.handling.has(output)) {
      // it threw again while its first error was handled: it sits out this publish
      this.detached.add(output);
      this.count(output.name, stage, err, 'detach');
      return;
    }
    let action: OutputErrorAction = 'detach';
    if (stage !== 'close' && output.onError) {
      try {
        action = output.onError(err);
      } catch {
        action = 'detach';
      }
    }
    this.count(output.name, stage, err, action);
    if (action === 'continue') return;
    this.handling.add(output);
    try {
      if (action === 'reopen') {
        if (stage !== 'onUnpublish') output.onUnpublish?.(this.source);
        if (this.source.active) output.onPublish?.(this.source);
      } else {
        this.detached.add(output);
        // let it finish what it has (a DVR file closed whole), unless ending was what threw
        if (stage !== 'onUnpublish' && this.source.active) output.onUnpublish?.(this.source);
        if (action === 'disconnect') this.hooks.kickPublisher(`${output.name} output error (on_error disconnect)`);
      }
    } catch (again) {
      this.detached.add(output);
      this.count(output.name, stage, again, 'detach');
    } finally {
      this.handling.delete(output);
    }
  }

  /** Count one error and report it when its output's report window allows. */
  private count(name: string, stage: OutputStage, err: unknown, action: OutputErrorEvent['action']): void {
    const count = (this.errors.get(name) ?? 0) + 1;
    this.errors.set(name, count);
    this.report(name, stage, err instanceof Error ? (err.stack ?? err.message) : String(err), action, count);
  }

  /** The first report of `name`, then at most one per `reportEveryMs`, each with what went unreported. */
  private report(name: string, stage: OutputStage, error: string, action: OutputErrorEvent['action'], count: number): void {
    const now = this.now();
    const last = this.lastReport.get(name);
    if (last && now - last.at < this.reportEveryMs) {
      last.unreported++;
      return;
    }
    const unreported = last?.unreported ?? 0;
    this.lastReport.set(name, { at: now, unreported: 0 });
    try {
      this.hooks.report({ source: this.source, output: name, stage, error, action, count, unreported });
    } catch {
      // a failing reporter must not undo the isolation
    }
  }
}
