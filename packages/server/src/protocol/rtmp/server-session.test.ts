import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecmaArray, encodeAmf0, type Amf0Object } from '../../kernel/amf0.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { encodeMessage } from './chunk-encoder.js';
import {
  connectCommand,
  createStreamCommand,
  decodeCommand,
  decodeData,
  deleteStreamCommand,
  fcPublishCommand,
  fcUnpublishCommand,
  playCommand,
  publishCommand,
  releaseStreamCommand,
  type RtmpCommand,
} from './commands.js';
import { ClientHandshake } from './handshake.js';
import {
  CSID,
  MSG,
  RtmpProtocolError,
  parseUserControl,
  pingRequest,
  setChunkSizeMessage,
  windowAckSizeMessage,
  type RtmpMessage,
} from './messages.js';
import { ServerSession, type ServerSessionHandler, type ServerSessionOptions } from './server-session.js';

/** An in-memory client driving a ServerSession. */
class Harness {
  readonly session: ServerSession;
  readonly received: RtmpMessage[] = [];
  ended: string | undefined;
  errors: Error[] = [];
  private readonly hs = new ClientHandshake();
  private readonly dec = new ChunkDecoder();
  private inbox: Buffer[] = [];
  private hsDone = false;
  chunkSize = 128;

  constructor(handler: ServerSessionHandler = {}, opts: Partial<ServerSessionOptions> = {}) {
    const onError = handler.onError;
    this.session = new ServerSession(
      {
        ...handler,
        onError: (e) => {
          this.errors.push(e);
          onError?.(e);
        },
      },
      { send: (b) => this.inbox.push(b), end: (r) => (this.ended = r), ...opts },
    );
  }

  handshake(): this {
    this.session.push(this.hs.start());
    this.process();
    assert.ok(this.hsDone);
    return this;
  }

  /** Reads what the server sent. */
  process(): void {
    while (this.inbox.length) {
      let b = this.inbox.shift()!;
      if (!this.hsDone) {
        const step = this.hs.push(b);
        if (step.out) this.session.push(step.out);
        if (!step.done) continue;
        this.hsDone = true;
        if (!step.rest) continue;
        b = step.rest;
      }
      this.dec.push(b);
      for (let m = this.dec.next(); m; m = this.dec.next()) this.received.push(m);
    }
  }

  send(...msgs: RtmpMessage[]): void {
    for (const m of msgs) this.session.push(encodeMessage(m, this.chunkSize));
    this.process();
  }

  take(): RtmpMessage[] {
    this.process();
    return this.received.splice(0);
  }

  /** Names (commands/data) or type ids of what the server sent since the last take. */
  takeSummary(): string[] {
    return this.take().map(summary);
  }

  connect(): RtmpCommand[] {
    this.send(connectCommand(1, { app: 'live', tcUrl: 'rtmp://example.com/live?vhost=v1' }));
    return this.take().filter((m) => m.typeId === MSG.AMF0_COMMAND).map(decodeCommand);
  }
}

function summary(m: RtmpMessage): string {
  if (m.typeId === MSG.AMF0_COMMAND) {
    const c = decodeCommand(m);
    const code = (c.args[0] as Amf0Object | undefined)?.code;
    return code ? `${c.name}:${String(code)}` : `${c.name}`;
  }
  if (m.typeId === MSG.AMF0_DATA) {
    const d = decodeData(m);
    const code = (d.values[0] as Amf0Object | undefined)?.code;
    return code ? `data:${d.name}:${String(code)}` : `data:${d.name}`;
  }
  if (m.typeId === MSG.USER_CONTROL) return `uc:${parseUserControl(m.payload).event}`;
  return `t${m.typeId}`;
}

const media = (typeId: number, timestamp: number, payload: Buffer, streamId = 1): RtmpMessage => ({
  typeId,
  streamId,
  timestamp,
  csid: typeId === MSG.AUDIO ? CSID.AUDIO : CSID.VIDEO,
  payload,
});

const tick = () => new Promise((r) => setTimeout(r, 5));

test('connect: control messages then _result with the SRS properties', () => {
  let req: unknown;
  const h = new Harness({ onConnect: (r) => void (req = r) }).handshake();
  h.send(connectCommand(1, { app: 'live', tcUrl: 'rtmp://example.com:1936/live?vhost=v1', pageUrl: 'http://p' }));
  const msgs = h.take();
  assert.deepEqual(msgs.map(summary), ['t5', 't6', 't1', '_result:NetConnection.Connect.Success', 'onBWDone']);
  assert.equal(msgs[0].payload.readUInt32BE(0), 2500000);
  assert.equal(msgs[1].payload[4], 2);
  assert.equal(msgs[2].payload.readUInt32BE(0), 60000);
  const res = decodeCommand(msgs[3]);
  assert.equal(res.transactionId, 1);
  assert.deepEqual(res.commandObject, { fmsVer: 'FMS/3,5,3,888', capabilities: 127, mode: 1 });
  assert.equal((res.args[0] as Amf0Object).objectEncoding, 0);
  assert.equal(h.session.outChunkSize, 60000);
  assert.equal(h.session.state, 'connected');
  const r = req as { app: string; pageUrl: string; url: { vhost: string; port: number } };
  assert.equal(r.app, 'live');
  assert.equal(r.pageUrl, 'http://p');
  assert.equal(r.url.vhost, 'v1');
  assert.equal(r.url.port, 1936);
});

