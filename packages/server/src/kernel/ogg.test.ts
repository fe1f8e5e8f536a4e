import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OggOpusWriter, oggPage } from './ogg.js';
import { buildOpusHead } from './opus.js';

test('Ogg pages: lacing of a 255-byte packet, header fields', () => {
  const page = oggPage(Buffer.alloc(255, 7), 960n, 5, 3);
  assert.equal(page.toString('latin1', 0, 4), 'OggS');
  assert.equal(page[26], 2, 'two lacing values: 255 then 0');
  assert.deepEqual([page[27], page[28]], [255, 0]);
  assert.equal(page.readBigInt64LE(6), 960n);
  assert.equal(page.readUInt32LE(14), 5);
  assert.equal(page.readUInt32LE(18), 3);
  assert.equal(page.length, 27 + 2 + 255);
});

test('FFmpeg reads an Ogg Opus stream written by OggOpusWriter (CRC, headers, granules)', () => {
  const w = new OggOpusWriter();
  // TOC 0xFC: CELT fullband 20 ms, mono, one frame; an empty frame is a valid (lost) frame
  const packets = Array.from({ length: 50 }, (_, i) => w.packet(Buffer.from([0xfc]), 312 + (i + 1) * 960));
  const file = join(mkdtempSync(join(tmpdir(), 'tsrs-ogg-')), 'a.opus');
  writeFileSync(file, Buffer.concat([w.start(buildOpusHead({ channels: 2, preSkip: 312 })), ...packets]));
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_streams', '-of', 'json', file], { encoding: 'utf8', timeout: 30_000 })) as {
    streams: { codec_name: string; channels: number; nb_read_packets: string }[];
  };
  assert.equal(out.streams[0].codec_name, 'opus');
  assert.equal(out.streams[0].channels, 2);
  assert.equal(Number(out.streams[0].nb_read_packets), 50);
});
