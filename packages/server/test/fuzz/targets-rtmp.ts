/**
 * Fuzz targets of the RTMP side: handshake, chunk stream, the whole server session, AMF0
 * and parseRtmpUrl. Seeds are FFmpeg's own bytes (see make-seeds.ts) plus messages tsrs
 * encodes itself.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Amf0Error, Amf0Reader, decodeAmf0All, ecmaArray, encodeAmf0, type Amf0Value } from '../../src/kernel/amf0.js';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.js';
import { encodeMessage } from '../../src/protocol/rtmp/chunk-encoder.js';
import {
  connectCommand,
  createStreamCommand,
  fcPublishCommand,
  fcUnpublishCommand,
  playCommand,
  publishCommand,
  releaseStreamCommand,
} from '../../src/protocol/rtmp/commands.js';
import { ClientHandshake, HANDSHAKE_SIZE, ServerHandshake } from '../../src/protocol/rtmp/handshake.js';
import {
  CSID,
  MSG,
  RtmpProtocolError,
  abortMessage,
  pingRequest,
  setChunkSizeMessage,
  windowAckSizeMessage,
  type RtmpMessage,
} from '../../src/protocol/rtmp/messages.js';
import { ServerSession, type PublishRequest } from '../../src/protocol/rtmp/server-session.js';
import { parseRtmpUrl } from '../../src/protocol/rtmp/url.js';
import type { FuzzTarget } from './fuzz-helper.js';

/**
 * Feeds a stream in pieces whose sizes cycle through small and large ones, so split
 * headers, split extended timestamps and split bodies are all exercised by each input.
 */
export function pieces(data: Buffer): Buffer[] {
  const sizes = [1, 3, 7, 64, 1, 500, 13, 4096];
  const out: Buffer[] = [];
  for (let off = 0, i = (data.length * 7) % sizes.length; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

const media = (typeId: number, timestamp: number, payload: Buffer, streamId = 1): RtmpMessage => ({
  typeId,
  streamId,
  timestamp,
  csid: typeId === MSG.AUDIO ? CSID.AUDIO : CSID.VIDEO,
  payload,
});

/** A client's messages after connect: publish with metadata and media, as tsrs encodes them. */
function publishMessages(): RtmpMessage[] {
  return [
    connectCommand(1, { app: 'live', tcUrl: 'rtmp://h/live?vhost=v' }),
    windowAckSizeMessage(2_500_000),
    releaseStreamCommand(2, 's'),
    fcPublishCommand(3, 's'),
    createStreamCommand(4),
    publishCommand(1, 's?token=t'),
    { typeId: MSG.AMF0_DATA, streamId: 1, timestamp: 0, csid: 4, payload: encodeAmf0('@setDataFrame', 'onMetaData', ecmaArray({ width: 160, height: 120 })) },
    media(MSG.VIDEO, 0, Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), Buffer.alloc(300, 0x41)])),
    media(MSG.AUDIO, 5, Buffer.from([0xaf, 0, 0x12, 0x10])),
    media(MSG.VIDEO, 0xffffff + 10, Buffer.alloc(200, 0x27)),
    // an aggregate of two FLV tags, AMF3 data and an AMF3 command (format byte 0, then AMF0)
    { typeId: MSG.AGGREGATE, streamId: 1, timestamp: 40, csid: CSID.VIDEO, payload: Buffer.concat([aggregateTag(9, 40, Buffer.alloc(30, 0x27)), aggregateTag(8, 45, Buffer.from([0xaf, 1, 2, 3]))]) },
    { typeId: MSG.AMF3_DATA, streamId: 1, timestamp: 50, csid: 4, payload: Buffer.concat([Buffer.from([0]), encodeAmf0('@setDataFrame', 'onMetaData', ecmaArray({ width: 1 }))]) },
    pingRequest(1),
    abortMessage(6),
    { ...fcUnpublishCommand(5, 's'), typeId: MSG.AMF3_COMMAND, payload: Buffer.concat([Buffer.from([0]), fcUnpublishCommand(5, 's').payload]) },
  ];
}

