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

const COPY_ENGINES = `transcode live {
    enabled on;
    ffmpeg /usr/bin/ffmpeg;
    engine vcopy {
      enabled on;
      vcodec copy; vwidth 320; vheight 180;
      acodec aac; abitrate 32; asample_rate 22050; achannels 1;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
    engine acopy {
      enabled on;
      vcodec libx264; vbitrate 200; vfps 25; vwidth 320; vheight 180; vpreset ultrafast; vthreads 1;
      acodec copy; asample_rate 22050;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
    engine vn {
      enabled on;
      vcodec vn;
      acodec copy;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
    engine an {
      enabled on;
      vcodec copy;
      acodec an;
      output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost];
    }
  }`;

test('transcode engines: vcodec copy and acodec copy keep that track as published, vn and an drop it (ffprobe)', { timeout: 180_000 }, async (t) => {
  const server = await startServer((p) => basicConf(p, COPY_ENGINES));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '640x360' });
  t.after(() => kill(pub));
  const tracks = async (stream: string) => {
    const probe = await waitFor(`${stream} plays`, () => ffprobe(server.httpUrl(`/live/${stream}.flv`)).catch(() => undefined), 60_000, 1000);
    return { video: probe.streams.find((s) => s.codec_type === 'video'), audio: probe.streams.find((s) => s.codec_type === 'audio') };
  };
  const vcopy = await tracks('cam_vcopy');
  assert.equal(`${vcopy.video?.codec_name} ${vcopy.video?.width}x${vcopy.video?.height}`, 'h264 640x360', 'vcodec copy: the published picture');
  assert.equal(`${vcopy.audio?.codec_name} ${vcopy.audio?.sample_rate} ${vcopy.audio?.channels}`, 'aac 22050 1', 'the audio transcoded');
  const acopy = await tracks('cam_acopy');
  assert.equal(`${acopy.video?.width}x${acopy.video?.height}`, '320x180', 'the video transcoded');
  assert.equal(`${acopy.audio?.codec_name} ${acopy.audio?.sample_rate} ${acopy.audio?.channels}`, 'aac 44100 1', 'acodec copy: the published audio');
  const vn = await tracks('cam_vn');
  assert.equal(vn.video, undefined, 'vn: no video');
  assert.equal(`${vn.audio?.codec_name} ${vn.audio?.sample_rate}`, 'aac 44100');
  const an = await tracks('cam_an');
  assert.equal(an.audio, undefined, 'an: no audio');
  assert.equal(`${an.video?.codec_name} ${an.video?.width}x${an.video?.height}`, 'h264 640x360');
});
