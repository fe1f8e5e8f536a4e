/**
 * Remakes the seed files of the fuzz corpora (`packages/server/fuzz-corpus/<target>/seed-*`)
 * from real inputs: the bytes FFmpeg sends when it publishes and plays over RTMP (captured
 * by a tsrs ServerSession on a loopback port), the AMF0 commands in them, the committed FLV
 * fixture and its codec headers, an x265 stream, and the repository's srs.conf files.
 *
 *   npm run build -w @tsrs/server && node packages/server/dist/test/fuzz/make-seeds.js
 *
 * Crash inputs (`crash-*`, `slow-*`, `memory-*`, `hang-*`) are never touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FlvDemuxer, FlvTagType } from '../../src/kernel/flv.js';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.js';
import { MSG } from '../../src/protocol/rtmp/messages.js';
import { ServerSession } from '../../src/protocol/rtmp/server-session.js';
import { HANDSHAKE_SIZE } from '../../src/protocol/rtmp/handshake.js';
import { parseAvcConfig } from '../../src/kernel/avc.js';
import { classifyVideo } from '../../src/kernel/flv-tag.js';
import { nalusToAnnexB } from '../../src/kernel/annexb.js';
import { TsDemuxer } from '../../src/kernel/mpegts-demux.js';
import { hevcPackets, readKernelFixture, withTmp } from '../fixtures/kernel-media.js';
import { repoRoot } from '../paths.js';
import { corpusDir } from './fuzz-helper.js';

const seeds = new Map<string, Map<string, Buffer>>();
function seed(target: string, name: string, data: Buffer): void {
  if (!seeds.has(target)) seeds.set(target, new Map());
  seeds.get(target)!.set(`seed-${name}`, Buffer.from(data));
}

/** What an FFmpeg client sends to a tsrs ServerSession that accepts everything (first `limit` bytes). */
async function capture(args: (url: string) => string[], limit: number, ms: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  const server = createServer((sock) => {
    const session = new ServerSession(
      { onPublish: () => {}, onPlay: () => {}, onConnect: () => {} },
      { send: (b) => sock.write(b), end: () => sock.end() },
    );
    sock.on('data', (d: Buffer) => {
      if (size < limit) {
        parts.push(d);
        size += d.length;
      }
      session.push(d);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const proc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'quiet', ...args(`rtmp://127.0.0.1:${port}/live/livestream?token=x`)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, ms));
  proc.kill('SIGKILL');
  server.close();
  return Buffer.concat(parts).subarray(0, limit);
}

async function main(): Promise<void> {
  const fixtureFile = new URL('../../../src/kernel/testdata/h264-aac-160x120.flv', import.meta.url);
  const flv = readKernelFixture('h264-aac-160x120.flv');

  // RTMP: FFmpeg publishing the fixture, FFmpeg playing.
  const publish = await capture((url) => ['-re', '-i', fixtureFile.pathname, '-c', 'copy', '-f', 'flv', url], 12_000, 2500);
  const play = await capture((url) => ['-i', url, '-t', '1', '-f', 'null', '-'], 6_000, 1500);
  const hs = 1 + 2 * HANDSHAKE_SIZE;
  if (publish.length < hs + 100 || play.length < hs + 50) throw new Error(`capture too short: ${publish.length} / ${play.length}`);
  seed('session', 'ffmpeg-publish', publish);
  seed('session', 'ffmpeg-play', play);
  seed('handshake', 'ffmpeg-c0c1c2', publish.subarray(0, hs));
  seed('chunk-stream', 'ffmpeg-publish', publish.subarray(hs));
  seed('chunk-stream', 'ffmpeg-play', play.subarray(hs));

  // AMF0: the command and data payloads FFmpeg sent.
  let n = 0;
  for (const stream of [publish.subarray(hs), play.subarray(hs)]) {
    const d = new ChunkDecoder();
    d.push(stream);
    try {
      for (let m = d.next(); m; m = d.next()) {
        if (m.typeId === MSG.AMF0_COMMAND || m.typeId === MSG.AMF0_DATA) seed('amf0', `ffmpeg-${String(++n).padStart(2, '0')}`, m.payload);
      }
    } catch {
      // a capture cut inside a message
    }
  }

  // FLV and what parses its tags.
  seed('flv', 'h264-aac-160x120', flv);
  seed('mpegts', 'h264-aac-160x120', flv);
  seed('mp4-export', 'h264-aac-160x120', flv);
  const tags = new FlvDemuxer().push(flv);
  const video = tags.filter((t) => t.type === FlvTagType.Video);
  const audio = tags.filter((t) => t.type === FlvTagType.Audio);
  seed('avc', 'video-sequence-header', video[0].body);
  seed('avc', 'video-keyframe', video[1].body.subarray(0, 4096));
  seed('avc', 'video-inter', video[2].body.subarray(0, 4096));
  const rec = classifyVideo(video[0].body).data;
  seed('avc', 'avcc', rec);
  seed('aac', 'audio-sequence-header', audio[0].body);
  seed('aac', 'audio-raw', audio[1].body);
  seed('aac', 'mp3-header', Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64]));
  // the classifier: FFmpeg's bodies as published (frames cut short)
  seed('flv-tag', 'ffmpeg-avc-sequence-header', video[0].body);
  seed('flv-tag', 'ffmpeg-avc-keyframe', video[1].body.subarray(0, 512));
  seed('flv-tag', 'ffmpeg-aac-sequence-header', audio[0].body);
  seed('flv-tag', 'ffmpeg-aac-raw', audio[1].body);
  withTmp((dir) => {
    const ps = hevcPackets(dir, 2);
    seed('hevc', 'hvc1-sequence-header', ps[0].body);
    seed('hevc', 'hvc1-keyframe', ps[1].body.subarray(0, 4096));
    seed('flv-tag', 'x265-hvc1-sequence-start', ps[0].body);
    seed('flv-tag', 'x265-hvc1-keyframe', ps[1].body.subarray(0, 512));
  });

  // the kernel's parsers of outside bytes: FFmpeg-made MPEG-TS, Annex B, Opus
  withTmp((dir) => {
    const ts = (name: string, args: string[]) => {
      const file = join(dir, `${name}.ts`);
      const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
        '-t', '0.3', '-pix_fmt', 'yuv420p', ...args, '-f', 'mpegts', file]);
      if (r.status !== 0) throw new Error(r.stderr.toString());
      return readFileSync(file);
    };
    seed('mpegts-demux', 'h264-aac', ts('a', ['-c:v', 'libx264', '-bf', '2', '-c:a', 'aac']));
    seed('mpegts-demux', 'h265-mp3', ts('b', ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-c:a', 'libmp3lame']));
    const opusTs = ts('c', ['-vn', '-c:a', 'libopus', '-ac', '2']);
    seed('mpegts-demux', 'opus', opusTs);
    const d = new TsDemuxer();
    const units = [...d.push(opusTs), ...d.end()];
    seed('opus', 'ts-opushead', units[0].config!);
    units.slice(0, 3).forEach((u, i) => seed('opus', `packet-${i + 1}`, u.data));
    const video = new TsDemuxer().push(ts('d', ['-an', '-c:v', 'libx264']));
    seed('annexb', 'h264-keyframe', video[0].data.subarray(0, 2048));
  });
  seed('annexb', 'fixture-parameter-sets', nalusToAnnexB([...parseAvcConfig(rec).sps, ...parseAvcConfig(rec).pps]));

  // srs.conf: the repository's configs.
  const conf = join(repoRoot(), 'conf');
  for (const f of readdirSync(conf).filter((f) => f.endsWith('.conf'))) seed('config', f.replace(/\.conf$/, ''), readFileSync(join(conf, f)));

  // text targets: their built-in seeds, as files beside the others
  const { TEXT_TARGETS } = await import('./targets-text.js');
  const { SERVER_TARGETS } = await import('./targets-server.js');
  const { rtmpUrlTarget } = await import('./targets-rtmp.js');
  for (const t of [...TEXT_TARGETS, ...SERVER_TARGETS, rtmpUrlTarget]) {
    (t.seeds?.() ?? []).forEach((b, i) => seed(t.name, `${String(i + 1).padStart(2, '0')}`, b));
  }

  const { KERNEL_TARGETS } = await import('./targets-kernel.js');
  for (const t of KERNEL_TARGETS) (t.seeds?.() ?? []).forEach((b, i) => seed(t.name, `${String(i + 1).padStart(2, '0')}`, b));

  for (const [target, files] of seeds) {
    const dir = corpusDir(target);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.startsWith('seed-')) rmSync(join(dir, f));
    for (const [name, data] of files) writeFileSync(join(dir, name), data);
    console.log(`${target}: ${files.size} seeds`);
  }
}

await main();
