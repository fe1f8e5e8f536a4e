import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CodecError } from './bit-reader.js';
import { buildOpusHead, opusPacketSamples, parseOpusHead, parseOpusPacket, parseOpusToc } from './opus.js';
import { ffmpegInput, needFfmpeg, withTmp } from '../../test/fixtures/kernel-media.js';

test('OpusHead written by FFmpeg/libopus (Ogg ID header) parses', needFfmpeg, () => withTmp((dir) => {
  const file = join(dir, 'a.opus');
  const ogg = ffmpegInput(file, ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=24000:duration=0.2',
    '-ac', '2', '-c:a', 'libopus', '-f', 'ogg']);
  const at = ogg.indexOf('OpusHead');
  assert.ok(at > 0);
  const head = parseOpusHead(ogg.subarray(at, at + 19));
  assert.equal(head.version, 1);
  assert.equal(head.channels, 2);
  assert.equal(head.inputSampleRate, 24000);
  assert.equal(head.mappingFamily, 0);
  assert.ok(head.preSkip > 0 && head.preSkip < 48000, `pre-skip ${head.preSkip}`);
  assert.deepEqual(head.channelMapping, [0, 1]);
  // the same 19 bytes come back from the builder
  assert.ok(buildOpusHead(head).equals(ogg.subarray(at, at + 19)));
}));

test('OpusHead: build/parse round trip with a mapping table, and the checks', () => {
  const surround = { channels: 6, preSkip: 312, inputSampleRate: 48000, outputGain: -256, mappingFamily: 1, streamCount: 4, coupledCount: 2, channelMapping: [0, 4, 1, 2, 3, 5] };
  const b = buildOpusHead(surround);
  assert.equal(b.length, 21 + 6);
  assert.deepEqual({ ...parseOpusHead(b), version: undefined }, { ...surround, version: undefined });
  const mono = buildOpusHead({ channels: 1 });
  assert.equal(mono.toString('hex'), Buffer.concat([Buffer.from('OpusHead'), Buffer.from('0101000f80bb0000000000', 'hex')]).toString('hex'));
  const bad = (f: (x: Buffer) => void, what: string) => {
    const x = Buffer.from(b);
    f(x);
    assert.throws(() => parseOpusHead(x), CodecError, what);
  };
  bad((x) => (x[0] = 0x6f), 'magic');
  bad((x) => (x[8] = 0x10), 'major version 1');
  bad((x) => (x[9] = 0), 'no channels');
  bad((x) => (x[20] = 5), 'coupled above streams');
  bad((x) => (x[22] = 6), 'mapping beyond the decoded channels');
  assert.throws(() => parseOpusHead(b.subarray(0, 25)), CodecError, 'table truncated');
  assert.throws(() => parseOpusHead(mono.subarray(0, 18)), CodecError);
  assert.throws(() => buildOpusHead({ channels: 3 }), CodecError, 'family 0 is mono or stereo');
});

test('TOC byte: configurations of RFC 6716 Table 2', () => {
  const rows: [number, string, string, number][] = [
    [0, 'silk', 'nb', 480], [3, 'silk', 'nb', 2880], [5, 'silk', 'mb', 960], [10, 'silk', 'wb', 1920],
    [12, 'hybrid', 'swb', 480], [13, 'hybrid', 'swb', 960], [14, 'hybrid', 'fb', 480], [15, 'hybrid', 'fb', 960],
    [16, 'celt', 'nb', 120], [21, 'celt', 'wb', 240], [26, 'celt', 'swb', 480], [31, 'celt', 'fb', 960],
  ];
  for (const [config, mode, bw, samples] of rows) {
    const t = parseOpusToc((config << 3) | 4 | 2);
    assert.deepEqual([t.config, t.mode, t.bandwidth, t.frameSamples, t.stereo, t.code], [config, mode, bw, samples, true, 2], `config ${config}`);
  }
});

test('packet framing: codes 0-3, durations in 48 kHz samples, and R1-R7 violations', () => {
  const toc = (config: number, code: number) => (config << 3) | code;
  assert.equal(opusPacketSamples(Buffer.from([toc(31, 0), 1, 2, 3])), 960);
  assert.deepEqual(parseOpusPacket(Buffer.from([toc(1, 1), 1, 2, 3, 4])).frameSizes, [2, 2]);
  assert.equal(opusPacketSamples(Buffer.from([toc(1, 1), 1, 2, 3, 4])), 1920);
  assert.deepEqual(parseOpusPacket(Buffer.from([toc(16, 2), 1, 9, 8, 7])).frameSizes, [1, 2]);
  // 2-byte length: 252 + 4 * 1 = 256
  const two = Buffer.concat([Buffer.from([toc(31, 2), 252, 1]), Buffer.alloc(256 + 10)]);
  assert.deepEqual(parseOpusPacket(two).frameSizes, [256, 10]);
  // code 3 CBR, 3 frames of 2 bytes, 2 bytes of padding
  const cbr = parseOpusPacket(Buffer.from([toc(28, 3), 0x40 | 3, 2, 1, 1, 2, 2, 3, 3, 0, 0]));
  assert.deepEqual([cbr.frameCount, cbr.frameSizes, cbr.samples], [3, [2, 2, 2], 3 * 120]);
  // code 3 VBR, 2 frames: 1 + rest
  assert.deepEqual(parseOpusPacket(Buffer.from([toc(31, 3), 0x80 | 2, 1, 5, 6, 7])).frameSizes, [1, 2]);
  // 6 x 20 ms = 120 ms is the most a packet can hold
  assert.equal(opusPacketSamples(Buffer.from([toc(31, 3), 6])), 5760);
  const bad: [number[], string][] = [
    [[], 'R1 empty'], [[toc(1, 1), 1, 2, 3], 'R3 odd code 1'], [[toc(1, 2), 5, 1], 'R4 first frame too long'],
    [[toc(1, 3)], 'R6 no count byte'], [[toc(1, 3), 0], 'R5 no frames'], [[toc(31, 3), 7], 'R5 over 120 ms'],
    [[toc(31, 3), 3, 1, 1], 'R6 CBR not divisible'], [[toc(31, 3), 0x80 | 3, 9, 9, 1], 'R7 lengths exceed'],
    [[toc(31, 3), 0x40 | 1, 255], 'padding truncated'], [[toc(31, 2), 253], '2-byte length truncated'],
  ];
  for (const [b, what] of bad) assert.throws(() => parseOpusPacket(Buffer.from(b)), CodecError, what);
  assert.throws(() => parseOpusPacket(Buffer.alloc(1300, toc(31, 0))), CodecError, 'R2 frame over 1275 bytes');
});
