/**
 * Fuzz target that needs the real WebRTC server: SDP offers (a browser's publish and play
 * offers, mutated line by line and byte by byte) into WHIP, WHEP and SRS's `/rtc/v1/publish/`
 * and `/rtc/v1/play/`. A stream is published over RTMP (FFmpeg) for the whole run, so play
 * offers reach the SDP parsing and the answer, not only the "no such stream" refusal.
 *
 * Invariants: every answer comes within 5 s and is a 201 with an SDP answer (WHIP/WHEP), an
 * SRS JSON `{code}` (the JSON routes), or a 4xx/503 JSON `{code, msg}`; never a 500 or a
 * failed handler (code 1000); no JavaScript runtime error in the server's log; the server stays
 * up and its memory bounded. Every session an offer opened is ended again (DELETE of its
 * Location; the JSON routes' sessions time out unconnected), so they do not pile up.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { basicConf, ffmpegPublish, freePort, kill, startServer, waitFor, type RunningServer } from '../harness.js';
import type { FuzzTarget } from './fuzz-helper.js';
import { assertNoRuntimeError, assertServerHealthy, rssOf } from './running-server.js';

interface RtcCtx {
  server: RunningServer;
  publisher: ChildProcess;
  rss0: number;
  n: number;
}

/** A browser-shaped offer (RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8839 ICE): H.264 + Opus, one transport. */
function offer(direction: 'sendonly' | 'recvonly'): string {
  const media = (kind: 'audio' | 'video', mid: string, pts: string, lines: string[]) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pts}`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0',
    'a=ice-ufrag:Fz3a',
    'a=ice-pwd:r1Xv0lF2cPq8Yw3nU7tKd9Bz',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF',
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    `a=${direction}`,
    'a=msid:- t0',
    'a=rtcp-mux',
    ...lines,
    'a=ssrc:11111111 cname:fuzz',
  ];
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    ...media('audio', '0', '111', ['a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1']),
    ...media('video', '1', '102 103', [
      'a=rtcp-rsize',
      'a=rtpmap:102 H264/90000',
      'a=rtcp-fb:102 nack',
      'a=rtcp-fb:102 nack pli',
      'a=rtcp-fb:102 transport-cc',
      'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      'a=rtpmap:103 rtx/90000',
      'a=fmtp:103 apt=102',
    ]),
    '',
  ].join('\r\n');
}

const SEEDS = [offer('sendonly'), offer('recvonly')];
const HOSTILE = ['', ' ', '-1', '0', '4294967296', '99999999999999999999', 'x'.repeat(3000), '%00', '\u0000', '\u00ff', '::', '../../etc/passwd', 'NaN', ':', '/', '='];

/** An offer with whole lines dropped, duplicated, swapped or given hostile values. */
const lineMutation: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.constantFrom('drop', 'dup', 'swap', 'value', 'insert'), fc.nat(), fc.nat(), fc.constantFrom(...HOSTILE)), { minLength: 1, maxLength: 6 }),
  )
  .map(([seed, ops]) => {
    const lines = seed.split('\r\n');
    for (const [op, a, b, v] of ops) {
      if (!lines.length) break;
      const i = a % lines.length;
      const j = b % lines.length;
      if (op === 'drop') lines.splice(i, 1);
      else if (op === 'dup') lines.splice(i, 0, ...Array.from({ length: 1 + (b % 40) }, () => lines[i]));
      else if (op === 'swap') [lines[i], lines[j]] = [lines[j], lines[i]];
      else if (op === 'insert') lines.splice(i, 0, `a=${v}`, `m=video ${v} UDP/TLS/RTP/SAVPF ${v}`);
      else {
        // a value replaced: after the type ("a=", "m=") or after a ':' or a space
        const cuts = [...lines[i].matchAll(/[:= ]/g)].map((m) => m.index! + 1);
        const at = cuts.length ? cuts[b % cuts.length] : 0;
        const end = lines[i].slice(at).search(/[ /;]/);
        lines[i] = lines[i].slice(0, at) + v + (end < 0 ? '' : lines[i].slice(at + end));
      }
    }
    // an even number of operations: bare LF line ends, as some clients send
    return Buffer.from(lines.join(ops.length % 2 === 0 ? '\n' : '\r\n'));
  });

async function setup(): Promise<RtcCtx> {
  const udp = await freePort();
  const server = await startServer((p) =>
    basicConf(
      p,
      'rtc { enabled on; rtmp_to_rtc on; rtc_to_rtmp on; }',
      `rtc_server { enabled on; listen ${udp}; candidate 127.0.0.1; max_pending_sessions_per_ip 0; }`,
    ),
  );
  const publisher = ffmpegPublish(server.rtmpUrl('/live/fuzz'), { size: '160x120', rate: 10, gop: 10 });
  await waitFor('the RTMP stream is published', async () => {
    const res = await fetch(server.apiUrl('/api/v1/streams/')).catch(() => undefined);
    const body = res && ((await res.json()) as { streams?: { name: string; publish?: { active: boolean } }[] });
    return body?.streams?.some((s) => s.name === 'fuzz' && s.publish?.active);
  }, 20_000);
  return { server, publisher, rss0: rssOf(server.proc.pid!), n: 0 };
}

async function teardown(ctx: RtcCtx): Promise<void> {
  try {
    await assertServerHealthy(ctx.server, ctx.rss0);
  } finally {
    kill(ctx.publisher);
    await ctx.server.stop();
  }
}

/** Checks one answer; returns the Location of a 201 (to end its session). */
async function check(res: Response, where: string, srsJson: boolean): Promise<string | undefined> {
  const text = await res.text();
  assert.notEqual(res.status, 500, `${where}: 500\n${text.slice(0, 300)}`);
  if (res.status === 201 && !srsJson) {
    assert.match(text, /^v=0\r?\n/, `${where}: a 201 without an SDP answer`);
    const loc = res.headers.get('location');
    assert.ok(loc, `${where}: a 201 without a Location`);
    return loc;
  }
  assert.ok(srsJson ? res.status === 200 || (res.status >= 400 && res.status < 500) : (res.status >= 400 && res.status < 500) || res.status === 503, `${where}: HTTP ${res.status}`);
  const body = JSON.parse(text) as { code?: unknown };
  assert.equal(typeof body.code, 'number', `${where}: ${text.slice(0, 200)}`);
  assert.notEqual(body.code, 1000, `${where}: the handler failed`);
  return undefined;
}

export const rtcOfferTarget: FuzzTarget<RtcCtx> = {
  name: 'rtc-offer',
  description: 'SDP offers into WHIP, WHEP and /rtc/v1/publish|play/: an answer or a 4xx JSON, never a 500 or a runtime error, server stays up',
  errors: [],
  text: true,
  maxMs: 12_000,
  ciRuns: 60,
  maxRandomLength: 3000,
  maxRetainedBytes: () => 64 * 1024 * 1024,
  seeds: () => SEEDS.map((s) => Buffer.from(s)),
  generators: () => [lineMutation],
  setup,
  teardown,
  async run(input, ctx) {
    const { server } = ctx;
    assert.equal(server.proc.exitCode, null, `the server died:\n${server.output().slice(-2000)}`);
    const before = server.output().length;
    const sdp = input.toString('utf8');
    const n = ++ctx.n;
    const post = (path: string, body: string, type: string) =>
      fetch(server.apiUrl(path), { method: 'POST', body, headers: { 'Content-Type': type }, signal: AbortSignal.timeout(5000) });
    const ends: string[] = [];
    const whipLoc = await check(await post(`/rtc/v1/whip/?app=live&stream=fz${n}`, sdp, 'application/sdp'), 'WHIP', false);
    if (whipLoc) ends.push(whipLoc);
    const whepLoc = await check(await post('/rtc/v1/whep/?app=live&stream=fuzz', sdp, 'application/sdp'), 'WHEP', false);
    if (whepLoc) ends.push(whepLoc);
    for (const [api, stream] of [['publish', `fj${n}`], ['play', 'fuzz']]) {
      const body = JSON.stringify({ api: `http://127.0.0.1/rtc/v1/${api}/`, tid: 'fz', streamurl: `webrtc://127.0.0.1/live/${stream}`, clientip: null, sdp });
      await check(await post(`/rtc/v1/${api}/`, body, 'application/json'), `/rtc/v1/${api}/`, true);
    }
    for (const loc of ends) {
      const res = await fetch(server.apiUrl(loc), { method: 'DELETE', signal: AbortSignal.timeout(5000) });
      await res.text();
      assert.equal(res.status, 200, `DELETE ${loc}: ${res.status}`);
    }
    await new Promise((r) => setTimeout(r, 5));
    assertNoRuntimeError(server, before);
    return undefined;
  },
};

export const RTC_TARGETS = [rtcOfferTarget] as FuzzTarget<never>[];
