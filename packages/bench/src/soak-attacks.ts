/**
 * The soak test's attack traffic, at a low rate: idle sockets, half RTMP handshakes, idle
 * HTTP-FLV requests of streams nobody publishes, bare m3u8 GETs (hls_ctx sessions that fetch no
 * segment), a hostile publisher (1 MB non-key frames), a pausing RTMP player and an RTMP
 * connect with an ~8 MB AMF object. Each counts what the server did with it.
 */
import net from 'node:net';
import { encodeAmf0 } from '@tsrs/server/dist/src/kernel/amf0.js';
import { encodeMessage } from '@tsrs/server/dist/src/protocol/rtmp/chunk-encoder.js';
import { RtmpClient } from '@tsrs/server/dist/src/protocol/rtmp/client-session.js';
import { ClientHandshake } from '@tsrs/server/dist/src/protocol/rtmp/handshake.js';
import type { SoakCtx } from './soak-load.js';

/** how long the attack sockets are held (the server may close them earlier: counted) */
const HOLD_MS = 30_000;

/**
 * A raw socket that sends `first` (maybe nothing) and then holds the connection for `holdMs`,
 * reading and dropping whatever comes. Counts `<name>.closed_by_server` when the server ends it first.
 */
function holdSocket(ctx: SoakCtx, name: string, port: number, host: string, first: Buffer | string | undefined, holdMs = HOLD_MS): void {
  ctx.count(`${name}.opened`);
  ctx.live.attack++;
  let done = false;
  const s = net.connect({ host, port });
  const finish = (byServer: boolean) => {
    if (done) return;
    done = true;
    ctx.live.attack--;
    untrack();
    clearTimeout(timer);
    if (byServer) ctx.count(`${name}.closed_by_server`);
    s.destroy();
  };
  const untrack = ctx.track(() => finish(false));
  const timer = setTimeout(() => finish(false), holdMs);
  s.on('connect', () => {
    if (first !== undefined) s.write(first);
  });
  s.on('data', () => {});
  s.on('error', () => finish(true));
  s.on('close', () => finish(true));
}