/** One sub-message of an aggregate: an FLV tag with its back pointer. */
function aggregateTag(type: number, ts: number, body: Buffer): Buffer {
  const h = Buffer.alloc(11);
  h[0] = type;
  h.writeUIntBE(body.length, 1, 3);
  h.writeUIntBE(ts & 0xffffff, 4, 3);
  h[7] = ts >>> 24;
  const back = Buffer.alloc(4);
  back.writeUInt32BE(11 + body.length);
  return Buffer.concat([h, body, back]);
}

function chunkStreamSeeds(): Buffer[] {
  const msgs = publishMessages();
  return [
    Buffer.concat(msgs.map((m) => encodeMessage(m, 128))),
    Buffer.concat([encodeMessage(setChunkSizeMessage(4096), 128), ...msgs.map((m) => encodeMessage(m, 4096))]),
    Buffer.concat([encodeMessage(setChunkSizeMessage(1), 128), ...msgs.slice(0, 3).map((m) => encodeMessage(m, 1))]),
    Buffer.concat([connectCommand(1, { app: 'live', tcUrl: 'rtmp://h/live' }), createStreamCommand(2), playCommand(1, 's')].map((m) => encodeMessage(m, 128))),
  ];
}

/** A valid client handshake (C0 C1 C2) as tsrs's client makes it; the server does not check C2. */
function clientHandshake(complex: boolean): Buffer {
  const c0c1 = new ClientHandshake({ complex }).start();
  return Buffer.concat([c0c1, Buffer.alloc(HANDSHAKE_SIZE, 0x5a)]);
}

// --- handshake ---------------------------------------------------------------

export const handshakeTarget: FuzzTarget = {
  name: 'handshake',
  description: 'ServerHandshake (C0 C1 C2) and ClientHandshake (S0 S1 S2) throw only RtmpProtocolError',
  errors: [RtmpProtocolError],
  seeds: () => [clientHandshake(true), clientHandshake(false)],
  maxRandomLength: 4000,
  generators: () => [
    // past C0: a version 3 byte then random C1/C2 (digest search on random data)
    fc.uint8Array({ minLength: 1 + HANDSHAKE_SIZE, maxLength: 1 + 2 * HANDSHAKE_SIZE + 64 }).map((u) => {
      const b = Buffer.from(u);
      b[0] = 3;
      return b;
    }),
  ],
  run(input) {
    const server = new ServerHandshake();
    let done = false;
    let rest = 0;
    for (const p of pieces(input)) {
      const step = server.push(p);
      if (step.out) assert.equal(step.out.length, 1 + 2 * HANDSHAKE_SIZE, 'S0 S1 S2 size');
      if (step.done) {
        done = true;
        rest += step.rest?.length ?? 0;
      }
    }
    if (input.length >= 1 + 2 * HANDSHAKE_SIZE) {
      assert.ok(done, 'complete C0 C1 C2 but no handshake');
      assert.equal(rest, input.length - (1 + 2 * HANDSHAKE_SIZE), 'bytes after C2 must be handed on');
    } else assert.ok(!done);
    // the same bytes as a server's answer to our client
    const client = new ClientHandshake();
    client.start();
    for (const p of pieces(input)) client.push(p);
    return server;
  },
  afterGarbage(valid, garbage) {
    // after a complete handshake, whatever follows is the chunk stream's: handed on whole
    const server = new ServerHandshake();
    const step = server.push(Buffer.concat([valid, garbage]));
    assert.ok(step.done && step.rest?.equals(garbage));
  },
};

// --- chunk stream --------------------------------------------------------------

const CHUNK_LIMITS = { maxMessageSize: 64 * 1024, maxBufferedBytes: 256 * 1024 };

function decodeAll(input: Buffer, d = new ChunkDecoder(CHUNK_LIMITS)): { d: ChunkDecoder; msgs: RtmpMessage[] } {
  const msgs: RtmpMessage[] = [];
  for (const p of pieces(input)) {
    d.push(p);
    for (let m = d.next(); m; m = d.next()) {
      assert.ok(m.payload.length <= CHUNK_LIMITS.maxMessageSize, 'message over maxMessageSize');
      msgs.push(m);
      assert.ok(msgs.length <= input.length + 1, 'more messages than input bytes');
    }
    assert.ok(d.queuedBytes <= CHUNK_LIMITS.maxBufferedBytes, `queued ${d.queuedBytes} over the bound`);
  }
  return { d, msgs };
}