test('publish flow: FMLE commands, media, @setDataFrame unwrap, aggregate, unpublish once', () => {
  const got: RtmpMessage[] = [];
  let pub: unknown;
  let unpublished = 0;
  const h = new Harness({
    onPublish: (r) => void (pub = r),
    onMedia: (m) => got.push(m),
    onUnpublish: () => unpublished++,
  }).handshake();
  h.connect();
  h.send(releaseStreamCommand(2, 's'), fcPublishCommand(3, 's'), createStreamCommand(4));
  const replies = h.take().map(decodeCommand);
  assert.deepEqual(replies.map((c) => [c.name, c.transactionId]), [['_result', 2], ['_result', 3], ['_result', 4]]);
  assert.equal(replies[2].args[0], 1);
  h.send(publishCommand(1, 's?token=t'));
  assert.deepEqual(h.takeSummary(), ['onFCPublish:NetStream.Publish.Start', 'onStatus:NetStream.Publish.Start']);
  assert.deepEqual(pub, {
    streamName: 's?token=t',
    type: 'live',
    streamId: 1,
    url: { schema: 'rtmp', host: 'example.com', port: 1935, vhost: 'v1', app: 'live', stream: 's', param: '?vhost=v1&token=t' },
    fmle: true,
  });
  assert.equal(h.session.role, 'publish');

  const meta = ecmaArray({ width: 320 });
  h.send(
    { typeId: MSG.AMF0_DATA, streamId: 1, timestamp: 0, csid: 4, payload: encodeAmf0('@setDataFrame', 'onMetaData', meta) },
    media(MSG.VIDEO, 0, Buffer.from([0x17, 0, 0, 0, 0])),
    media(MSG.AUDIO, 10, Buffer.from([0xaf, 1, 2, 3])),
  );
  // aggregate of two sub-messages with timestamps 1000 and 1040, sent with timestamp 40
  const sub = (type: number, ts: number, body: Buffer) => {
    const h11 = Buffer.alloc(11);
    h11[0] = type;
    h11.writeUIntBE(body.length, 1, 3);
    h11.writeUIntBE(ts & 0xffffff, 4, 3);
    h11[7] = ts >>> 24;
    const bp = Buffer.alloc(4);
    bp.writeUInt32BE(11 + body.length);
    return Buffer.concat([h11, body, bp]);
  };
  h.send({
    typeId: MSG.AGGREGATE,
    streamId: 1,
    timestamp: 40,
    csid: 6,
    payload: Buffer.concat([sub(9, 1000, Buffer.from([0x27, 1])), sub(8, 1040, Buffer.from([0xaf, 1]))]),
  });
  assert.deepEqual(got.map((m) => [m.typeId, m.timestamp, m.payload.length]), [
    [18, 0, encodeAmf0('onMetaData', meta).length],
    [9, 0, 5],
    [8, 10, 4],
    [9, 40, 2],
    [8, 80, 2],
  ]);
  assert.deepEqual(decodeData(got[0]).name, 'onMetaData');

  h.send(fcUnpublishCommand(5, 's'), deleteStreamCommand(6, 1));
  assert.deepEqual(h.takeSummary(), ['onFCUnpublish:NetStream.Unpublish.Success', '_result', 'onStatus:NetStream.Unpublish.Success']);
  assert.equal(unpublished, 1);
  h.session.close();
  assert.equal(unpublished, 1);
  assert.equal(h.errors.length, 0);
});

test('async publish decision: later input waits, then flows in order', async () => {
  const got: number[] = [];
  let allow!: () => void;
  const h = new Harness({
    onPublish: () => new Promise<void>((r) => (allow = r)),
    onMedia: (m) => got.push(m.timestamp),
  }).handshake();
  h.connect();
  h.send(createStreamCommand(2));
  h.take();
  h.send(publishCommand(1, 's'), media(MSG.VIDEO, 1, Buffer.from([0x17, 1])), media(MSG.VIDEO, 2, Buffer.from([0x27, 1])));
  assert.deepEqual(h.takeSummary(), []);
  assert.ok(h.session.queuedBytes > 0);
  await tick();
  assert.deepEqual(got, []);
  allow();
  await tick();
  assert.deepEqual(h.takeSummary(), ['onStatus:NetStream.Publish.Start']);
  assert.deepEqual(got, [1, 2]);
  h.send(media(MSG.AUDIO, 3, Buffer.from([0xaf, 1])));
  assert.deepEqual(got, [1, 2, 3]);
});

