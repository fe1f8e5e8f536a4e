/**
 * SRS's transcode: a published stream gets one FFmpeg per engine that pushes `[stream]_[engine]`
 * at the engine's size; that output is not transcoded again; unpublish stops the FFmpeg.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { alive, processes } from './processes.js';
import { basicConf, ffmpegPublish, ffprobe, kill, sleep, startServer, waitFor } from './harness.js';

const TRANSCODE = `transcode live {
    enabled on;
    ffmpeg /usr/bin/ffmpeg;
    engine ld {
      enabled on;
      vcodec libx264; vbitrate 300; vfps 25; vwidth 320; vheight 180; vprofile baseline; vpreset ultrafast; vthreads 1;
      vparams { g 25; }
      acodec libfdk_aac; abitrate 48; asample_rate 44100; achannels 2;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
  }`;

test('transcode makes stream_ENGINE at the engine size, not transcoded again, stopped on unpublish', async (t) => {
  const server = await startServer((p) => basicConf(p, TRANSCODE));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '640x360' });
  t.after(() => kill(pub));
  const probe = await waitFor('cam_ld plays', () => ffprobe(server.httpUrl('/live/cam_ld.flv')).catch(() => undefined), 60_000, 1000);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(`${video?.width}x${video?.height}`, '320x180');
  assert.equal(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
  await sleep(2000);
  const procs = await processes(server);
  assert.equal(procs.length, 1, `one FFmpeg only (cam_ld is not transcoded): ${procs.map((p) => p.name).join(', ')}`);
  assert.equal(procs[0].name, 'transcode /live/cam ld');
  assert.ok(procs[0].args.includes('aac') && !procs[0].args.includes('libfdk_aac'));
  assert.match(server.output(), /libfdk_aac/);
  kill(pub);
  await waitFor('transcode stopped', async () => (await processes(server)).length === 0 && !alive(procs[0].pid), 10_000);
});
