/**
 * `tsrs-bench gen`: a test FLV made with FFmpeg: H.264 (testsrc2) + AAC, constant
 * bitrate (x264 CBR with filler), fixed GOP, so every run feeds the same bytes.
 */
import { spawn } from 'node:child_process';
import { num, str, type Flags } from './args.js';

const AUDIO_KBPS = 64;

export function genArgs(out: string, o: { kbps: number; seconds: number; size: string; fps: number; gopSeconds: number }): string[] {
  const v = `${Math.max(50, o.kbps - AUDIO_KBPS)}k`;
  const gop = String(Math.round(o.fps * o.gopSeconds));
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${o.size}:rate=${o.fps}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(o.seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', '0',
    '-b:v', v, '-minrate', v, '-maxrate', v, '-bufsize', v, '-x264-params', 'nal-hrd=cbr:filler=1',
    '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2',
    '-f', 'flv', out,
  ];
}

export async function gen(flags: Flags): Promise<string> {
  const out = str(flags, 'output', 'bench.flv');
  const kbps = num(flags, 'bitrate', 500_000) / 1000;
  const args = genArgs(out, {
    kbps,
    seconds: num(flags, 'duration', 20),
    size: str(flags, 'size', '640x360'),
    fps: num(flags, 'fps', 25),
    gopSeconds: num(flags, 'gop', 2),
  });
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
  return out;
}
