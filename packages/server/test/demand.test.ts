/**
 * demand / idle: players of a stream nobody publishes wait for it, and the hub announces
 * `stream:demand` (RTMP play, HTTP-FLV, an HLS playlist not written yet) and `stream:idle`
 * (the last player left); the server logs both at debug (srs_log_level info).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { basicConf, exitOf, ffmpegPublish, kill, sleep, startServer, waitFor } from './harness.js';
import { playFlv } from './http-players.js';

interface LogLine {
  cid: string;
  url?: string;
  param?: string;
  players?: number;
}

/** The server's lines `[time][Level][pid][cid] MSG key=value ...` with this message. */
function logLines(out: string, msg: string): LogLine[] {
  const lines: LogLine[] = [];
  const re = new RegExp(`\\]\\[([^\\]]*)\\] ${msg}( .*)?$`);
  for (const l of out.split('\n')) {
    const m = re.exec(l);
    if (!m) continue;
    const line: LogLine = { cid: m[1] };
    for (const [, k, v] of (m[2] ?? '').matchAll(/ (\w+)=(\S*)/g)) {
      if (k === 'url' || k === 'param') line[k] = v;
      if (k === 'players') line.players = Number(v);
    }
    lines.push(line);
  }
  return lines;
}

test('players of an absent stream wait and announce demand; the publisher serves them; the last one leaving announces idle', { timeout: 120_000 }, async (t) => {
  const server = await startServer((p) => basicConf(p, 'hls { enabled on; hls_fragment 1; hls_window 5; hls_path ./html; hls_ctx off; } play { waiting_timeout 60; }', 'srs_log_level info;'));
  t.after(() => server.stop());
  const demands = () => logLines(server.output(), 'stream demand').filter((l) => l.url === '__defaultVhost__/live/od');

  const rtmpPlayer = spawn('ffmpeg', ['-v', 'error', '-i', server.rtmpUrl('/live/od?token=abc'), '-t', '2', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => kill(rtmpPlayer));
  const first = await waitFor('demand of the RTMP player', () => demands()[0], 20_000);
  assert.equal(first.param, '?token=abc');
  assert.equal(first.players, 1);
  assert.notEqual(first.cid, '-');

  const flv = await playFlv(server.httpUrl('/live/od.flv?k=1'));
  t.after(() => flv.close());
  assert.equal(flv.status, 200);
  const second = await waitFor('demand of the HTTP-FLV player', () => demands()[1], 20_000);
  assert.equal(second.param, '?k=1');
  assert.equal(second.players, 2);

  const res = await fetch(server.httpUrl('/live/od.m3u8?hls=1'));
  assert.equal(res.status, 404);
  const third = await waitFor('demand of the HLS request', () => demands()[2], 20_000);
  assert.equal(third.param, '?hls=1');
  assert.equal(third.cid, '-');
  assert.equal(third.players, 2);

  // they wait: nobody is closed while nothing is published
  await sleep(2_000);
  assert.equal(flv.closed, false);
  assert.equal(rtmpPlayer.exitCode, null);
  assert.equal(logLines(server.output(), 'stream idle').length, 0);

  const pub = ffmpegPublish(server.rtmpUrl('/live/od'));
  t.after(() => kill(pub));
  await waitFor('the HTTP-FLV player gets video', () => flv.videoTags > 10, 30_000);
  assert.equal(await exitOf(rtmpPlayer, 60_000), 0, 'the RTMP player played 2 s');
  assert.equal(logLines(server.output(), 'stream idle').length, 0, 'a player is left');
  flv.close();
  const idle = await waitFor('idle', () => logLines(server.output(), 'stream idle')[0], 20_000);
  assert.equal(idle.url, '__defaultVhost__/live/od');
  assert.equal(demands().length, 3, 'no demand while published');
});
