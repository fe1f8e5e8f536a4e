/**
 * kill -9 during DVR: the partial FLV (config plan) and fragmented MP4 (API start) are
 * readable by ffprobe up to within 2 s of the kill; after a restart in the same working dir
 * (same ./objs/tsrs.db) both recordings are closed and marked incomplete, not lost.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { basicConf, ffmpegPublish, kill, sleep, startServer, tempDir, waitFor, type Ports, type RunningServer } from './harness.js';
import { api, streams } from './api-helpers.js';

const execFileP = promisify(execFile);

interface Rec {
  id: string;
  stream: string;
  path: string;
  end: number | null;
  size: number;
  duration_ms: number;
  complete: boolean;
}

/** Seconds of video ffprobe can read from a possibly damaged file (last packet time). */
async function readableSeconds(file: string): Promise<number> {
  const r = await execFileP('ffprobe', ['-v', 'quiet', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]).catch((e) => e);
  const times = String(r.stdout ?? '').trim().split('\n').map(Number).filter(Number.isFinite);
  return times.length ? Math.max(...times) : 0;
}

const conf = (p: Ports) => basicConf(p, 'dvr { enabled on; dvr_apply live/flv; dvr_path ./objs/rec/[app]/[stream].[timestamp].flv; }');

test('kill -9 while recording: files readable to the last 2 s, rows closed incomplete after restart', async (t) => {
  const dir = tempDir('tsrs-dvr-crash-');
  let server: RunningServer = await startServer(conf, { dir });
  const flvPub = ffmpegPublish(server.rtmpUrl('/live/flv'));
  const mp4Pub = ffmpegPublish(server.rtmpUrl('/live/mp4'));
  try {
    await waitFor('published', async () => (await streams(server)).filter((s) => s.publish.active && s.video).length === 2, 15_000);
    const res = await api<{ id: string }>(server, '/api/v1/dvrs', { method: 'POST', body: JSON.stringify({ app: 'live', stream: 'mp4', action: 'start', format: 'mp4' }) });
    assert.equal(res.json.code, 0);
    const open = await waitFor('both files open', async () => {
      const d = (await api<{ dvrs: { stream: string; path: string }[] }>(server, '/api/v1/dvrs')).json.dvrs;
      return d.length === 2 && d.every((x) => x.path) && d;
    }, 5000);
    const opened = Date.now();
    await sleep(7000);
    server.proc.kill('SIGKILL');
    const recorded = (Date.now() - opened) / 1000;
    await server.stop();
    kill(flvPub);
    kill(mp4Pub);

    for (const { stream, path } of open) {
      const seconds = await readableSeconds(path);
      t.diagnostic(`${stream}: ${seconds.toFixed(2)} s readable of ${recorded.toFixed(2)} s`);
      assert.ok(seconds >= recorded - 2, `${stream}: ${seconds} s readable of ${recorded} s recorded`);
    }

    server = await startServer(conf, { dir });
    const rows = (await api<{ recordings: Rec[] }>(server, '/api/v1/recordings')).json.recordings;
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.notEqual(r.end, null, r.stream);
      assert.equal(r.complete, false, r.stream);
      assert.ok(r.size > 0 && r.duration_ms > 0, `${r.stream}: progress was booked (${r.size} B, ${r.duration_ms} ms)`);
      assert.equal(r.path, open.find((o) => o.stream === r.stream)!.path);
    }
  } finally {
    kill(flvPub);
    kill(mp4Pub);
    await server.stop();
  }
});

test('SIGTERM while recording: the file is finished and its row complete', async () => {
  const dir = tempDir('tsrs-dvr-term-');
  let server = await startServer(conf, { dir });
  const pub = ffmpegPublish(server.rtmpUrl('/live/flv'));
  try {
    const open = await waitFor('file open', async () => {
      const d = (await api<{ dvrs: { path: string }[] }>(server, '/api/v1/dvrs')).json.dvrs;
      return d[0]?.path || undefined;
    }, 15_000);
    await sleep(3000);
    assert.equal(await server.stop('SIGTERM'), 0);
    const seconds = await readableSeconds(open);
    assert.ok(seconds >= 2.5, `${seconds} s`);
    server = await startServer(conf, { dir });
    const rows = (await api<{ recordings: Rec[] }>(server, '/api/v1/recordings')).json.recordings;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].complete, true);
    assert.ok(rows[0].end !== null && rows[0].size > 0);
  } finally {
    kill(pub);
    await server.stop();
  }
});