export const chunkStreamTarget: FuzzTarget = {
  name: 'chunk-stream',
  description: 'ChunkDecoder throws only RtmpProtocolError, terminates, stays within its buffer bound',
  errors: [RtmpProtocolError],
  seeds: chunkStreamSeeds,
  maxRandomLength: 2000,
  run(input) {
    return decodeAll(input).d;
  },
  // Set by the session on close: every message before the garbage is decoded, then it
  // waits for more or fails with RtmpProtocolError (never anything else).
  afterGarbage(valid, garbage) {
    let want: RtmpMessage[];
    try {
      want = decodeAll(valid).msgs;
    } catch {
      return; // a seed the decoder refuses alone (a corpus crash input)
    }
    const d = new ChunkDecoder(CHUNK_LIMITS);
    const got: RtmpMessage[] = [];
    d.push(valid);
    for (let m = d.next(); m; m = d.next()) got.push(m);
    try {
      d.push(garbage);
      for (let m = d.next(); m; m = d.next()) got.push(m);
    } catch (err) {
      if (!(err instanceof RtmpProtocolError)) throw err;
    }
    assert.ok(got.length >= want.length);
    for (let i = 0; i < want.length; i++) assert.ok(got[i].payload.equals(want[i].payload), `message ${i} changed by garbage after it`);
  },
};

// --- server session --------------------------------------------------------------

const SESSION_LIMITS = { maxMessageSize: 64 * 1024, maxBufferedBytes: 256 * 1024 };

interface SessionRun {
  session: ServerSession;
  errors: Error[];
  published: PublishRequest[];
  media: number;
  ended: boolean;
}

async function runSession(input: Buffer, asyncHooks: boolean): Promise<SessionRun> {
  const r: SessionRun = { session: undefined as unknown as ServerSession, errors: [], published: [], media: 0, ended: false };
  let sent = 0;
  const decide = asyncHooks ? () => new Promise<void>((res) => setImmediate(res)) : () => undefined;
  r.session = new ServerSession(
    {
      onConnect: decide,
      onPublish: (p) => {
        r.published.push(p);
        return decide();
      },
      onPlay: decide,
      onMedia: () => void r.media++,
      onError: (e) => void r.errors.push(e),
    },
    { send: (b) => void (sent += b.length), end: () => void (r.ended = true), ...SESSION_LIMITS },
  );
  for (const p of pieces(input)) {
    r.session.push(p); // documented to never throw
    assert.ok(r.session.queuedBytes <= SESSION_LIMITS.maxBufferedBytes, `session queued ${r.session.queuedBytes} bytes`);
    if (asyncHooks) await new Promise((res) => setImmediate(res));
  }
  await new Promise((res) => setImmediate(res));
  for (const e of r.errors) {
    assert.ok(e instanceof RtmpProtocolError || e instanceof Amf0Error, `session reported ${e.name}: ${e.message}`);
  }
  if (r.errors.length) assert.ok(r.ended, 'an error must end the session');
  assert.ok(sent <= 3 * HANDSHAKE_SIZE + 64 * 1024 + 200 * input.length, `answered ${sent} bytes to ${input.length}`);
  return r;
}

export const sessionTarget: FuzzTarget = {
  name: 'session',
  description: 'ServerSession (handshake + chunk stream + commands) never throws, reports only protocol errors, buffers within its bound',
  errors: [],
  seeds: () => chunkStreamSeeds().map((s) => Buffer.concat([clientHandshake(true), s])),
  maxRandomLength: 4000,
  generators: () => [
    // a valid handshake, then random chunk-stream bytes
    fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 2000 })).map(([complex, u]) => Buffer.concat([clientHandshake(complex), u])),
  ],
  async run(input) {
    // the same bytes with synchronous and with asynchronous (hook-like) decisions
    await runSession(input, false);
    return (await runSession(input, true)).session;
  },
  async afterGarbage(valid, garbage) {
    const clean = await runSession(valid, false);
    if (clean.errors.length) return;
    const dirty = await runSession(Buffer.concat([valid, garbage]), false);
    // what the valid part asked for still happened before the garbage closed the session
    assert.equal(dirty.published.length, clean.published.length, 'publish lost to later garbage');
    assert.ok(dirty.media >= clean.media, 'media lost to later garbage');
  },
};

// --- AMF0 --------------------------------------------------------------------

