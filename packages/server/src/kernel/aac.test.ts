import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKernelFixture } from '../../test/fixtures/kernel-media.js';
import { CodecError } from './bit-reader.js';
import {
  parseAudioSpecificConfig, buildAudioSpecificConfig, aacProfileName, buildAdtsHeader,
  parseMp3FrameHeader,
} from './aac.js';
import { classifyAudio } from './flv-tag.js';
import { FlvDemuxer } from './flv.js';

test('AudioSpecificConfig: LC, HE (explicit SBR), HEv2, escapes', () => {
  const lc = parseAudioSpecificConfig(Buffer.from([0x12, 0x10])); // LC 44.1 kHz stereo
  assert.deepEqual(
    [lc.objectType, lc.sampleRate, lc.channelConfig, lc.channels, lc.sbr],
    [2, 44100, 2, 2, false],
  );
  assert.equal(aacProfileName(lc.objectType), 'LC');
  // HE-AAC: AOT 5, core 24 kHz (idx 6), stereo, extension 48 kHz (idx 3), core AOT 2
  const he = parseAudioSpecificConfig(Buffer.from([0x2b, 0x11, 0x88, 0x00]));
  assert.deepEqual([he.objectType, he.coreObjectType, he.sampleRate, he.extensionSampleRate, he.sbr, he.ps],
    [5, 2, 24000, 48000, true, false]);
  assert.equal(aacProfileName(he.objectType), 'HE');
  const v2 = parseAudioSpecificConfig(Buffer.from([0xeb, 0x09, 0x88, 0x00])); // AOT 29, 24 kHz mono -> 48k
  assert.deepEqual([v2.objectType, v2.ps, v2.channels, v2.extensionSampleRate], [29, true, 1, 48000]);
  assert.equal(aacProfileName(29), 'HEv2');
  assert.equal(aacProfileName(1), 'Main');
  assert.equal(aacProfileName(42), 'Other');
  // AOT escape (31 + 6 bits): 32 + 10 = 42 (USAC), explicit 24-bit rate 44100, 2 channels
  // 11111 001010 1111 <24 bits of 44100> 0010
  const bits = '11111' + '001010' + '1111' + (44100).toString(2).padStart(24, '0') + '0010';
  const bytes = Buffer.from(bits.padEnd(48, '0').match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const esc = parseAudioSpecificConfig(bytes);
  assert.deepEqual([esc.objectType, esc.samplingFrequencyIndex, esc.sampleRate, esc.channelConfig], [42, 15, 44100, 2]);
  assert.equal(parseAudioSpecificConfig(buildAudioSpecificConfig(2, 48000, 1)).sampleRate, 48000);
  assert.equal(parseAudioSpecificConfig(Buffer.from([0x13, 0xb8])).channels, 8); // config 7 -> 7.1
  assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x12])), /too short/);
  assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x16, 0x90])), /reserved samplingFrequencyIndex/);
  assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x00, 0x10])), /null/);
});

test('ADTS header fields', () => {
  const lc = parseAudioSpecificConfig(Buffer.from([0x12, 0x10]));
  const h = buildAdtsHeader(lc, 100);
  assert.equal(h.length, 7);
  assert.equal(h[0], 0xff);
  assert.equal(h[1] & 0xf6, 0xf0); // sync, MPEG-4 (ID 0), layer 0
  assert.equal(h[1] & 1, 1); // no CRC
  assert.equal(h[2] >> 6, 1); // profile LC
  assert.equal((h[2] >> 2) & 0xf, 4); // 44.1 kHz
  assert.equal(((h[2] & 1) << 2) | (h[3] >> 6), 2); // channels
  assert.equal(((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5), 107); // frame length incl. header
  // HE-AAC goes out as LC at the core rate (implicit SBR), like SRS
  const he = parseAudioSpecificConfig(Buffer.from([0x2b, 0x11, 0x88, 0x00]));
  const hh = buildAdtsHeader(he, 10);
  assert.equal(hh[2] >> 6, 1);
  assert.equal((hh[2] >> 2) & 0xf, 6);
  assert.throws(() => buildAdtsHeader(lc, 9000), CodecError);
});

test('AAC config from the FFmpeg fixture', () => {
  const flv = readKernelFixture('h264-aac-160x120.flv');
  const audio = new FlvDemuxer().push(flv).filter((t) => t.type === 8).map((t) => classifyAudio(t.body));
  assert.equal(audio[0].sequenceStart, true);
  const asc = parseAudioSpecificConfig(audio[0].data);
  assert.deepEqual([asc.objectType, asc.sampleRate, asc.channels], [2, 44100, 1]);
  assert.ok(audio.slice(1).every((a) => a.packetType === 'coded-frames' && a.data.length > 0));
});

test('MP3 frame headers', () => {
  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding, joint stereo
  const h = parseMp3FrameHeader(Buffer.from([0xff, 0xfb, 0x90, 0x64]));
  assert.deepEqual(
    [h.version, h.layer, h.bitrate, h.sampleRate, h.channels, h.samplesPerFrame, h.frameLength],
    [1, 3, 128, 44100, 2, 1152, 417],
  );
  // MPEG-2 layer III, 64 kbit/s, 22.05 kHz, padding, mono
  const m2 = parseMp3FrameHeader(Buffer.from([0, 0xff, 0xf3, 0x82, 0xc0]), 1);
  assert.deepEqual([m2.version, m2.bitrate, m2.sampleRate, m2.channels, m2.samplesPerFrame, m2.padding, m2.frameLength],
    [2, 64, 22050, 1, 576, true, 209]);
  const l2 = parseMp3FrameHeader(Buffer.from([0xff, 0xfd, 0xa4, 0x00])); // layer II 192k 48 kHz
  assert.deepEqual([l2.layer, l2.bitrate, l2.sampleRate, l2.frameLength], [2, 192, 48000, 576]);
  assert.equal(parseMp3FrameHeader(Buffer.from([0xff, 0xe3, 0x40, 0xc0])).version, 2.5);
  assert.throws(() => parseMp3FrameHeader(Buffer.from([0xff, 0x0b, 0x90, 0x64])), /sync/);
  assert.throws(() => parseMp3FrameHeader(Buffer.from([0xff, 0xfb, 0xf0, 0x64])), /bitrate/);
  assert.throws(() => parseMp3FrameHeader(Buffer.from([0xff, 0xfb, 0x9c, 0x64])), /sample rate/);
  assert.throws(() => parseMp3FrameHeader(Buffer.from([0xff, 0xfb])), /too short/);
});
