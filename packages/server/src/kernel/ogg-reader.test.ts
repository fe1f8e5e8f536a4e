import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { OggReader, type OggPacket } from './ogg-reader.js';
import { opusPacketSamples, parseOpusHead } from './opus.js';

/** 1 s of Opus (20 ms frames) in Ogg, from FFmpeg. */
function oggOpus(extra: string[] = []): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'libopus', '-frame_duration', '20', ...extra, '-f', 'ogg', 'pipe:1'], {
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The audio packets ffprobe counts in an Ogg stream. */
function probePackets(data: Buffer): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', 'pipe:0'], { input: data }).toString().trim());
}

function readAll(data: Buffer, chunk: number): OggPacket[] {
  const r = new OggReader();
  const out: OggPacket[] = [];
  for (let off = 0; off < data.length; off += chunk) out.push(...r.push(data.subarray(off, off + chunk)));
  return out;
}

test("FFmpeg's Ogg Opus: OpusHead, OpusTags, then the packets ffprobe counts, of 20 ms, whatever the chunking", () => {
  for (const extra of [[], ['-page_duration', '20000']]) {
    const data = oggOpus(extra);
    const expected = probePackets(data);
    assert.ok(expected >= 50);
    for (const chunk of [1, 7, 300, data.length]) {
      const packets = readAll(data, chunk);
      assert.equal(packets[0].data.toString('latin1', 0, 8), 'OpusHead');
      assert.ok(packets[0].bos);
      assert.equal(parseOpusHead(packets[0].data).channels, 1);
      assert.equal(packets[1].data.toString('latin1', 0, 8), 'OpusTags');
      const audio = packets.slice(2);
      assert.equal(audio.length, expected, `chunk ${chunk}`);
      assert.ok(audio.every((p) => opusPacketSamples(p.data) === 960));
      // the last packet of the stream carries the final granule position
      assert.ok(audio[audio.length - 1].granule >= 48000);
    }
  }
});

test('a packet of several lacing values is joined; an oversize one is dropped and counted; garbage throws', () => {
  // libopus at 512 kb/s with 120 ms frames makes packets over 255 bytes (several lacing values)
  const data = oggOpus(['-b:a', '256k', '-frame_duration', '120']);
  const packets = readAll(data, 100);
  const audio = packets.slice(2);
  assert.equal(audio.length, probePackets(data));
  assert.ok(audio.some((p) => p.data.length > 255));
  assert.ok(audio.every((p) => opusPacketSamples(p.data) === 5760));
  const small = new OggReader(200);
  const kept = small.push(data);
  assert.ok(small.dropped > 0);
  assert.ok(kept.every((p) => p.data.length <= 200));
  assert.throws(() => new OggReader().push(Buffer.alloc(64, 1)), /no page/);
});