function amf0Seeds(): Buffer[] {
  const values: Amf0Value[][] = [
    ['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', flashVer: 'FMLE/3.0', fpad: false, audioCodecs: 3575, objectEncoding: 0 }],
    ['onMetaData', ecmaArray({ duration: 0, width: 1920, height: 1080, encoder: 'Lavf', stereo: true })],
    ['_result', 1, null, { level: 'status', code: 'NetStream.Publish.Start', description: '' }],
    [[1, 'two', [3, [4, { five: new Date(5) }]]], undefined, ''],
    ['x'.repeat(70_000)],
  ];
  return values.map((v) => encodeAmf0(...v));
}

/** bytes after the input that a bounded decoder never reads: a string marker and a long string */
const AMF0_CANARY = Buffer.concat([Buffer.from([0x02, 0x00, 0x10]), Buffer.from('CANARY-CANARY-CA'), Buffer.alloc(64, 0x41)]);

/**
 * Two decoded AMF0 values are the same when they encode to the same bytes. (assert.deepEqual
 * calls two Invalid Dates different: a Date beyond JS's range, 0x0B with a huge double, decodes
 * as one, the same every time.)
 */
function assertSameAmf0(got: Amf0Value, want: Amf0Value): void {
  assert.deepEqual(encodeAmf0(got), encodeAmf0(want));
}

export const amf0Target: FuzzTarget = {
  name: 'amf0',
  description: 'decodeAmf0All throws only Amf0Error, decodes only within its input',
  errors: [Amf0Error],
  seeds: amf0Seeds,
  generators: () => [
    // marker-heavy random bytes: most bytes are valid markers
    fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u.map((x, i) => (i % 3 === 0 ? x % 0x12 : x)))),
  ],
  run(input) {
    const values = decodeAmf0All(input);
    // what decodes re-encodes (the encoder accepts everything the decoder returns)
    if (values.length) encodeAmf0(...values);
    // decodes only within its input: the same bytes followed by others in one buffer, read with
    // end = the input's length, give the same values, and the reader never passes that end
    const host = Buffer.concat([input, AMF0_CANARY]);
    const r = new Amf0Reader(host, 0, input.length);
    for (const want of values) {
      assertSameAmf0(r.readValue(), want);
      assert.ok(r.offset <= input.length, `read to ${r.offset}, past the input's end ${input.length}`);
    }
    assert.equal(r.remaining, 0);
    return values;
  },
  afterGarbage(valid, garbage) {
    let want: Amf0Value[];
    try {
      want = decodeAmf0All(valid);
    } catch {
      return;
    }
    const r = new Amf0Reader(Buffer.concat([valid, garbage]));
    for (const w of want) assertSameAmf0(r.readValue(), w);
    try {
      while (r.remaining > 0) r.readValue();
    } catch (err) {
      if (!(err instanceof Amf0Error)) throw err;
    }
  },
};

// --- parseRtmpUrl --------------------------------------------------------------

const URL_SEEDS = [
  'rtmp://example.com/live\nlivestream',
  'rtmp://127.0.0.1:1935/live?vhost=v1&token=x\ns?k=v',
  'rtmp://[::1]:19350/a/b/c/_definst_\nstream?domain=d',
  'rtmp://u:p@h:99999/live...vhost...v2\nx',
  'rtmps://h/\n?',
  'live\n',
];

export const rtmpUrlTarget: FuzzTarget = {
  name: 'rtmp-url',
  description: 'parseRtmpUrl(tcUrl, stream) never throws and returns strings and a port',
  errors: [],
  text: true,
  seeds: () => URL_SEEDS.map((s) => Buffer.from(s)),
  run(input) {
    const text = input.toString('utf8');
    const nl = text.indexOf('\n');
    const u = nl < 0 ? parseRtmpUrl(text) : parseRtmpUrl(text.slice(0, nl), text.slice(nl + 1));
    for (const k of ['schema', 'host', 'vhost', 'app', 'stream', 'param'] as const) assert.equal(typeof u[k], 'string', k);
    assert.ok(Number.isInteger(u.port) && u.port > 0, `port ${u.port}`);
    assert.ok(u.param === '' || u.param.startsWith('?'));
    return u;
  },
};

export const RTMP_TARGETS = [handshakeTarget, chunkStreamTarget, sessionTarget, amf0Target, rtmpUrlTarget];