test('rejects: connect, publish (BadName), play (StreamNotFound, custom code), async throw', async () => {
  const c = new Harness({ onConnect: () => ({ reject: 'go away' }) }).handshake();
  c.send(connectCommand(1, { app: 'live', tcUrl: 'rtmp://h/live' }));
  const [err] = c.take().map(decodeCommand);
  assert.equal(err.name, '_error');
  assert.deepEqual(err.args[0], { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'go away' });
  assert.equal(c.ended, 'go away');
  assert.equal(c.session.closed, true);

  const p = new Harness({ onPublish: async () => ({ reject: 'busy' }) }).handshake();
  p.connect();
  p.send(createStreamCommand(2), publishCommand(1, 's'));
  await tick();
  assert.deepEqual(p.takeSummary(), ['_result', 'onStatus:NetStream.Publish.BadName']);
  assert.equal(p.ended, 'busy');

  const q = new Harness({ onPlay: () => ({ reject: 'nope' }) }).handshake();
  q.connect();
  q.send(createStreamCommand(2), playCommand(1, 's'));
  assert.deepEqual(q.takeSummary(), ['_result', 'onStatus:NetStream.Play.StreamNotFound']);

  const r = new Harness({ onPlay: () => ({ reject: 'denied', code: 'NetStream.Play.Failed' }) }).handshake();
  r.connect();
  r.send(createStreamCommand(2), playCommand(1, 's'));
  assert.deepEqual(r.takeSummary(), ['_result', 'onStatus:NetStream.Play.Failed']);

  const t = new Harness({
    onPlay: async () => {
      throw new Error('hook failed');
    },
  }).handshake();
  t.connect();
  t.send(createStreamCommand(2), playCommand(1, 's'));
  await tick();
  assert.deepEqual(t.takeSummary(), ['_result', 'onStatus:NetStream.Play.StreamNotFound']);
  assert.equal(t.ended, 'hook failed');
});

test('play flow: start sequence, pause/unpause, closeStream, unpublish notify', () => {
  const events: string[] = [];
  const h = new Harness({
    onPlay: (r) => void events.push(`play ${r.streamName} ${r.start} ${r.reset}`),
    onPause: (p, pos) => void events.push(`pause ${p} ${pos}`),
    onStop: () => void events.push('stop'),
  }).handshake();
  h.connect();
  h.send(createStreamCommand(2), playCommand(1, 's', -1, -1, false));
  assert.deepEqual(h.takeSummary(), [
    '_result',
    'uc:0',
    'onStatus:NetStream.Play.Reset',
    'onStatus:NetStream.Play.Start',
    'data:|RtmpSampleAccess',
    'data:onStatus:NetStream.Data.Start',
  ]);
  const pause = (flag: boolean) => ({
    typeId: MSG.AMF0_COMMAND,
    streamId: 1,
    timestamp: 0,
    csid: 8,
    payload: encodeAmf0('pause', 0, null, flag, 1234),
  });
  h.send(pause(true));
  assert.deepEqual(h.takeSummary(), ['onStatus:NetStream.Pause.Notify', 'uc:1']);
  h.send(pause(false));
  assert.deepEqual(h.takeSummary(), ['onStatus:NetStream.Unpause.Notify', 'uc:0']);
  h.session.notifyUnpublish();
  assert.deepEqual(h.takeSummary(), ['uc:1', 'onStatus:NetStream.Play.UnpublishNotify']);
  h.send({ typeId: MSG.AMF0_COMMAND, streamId: 1, timestamp: 0, csid: 8, payload: encodeAmf0('closeStream', 0, null) });
  assert.deepEqual(events, ['play s -1 false', 'pause true 1234', 'pause false 1234', 'stop']);
  assert.equal(h.session.role, 'none');
});

test('close() ends an active publish or play exactly once', () => {
  let unpublished = 0;
  let stopped = 0;
  const h = new Harness({ onUnpublish: () => unpublished++, onStop: () => stopped++ }).handshake();
  h.connect();
  h.send(createStreamCommand(2), publishCommand(1, 's'));
  h.session.close();
  h.session.close();
  assert.equal(unpublished, 1);
  const p = new Harness({ onUnpublish: () => unpublished++, onStop: () => stopped++ }).handshake();
  p.connect();
  p.send(createStreamCommand(2), playCommand(1, 's'));
  p.session.close();
  assert.deepEqual([unpublished, stopped], [1, 1]);
});

