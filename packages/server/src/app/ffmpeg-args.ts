/**
 * The FFmpeg command line of an SRS ingest or transcode engine (SRS's SrsFFMPEG), as an argument
 * array:
 *
 *   [-re] [perfile...] -i INPUT [vfilter...] (-vcodec V [-b:v K*1000] [-r FPS] [-s WxH]
 *   [-profile:v P] [-preset P] [-threads N] [vparams...] | -vn) (-acodec A [-b:a K*1000]
 *   [-ar RATE] [-ac N] [aparams...] | -an) -f OFORMAT -y OUTPUT
 *
 * `-re` is for file inputs (read at native rate). An engine that is off (or absent) copies:
 * `-c copy`. Each `name value...;` line of perfile/vfilter/vparams/aparams becomes `-name value...`.
 * `libfdk_aac` becomes FFmpeg's built-in `aac` when this FFmpeg has no libfdk_aac.
 */
import { execFileSync } from 'node:child_process';
import type { Logger } from '../log.js';

export interface EngineConf {
  enabled: boolean;
  perfile: { name: string; args: string[] }[];
  vfilter: { name: string; args: string[] }[];
  vcodec: string | undefined;
  vbitrate: number;
  vfps: number;
  vwidth: number;
  vheight: number;
  vthreads: number;
  vprofile: string | undefined;
  vpreset: string | undefined;
  vparams: { name: string; args: string[] }[];
  acodec: string | undefined;
  abitrate: number;
  asample_rate: number;
  achannels: number;
  aparams: { name: string; args: string[] }[];
  oformat: string;
}

const flags = (lines: { name: string; args: string[] }[]): string[] => lines.flatMap((l) => [`-${l.name}`, ...l.args]);

/**
 * The argument array (without the program) for one engine; `engine` undefined or off = copy.
 * `inputArgs` go right before `-i` (options of the input, e.g. its exact RTMP app and playpath).
 */
export function ffmpegArgs(input: string, output: string, engine: EngineConf | undefined, o: { re: boolean; acodec?: (name: string) => string; inputArgs?: readonly string[] }): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
  if (o.re) args.push('-re');
  const inputArgs = o.inputArgs ?? [];
  if (!engine?.enabled) return [...args, ...inputArgs, '-i', input, '-c', 'copy', '-f', engine?.oformat ?? 'flv', '-y', output];
  args.push(...flags(engine.perfile), ...inputArgs, '-i', input, ...flags(engine.vfilter));
  if (engine.vcodec === 'vn') args.push('-vn');
  else if (engine.vcodec) {
    args.push('-vcodec', engine.vcodec);
    if (engine.vcodec !== 'copy') {
      if (engine.vbitrate > 0) args.push('-b:v', String(Math.round(engine.vbitrate * 1000)));
      if (engine.vfps > 0) args.push('-r', String(engine.vfps));
      if (engine.vwidth > 0 && engine.vheight > 0) args.push('-s', `${engine.vwidth}x${engine.vheight}`);
      if (engine.vprofile) args.push('-profile:v', engine.vprofile);
      if (engine.vpreset) args.push('-preset', engine.vpreset);
      if (engine.vthreads > 0) args.push('-threads', String(engine.vthreads));
      args.push(...flags(engine.vparams));
    }
  }
  if (engine.acodec === 'an') args.push('-an');
  else if (engine.acodec) {
    const acodec = o.acodec ? o.acodec(engine.acodec) : engine.acodec;
    args.push('-acodec', acodec);
    if (acodec !== 'copy') {
      if (engine.abitrate > 0) args.push('-b:a', String(Math.round(engine.abitrate * 1000)));
      if (engine.asample_rate > 0) args.push('-ar', String(engine.asample_rate));
      if (engine.achannels > 0) args.push('-ac', String(engine.achannels));
      args.push(...flags(engine.aparams));
    }
  }
  return [...args, '-f', engine.oformat || 'flv', '-y', output];
}

/**
 * Maps `libfdk_aac` to `aac` when `ffmpeg -encoders` of that program does not list it (Debian's
 * FFmpeg has none); logs the mapping once per program. Other names pass through.
 */
export function audioEncoderMapper(log: Logger): (ffmpeg: string) => (name: string) => string {
  const known = new Map<string, boolean>();
  return (ffmpeg) => (name) => {
    if (name !== 'libfdk_aac') return name;
    let has = known.get(ffmpeg);
    if (has === undefined) {
      try {
        has = /\blibfdk_aac\b/.test(execFileSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }));
      } catch {
        has = false;
      }
      known.set(ffmpeg, has);
      if (!has) log.warn({ ffmpeg }, `${ffmpeg} has no libfdk_aac: acodec libfdk_aac runs as FFmpeg's built-in aac`);
    }
    return has ? name : 'aac';
  };
}
