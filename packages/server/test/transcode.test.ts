/**
 * SRS's transcode: a published stream gets one FFmpeg per engine that pushes `[stream]_[engine]`
 * at the engine's size; that output is not transcoded again; unpublish stops the FFmpeg within 2 s.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, clients } from './api-helpers.js';
import { alive, processes } from './processes.js';
import { basicConf, ffmpegPublish, ffprobe, kill, sleep, startServer, waitFor, type Ports } from './harness.js';

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
  const unpublished = Date.now();
  kill(pub);
  await waitFor('transcode stopped', () => !alive(procs[0].pid), 10_000, 50);
  const took = Date.now() - unpublished;
  assert.ok(took <= 2000, `the FFmpeg stopped ${took} ms after the unpublish (at most 2 s)`);
  await waitFor('unlisted', async () => (await processes(server)).length === 0, 5_000);
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

test('reload of a running transcode: a changed engine restarts at its new size (SIGHUP), a removed one stops (raw API), the publisher stays', { timeout: 180_000 }, async (t) => {
  const engine = (size: string) => TRANSCODE.replace('vwidth 320; vheight 180;', size);
  const conf = (p: Ports, extra: string) =>
    basicConf(p, extra).replace(`http_api { enabled on; listen ${p.api}; }`, `http_api { enabled on; listen ${p.api}; raw_api { enabled on; allow_reload on; } }`);
  const server = await startServer((p) => conf(p, engine('vwidth 320; vheight 180;')));
  t.after(() => server.stop());
  const pub = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '640x360' });
  t.after(() => kill(pub));
  const size = async (want: string) =>
    waitFor(`cam_ld at ${want}`, async () => {
      const probe = await ffprobe(server.httpUrl('/live/cam_ld.flv')).catch(() => undefined);
      const v = probe?.streams.find((s) => s.codec_type === 'video');
      return v && `${v.width}x${v.height}` === want ? v : undefined;
    }, 60_000, 1000);
  await size('320x180');
  const [first] = await processes(server);
  assert.equal(first.name, 'transcode /live/cam ld');
  const publisher = (await clients(server)).find((c) => c.publish && c.url.endsWith('/live/cam'));
  assert.ok(publisher);

  // a changed engine restarts on SIGHUP, at the new size
  writeFileSync(join(server.dir, 'test.conf'), conf(server.ports, engine('vwidth 256; vheight 144;')));
  server.proc.kill('SIGHUP');
  await waitFor('the old FFmpeg stopped', () => !alive(first.pid), 15_000);
  const second = await waitFor('a new FFmpeg', async () => (await processes(server)).find((p) => p.pid > 0 && p.pid !== first.pid), 15_000);
  assert.ok(second.args.includes('256x144'), second.args.join(' '));
  await size('256x144');

  // the same config again changes nothing
  const reload = async () => assert.equal((await api<{ code: number }>(server, '/api/v1/raw?rpc=reload')).json.code, 0);
  await reload();
  await sleep(2_000);
  assert.deepEqual((await processes(server)).map((p) => p.pid), [second.pid]);

  // a removed transcode stops on the raw API's reload
  writeFileSync(join(server.dir, 'test.conf'), conf(server.ports, ''));
  await reload();
  await waitFor('transcode gone', async () => (await processes(server)).length === 0 && !alive(second.pid), 15_000);
  assert.equal(pub.exitCode, null, 'the publisher goes on');
  assert.equal((await clients(server)).find((c) => c.publish && c.url.endsWith('/live/cam'))?.id, publisher.id, 'the same publisher');
});

test("transcode reads the stream it was started for: live/cam.flv is not taken for live/cam (FFmpeg's RTMP URL parsing)", { timeout: 180_000 }, async (t) => {
  const server = await startServer((p) => basicConf(p, TRANSCODE));
  t.after(() => server.stop());
  // live/cam has audio, live/cam.flv (as OBS or FFmpeg with -rtmp_playpath sends it) has none
  const cam = ffmpegPublish(server.rtmpUrl('/live/cam'), { size: '640x360' });
  t.after(() => kill(cam));
  const dotted = ffmpegPublish(server.rtmpUrl('/live/cam.flv'), { size: '480x270', audio: false, videoArgs: ['-rtmp_playpath', 'cam.flv'] });
  t.after(() => kill(dotted));
  const probe = await waitFor('cam.flv_ld plays', () => ffprobe(server.httpUrl('/live/cam.flv_ld.flv')).catch(() => undefined), 60_000, 1000);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(`${video?.width}x${video?.height}`, '320x180');
  assert.equal(probe.streams.find((s) => s.codec_type === 'audio'), undefined, 'no audio: made from live/cam.flv, not live/cam');
  const procs = await processes(server);
  const args = procs.find((p) => p.name === 'transcode /live/cam.flv ld')?.args ?? [];
  assert.equal(args[args.indexOf('-rtmp_playpath') + 1], 'cam.flv', args.join(' '));
});

test('a stream whose transcode output name would be too long gets no transcode FFmpeg (it would be refused and restarted forever)', { timeout: 120_000 }, async (t) => {
  const server = await startServer((p) => basicConf(p, TRANSCODE));
  t.after(() => server.stop());
  // 198 bytes: a name tsrs takes; with _ld it is over the 200-byte limit
  const name = 'n'.repeat(198);
  const pub = ffmpegPublish(server.rtmpUrl(`/live/${name}`), { audio: false });
  t.after(() => kill(pub));
  await waitFor('the stream is published', async () => (await clients(server)).some((c) => c.publish && c.url.endsWith(name)), 30_000);
  await waitFor('the refusal is logged', () => server.output().includes(`transcode /live/${name} ld: not started`), 15_000);
  await sleep(3_000);
  assert.deepEqual((await processes(server)).map((p) => [p.name.slice(0, 20), p.state, p.restarts]), []);
  assert.equal(pub.exitCode, null, 'the publisher goes on');
});