test('protocol control: ping, acknowledgements, unknown commands, AMF3 command', () => {
  const h = new Harness().handshake();
  h.connect();
  h.send(pingRequest(777));
  const [pong] = h.take();
  assert.deepEqual(parseUserControl(pong.payload), { event: 7, timestamp: 777 });

  h.send(windowAckSizeMessage(1000));
  for (let i = 0; i < 10; i++) h.send(media(MSG.VIDEO, i, Buffer.alloc(300)));
  const acks = h.take().filter((m) => m.typeId === MSG.ACK);
  assert.ok(acks.length >= 2, `acks: ${acks.length}`);
  assert.ok(acks[0].payload.readUInt32BE(0) >= 1000);

  const call = (name: string, tid: number) => ({ typeId: 20, streamId: 0, timestamp: 0, csid: 3, payload: encodeAmf0(name, tid, null) });
  h.send(call('_checkbw', 5), call('whatever', 6), call('noAnswer', 0), call('getStreamLength', 7));
  const res = h.take().map(decodeCommand);
  assert.deepEqual(res.map((c) => [c.name, c.transactionId, c.args[0]]), [['_result', 5, null], ['_result', 6, null]]);

  // type 17: a 0 format byte, then AMF0
  h.send({ typeId: MSG.AMF3_COMMAND, streamId: 0, timestamp: 0, csid: 3, payload: Buffer.concat([Buffer.from([0]), encodeAmf0('createStream', 9, null)]) });
  const [cs] = h.take().map(decodeCommand);
  assert.deepEqual([cs.name, cs.transactionId, cs.args[0]], ['_result', 9, 1]);
  h.send(createStreamCommand(10));
  assert.equal(h.take().map(decodeCommand)[0].args[0], 2);
  assert.equal(h.errors.length, 0);
});

test('errors: command before connect, garbage handshake, oversize message, throwing handler', () => {
  const a = new Harness().handshake();
  a.send(createStreamCommand(1));
  assert.ok(a.errors[0] instanceof RtmpProtocolError);
  assert.ok(a.ended);
  a.send(createStreamCommand(2)); // ignored after close
  assert.equal(a.errors.length, 1);

  const b = new Harness();
  b.session.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(100)));
  assert.ok(b.errors[0] instanceof RtmpProtocolError);

  const c = new Harness({}, { maxMessageSize: 1000 }).handshake();
  c.connect();
  c.send(media(MSG.VIDEO, 0, Buffer.alloc(2000)));
  assert.match(c.errors[0].message, /exceeds/);

  const d = new Harness({
    onMedia: () => {
      throw new TypeError('app bug');
    },
  }).handshake();
  d.connect();
  d.send(createStreamCommand(2), publishCommand(1, 's'), media(MSG.AUDIO, 0, Buffer.from([1])));
  assert.ok(d.errors[0] instanceof TypeError);
  assert.ok(d.ended);
});

test('limits: an oversized connect and non-metadata data are refused; metadata may be larger', { timeout: 30_000 }, () => {
  const big: Amf0Object = { app: 'live', tcUrl: 'rtmp://example.com/live' };
  for (let i = 0; i < 10_000; i++) big[`key${i}`] = i;
  const a = new Harness().handshake();
  a.chunkSize = 60000;
  a.session.push(encodeMessage(setChunkSizeMessage(60000), 128));
  a.send({ ...connectCommand(1, { app: 'live', tcUrl: 'rtmp://example.com/live' }), payload: encodeAmf0('connect', 1, big) });
  assert.ok(a.errors[0] instanceof RtmpProtocolError);
  assert.match(a.errors[0].message, /message type 20 of \d+ bytes exceeds the maximum 65536/);
  assert.ok(a.ended);

  const onMedia: RtmpMessage[] = [];
  const b = new Harness({ onMedia: (m) => onMedia.push(m) }, { maxCommandSize: 4096, maxDataSize: 100_000 }).handshake();
  b.connect();
  b.send(createStreamCommand(2), publishCommand(1, 's'));
  const meta = encodeAmf0('@setDataFrame', 'onMetaData', ecmaArray({ blob: 'm'.repeat(50_000) }));
  b.send({ typeId: MSG.AMF0_DATA, streamId: 1, timestamp: 0, csid: 4, payload: meta });
  assert.equal(b.errors.length, 0, 'metadata up to maxDataSize is fine');
  assert.equal(onMedia.length, 1);
  b.send({ typeId: MSG.AMF0_DATA, streamId: 1, timestamp: 0, csid: 4, payload: encodeAmf0('onCuePoint', { text: 'c'.repeat(5000) }) });
  assert.match(b.errors[0].message, /not onMetaData exceeds the maximum 4096/);
  assert.ok(b.ended);
});
