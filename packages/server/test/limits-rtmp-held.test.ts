/**
 * rtmp_max_buffered_bytes: RTMP input held by all connections together is bounded. Each hostile
 * connection publishes, then sends most of three 8 MiB video messages (every chunk but the
 * last), which a ChunkDecoder holds as messages received in part: 24 MiB per connection, under
 * its own 32 MiB bound. Twelve of them would make the server hold ~290 MiB; with
 * `rtmp_max_buffered_bytes 64 MiB` the connections holding the most are closed as the sum goes
 * past it, the server stays up and a healthy HTTP-FLV player of another stream keeps advancing.
 * The server's peak RSS is printed, not asserted: what the closed connections held is garbage
 * until the collector runs, so the peak can approach what they received whatever the bound (the
 * per-connection RSS bounds are asserted in limits-memory.test).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createStreamCommand, connectCommand, publishCommand } from '../src/protocol/rtmp/commands.js';
import { encodeMessage } from '../src/protocol/rtmp/chunk-encoder.js';
import { MSG, setChunkSizeMessage } from '../src/protocol/rtmp/messages.js';
import { basicConf, ffmpegPublish, kill, sleep, startServer, waitFor, watchRss, type RunningServer } from './harness.js';
import { watchHealthyPlayer, type HealthyPlayer } from './healthy-player.js';
import { rtmpTalk, type RtmpTalk } from './raw-sockets.js';

const MiB = 1024 * 1024;
const CHUNK = 65536;
const HOSTILE = 12;

let server: RunningServer;
let healthyPublisher: ReturnType<typeof ffmpegPublish>;
let healthy: HealthyPlayer;

before(async () => {
  server = await startServer((p) => basicConf(p, '', `rtmp_max_buffered_bytes ${64 * MiB}; max_connections 200;`));
  healthyPublisher = ffmpegPublish(server.rtmpUrl('/live/healthy'), { gop: 25 });
  healthy = await watchHealthyPlayer(server.httpUrl('/live/healthy.flv'));
});

after(async () => {
  healthy?.close();
  kill(healthyPublisher);
  await server?.stop();
});

/** A publisher of `stream` that then sends every chunk but the last of three 8 MiB video messages. */
async function partialPublisher(stream: string): Promise<{ talk: RtmpTalk; closed: () => boolean }> {
  const talk = await rtmpTalk(server.ports.rtmp);
  let closed = false;
  void talk.closed.then(() => (closed = true));
  talk.send(connectCommand(1, { app: 'live', tcUrl: server.rtmpUrl('/live') }));
  await talk.waitFor((c) => c.transactionId === 1 && c.name === '_result');
  talk.send(createStreamCommand(2));
  const created = await talk.waitFor((c) => c.transactionId === 2 && c.name === '_result');
  const streamId = Number(created.args[0]);
  talk.send(publishCommand(streamId, stream));
  await talk.waitFor((c) => c.name === 'onStatus');
  talk.send(setChunkSizeMessage(CHUNK));
  for (let k = 0; k < 3 && !closed; k++) {
    const whole = encodeMessage({ typeId: MSG.VIDEO, streamId, timestamp: 0, csid: 20 + k, payload: Buffer.alloc(8 * MiB, 0x17) }, CHUNK);
    // the last chunk (a 1-byte fmt 3 header and CHUNK bytes) never comes
    if (!talk.socket.write(whole.subarray(0, whole.length - (1 + CHUNK)))) {
      await Promise.race([new Promise((r) => talk.socket.once('drain', r)), talk.closed, sleep(5000)]);
    }
  }
  return { talk, closed: () => closed };
}

test('RTMP messages received in part by many connections: past rtmp_max_buffered_bytes the largest holders are closed, the server and a healthy player go on', { timeout: 120_000 }, async (t) => {
  const rss = watchRss(server.proc.pid!);
  const hostile: Awaited<ReturnType<typeof partialPublisher>>[] = [];
  try {
    for (let i = 0; i < HOSTILE; i++) hostile.push(await partialPublisher(`partial${i}`));
    // what the server holds settles within a moment; without the bound all twelve stay (for
    // publish.firstpkt_timeout, 20 s)
    await waitFor('hostile connections over the bound closed', () => hostile.filter((h) => h.closed()).length >= HOSTILE - 3, 10_000);
    await sleep(1000);
    const open = hostile.filter((h) => !h.closed()).length;
    t.diagnostic(`${open} of ${HOSTILE} hostile connections still open; server RSS ${Math.round(rss.base / 1024)} MB -> at most ${Math.round(rss.max() / 1024)} MB`);
    assert.ok(open <= 3, `${open} hostile connections hold 24 MiB each`);
    assert.match(server.output(), /over rtmp_max_buffered_bytes \(67108864\): closing the one holding the most/);
    assert.equal(server.proc.exitCode, null, 'the server is still running');
    healthy.assertAdvancing();
  } finally {
    rss.stop();
    for (const h of hostile) h.talk.socket.destroy();
  }
  // the healthy publisher, holding little, was never the one closed
  await sleep(1500);
  healthy.assertAdvancing();
  assert.doesNotMatch(server.output(), /url=\/live\/healthy[^\n]*rtmp_max_buffered_bytes/);
});