export function startAttacks(ctx: SoakCtx, healthyPath: string, scale = 1): void {
  const { rtmp, http } = ctx.target;
  let n = 0;
  // (4) sockets that connect and send nothing, on the RTMP and the HTTP port
  ctx.every('attack.idle', 6000 / scale, () => {
    holdSocket(ctx, 'attack.idle_rtmp', rtmp.port, rtmp.host, undefined);
    holdSocket(ctx, 'attack.idle_http', http.port, http.host, undefined);
  });
  // (4) half an RTMP handshake: C0 and half of C1
  ctx.every('attack.half_handshake', 6000 / scale, () => {
    const c0c1 = Buffer.alloc(1 + 1536);
    c0c1[0] = 3;
    holdSocket(ctx, 'attack.half_handshake', rtmp.port, rtmp.host, c0c1.subarray(0, 1 + 768));
  });
  // (2)(5) idle HTTP-FLV requests of streams nobody publishes (a new name each time)
  ctx.every('attack.idle_flv', 6000 / scale, () => {
    const req = `GET /live/nobody${n++}.flv HTTP/1.1\r\nHost: ${http.host}\r\nUser-Agent: tsrs-soak\r\n\r\n`;
    // held past 30 s: a server that closes players waiting for a publisher after 30 s shows here
    holdSocket(ctx, 'attack.idle_flv', http.port, http.host, req, 45_000);
  });
  // (5) plain m3u8 GETs with hls_ctx on: each makes an HLS session that never fetches a segment
  ctx.every('attack.m3u8', 3000 / scale, async () => {
    const res = await fetch(ctx.httpUrl(`${healthyPath}.m3u8`), { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    ctx.count(`attack.m3u8.http_${res.status}`);
  });
  // (3) a hostile publisher: 1 MB video frames, none of them a keyframe, for 3 s
  ctx.every('attack.hostile_publisher', 90_000 / scale, () => hostilePublisher(ctx));
  // (3) a player that pauses while the publisher goes on, for 20 s
  ctx.every('attack.pausing_player', 60_000 / scale, () => pausingPlayer(ctx, healthyPath));
  // (3) an RTMP connect carrying an ~8 MB AMF object
  ctx.every('attack.big_connect', 90_000 / scale, () => bigConnect(ctx));
}

/** 1 MB AVC inter frames (0x27: inter frame, AVC NALU), no sequence header, no keyframe. */
const HOSTILE_FRAME = (() => {
  const b = Buffer.alloc(1024 * 1024, 0x5a);
  b.set([0x27, 0x01, 0, 0, 0, 0, 0x0f, 0xff, 0xfb, 0x41], 0);
  return b;
})();

async function hostilePublisher(ctx: SoakCtx): Promise<void> {
  ctx.count('attack.hostile_publisher.attempt');
  let c: RtmpClient;
  try {
    c = await RtmpClient.connect(ctx.rtmpUrl(`/live/hostile${Math.floor(Math.random() * 4)}`), { mode: 'publish', timeoutMs: 10_000 });
  } catch (err) {
    ctx.count('attack.hostile_publisher.refused');
    return;
  }
  c.on('error', () => {});
  let closedByServer = false;
  c.on('close', () => (closedByServer = true));
  ctx.live.attack++;
  const untrack = ctx.track(() => c.destroy());
  try {
    // 4 frames a second for 3 s: 12 MB, never more than ~2 frames unsent
    for (let i = 0; i < 12 && !closedByServer && !ctx.stopping; i++) {
      c.sendMedia(9, i * 250, HOSTILE_FRAME);
      await Promise.race([c.drained(), new Promise((r) => setTimeout(r, 2000))]);
      await new Promise((r) => setTimeout(r, 250));
    }
    ctx.count(closedByServer ? 'attack.hostile_publisher.closed_by_server' : 'attack.hostile_publisher.done');
  } finally {
    ctx.live.attack--;
    untrack();
    c.destroy();
  }
}

async function pausingPlayer(ctx: SoakCtx, path: string): Promise<void> {
  ctx.count('attack.pausing_player.attempt');
  let c: RtmpClient;
  try {
    c = await RtmpClient.connect(ctx.rtmpUrl(path), { mode: 'play', timeoutMs: 10_000 });
  } catch {
    ctx.count('attack.pausing_player.failed');
    return;
  }
  c.on('error', () => {});
  let closedByServer = false;
  c.on('close', () => (closedByServer = true));
  ctx.live.attack++;
  const untrack = ctx.track(() => c.destroy());
  // pause(true, position 0) on our stream: csid 8, command message
  c.sendMessage({ typeId: 20, csid: 8, streamId: c.streamId, timestamp: 0, payload: encodeAmf0('pause', 0, null, true, 0) });
  for (let i = 0; i < 40 && !ctx.stopping && !closedByServer; i++) await new Promise((r) => setTimeout(r, 500));
  ctx.count(closedByServer ? 'attack.pausing_player.closed_by_server' : 'attack.pausing_player.done');
  ctx.live.attack--;
  untrack();
  c.destroy();
}

/** Handshake, then `connect` with an 8 MB string in its command object; held up to 15 s. */
function bigConnect(ctx: SoakCtx): Promise<void> {
  ctx.count('attack.big_connect.attempt');
  const { host, port } = ctx.target.rtmp;
  const hs = new ClientHandshake({ complex: false });
  const payload = encodeAmf0('connect', 1, { app: 'live', tcUrl: `rtmp://${host}:${port}/live`, pad: 'x'.repeat(8 * 1024 * 1024) });
  return new Promise<void>((resolve) => {
    const s = net.connect({ host, port });
    ctx.live.attack++;
    let done = false;
    let sent = false;
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      ctx.live.attack--;
      ctx.count(`attack.big_connect.${outcome}`);
      untrack();
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const untrack = ctx.track(() => finish('stopped'));
    const timer = setTimeout(() => finish(sent ? 'held_15s' : 'no_handshake'), 15_000);
    s.on('connect', () => s.write(hs.start()));
    s.on('data', (d: Buffer) => {
      if (sent) return;
      const step = hs.push(Buffer.from(d));
      if (step.out) s.write(step.out);
      if (!step.done) return;
      sent = true;
      s.write(encodeMessage({ typeId: 20, csid: 3, streamId: 0, timestamp: 0, payload }, 128));
    });
    s.on('error', () => finish(sent ? 'closed_by_server' : 'error'));
    s.on('close', () => finish(sent ? 'closed_by_server' : 'error'));
  });
}
