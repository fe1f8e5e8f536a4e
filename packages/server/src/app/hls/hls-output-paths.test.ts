import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseConfigText } from '../../config/config.js';
import { Packet } from '../../kernel/packet.js';
import type { Logger } from '../../log.js';
import { EventBus } from '../events.js';
import { DEFAULT_SOURCE_OPTIONS, Source } from '../source.js';
import { HlsOutput } from './hls-output.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tsrs-hls-output-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A logger that keeps its warnings. */
function memoryLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const log = {
    warnings,
    warn: (obj: object, msg: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`),
    info: () => undefined,
    debug: () => undefined,
    child: () => log,
  };
  return log as unknown as Logger & { warnings: string[] };
}

/** Publishes ~5 s of AAC (no video) on a Source with these names, straight to an HlsOutput (no adapter checks). */
async function publishAudio(hlsPath: string, app: string, stream: string, fmp4 = false, extra = '') {
  const { config } = parseConfigText(`listen 1935; vhost __defaultVhost__ { hls { enabled on; hls_path ${hlsPath}; hls_fragment 1; hls_use_fmp4 ${fmp4 ? 'on' : 'off'}; ${extra} } }`);
  const view = config.getVhost('__defaultVhost__')!.hls;
  const source = new Source('__defaultVhost__', app, stream, DEFAULT_SOURCE_OPTIONS);
  const log = memoryLog();
  const output = new HlsOutput(source, { config: () => view, utcTime: () => true, bus: new EventBus(), log, onIdle: () => undefined });
  source.onMessage('audio', 0, Buffer.from([0xaf, 0x00, 0x12, 0x10])); // the AAC sequence header: the stream's audio track
  output.onPublish();
  output.onPacket(source.audioHeader!);
  for (let i = 0; i < 220; i++) output.onPacket(new Packet('audio', Math.round(i * 23.22), Buffer.from([0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c])));
  output.onUnpublish();
  await output.idle();
  return { log, output };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name).slice(dir.length + 1));
    }
  };
  walk(dir);
  return out.sort();
}

test('good names write the playlist and segments under hls_path', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'good');
  await publishAudio(root, 'live/sub', 'cam');
  const files = filesUnder(root);
  assert.ok(files.includes('live/sub/cam.m3u8'), files.join(','));
  assert.ok(files.some((f) => /^live\/sub\/cam-\d+\.ts$/.test(f)), files.join(','));
});

test('names that would leave hls_path write nothing, anywhere, and say why (even without the publish checks)', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'bad', 'hls');
  const outside = join(tmp, 'bad', 'outside');
  mkdirSync(root, { recursive: true });
  mkdirSync(outside, { recursive: true });
  for (const fmp4 of [false, true]) {
    for (const [app, stream] of [['live', '../outside/victim'], ['live', '../../outside/victim'], ['..', 'victim'], ['', 'victim'], ['live', 'a\0b'], ['live', '..']]) {
      const { log } = await publishAudio(root, app, stream, fmp4);
      assert.ok(log.warnings.some((w) => w.includes('hls: unsafe path')), `${app} ${stream}: ${log.warnings.join('\n')}`);
    }
  }
  assert.deepEqual(filesUnder(join(tmp, 'bad')), []);
});

test('a symlink inside hls_path that points outside is not written through', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'link', 'hls');
  const outside = join(tmp, 'link', 'outside');
  mkdirSync(root, { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(root, 'live'));
  const { log } = await publishAudio(root, 'live', 's');
  assert.deepEqual(readdirSync(outside), []);
  assert.ok(log.warnings.some((w) => w.includes('path outside its directory, not written')), log.warnings.join('\n'));
});

test('a segment path refused after the playlist was accepted stops HLS without throwing', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'climb', 'hls');
  mkdirSync(root, { recursive: true });
  // an operator's template whose variable part climbs: the names are fine, the path is not
  const { log } = await publishAudio(root, 'live', 's', false, 'hls_ts_file [app]/../../../x-[seq].ts;');
  assert.ok(log.warnings.some((w) => w.includes('hls: unsafe path')), log.warnings.join('\n'));
  assert.deepEqual(filesUnder(join(tmp, 'climb')), []);
});

test('hls_dispose after the stream\'s directory was removed (an operator\'s rm): the files count as gone, no error', { timeout: 10_000 }, async () => {
  const root = join(tmp, 'removed', 'hls');
  const { log, output } = await publishAudio(root, 'live', 's', false, 'hls_dispose 1;');
  rmSync(join(root, 'live'), { recursive: true, force: true });
  await new Promise((r) => setTimeout(r, 1500));
  await output.idle();
  assert.ok(!log.warnings.some((w) => /ENOENT|ENOTDIR|fail/i.test(w)), log.warnings.join('\n'));
});
