/**
 * RTMP handshake, server and client side, as push-driven state machines.
 *
 * Simple handshake (the Adobe spec): C0/S0 = version 3, C1/S1 = time(4) zero(4) random(1528),
 * S2/C2 echo the peer's C1/S1.
 *
 * Complex handshake (Flash Player 9+, needed by players that validate the server, e.g.
 * FFmpeg playing from a server whose S1 version is >= 3): C1/S1 = time(4) version(4) and two
 * 764-byte blocks, a key block and a digest block, in either order:
 *   schema 0: key block at 8, digest block at 772;  schema 1: digest block at 8, key block at 772.
 * The digest block is offset(4) random(o) digest(32) random(...), o = sum(offset bytes) % 728.
 * The digest is HMAC-SHA256 over the 1536 bytes minus the 32 digest bytes, keyed with the first
 * 30 bytes of the Flash Player key (C1) or the first 36 of the Media Server key (S1).
 * S2 = random(1504) + HMAC(S2[0..1504], HMAC(C1 digest, full FMS key)); C2 likewise with the S1
 * digest and the full FP key. No RTMPE: the Diffie-Hellman key block is random filler.
 */
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { RtmpProtocolError } from './messages.js';

export const HANDSHAKE_SIZE = 1536;
export const RTMP_VERSION = 3;

const KEY_TAIL = Buffer.from([
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d,
  0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
]);
/** "Genuine Adobe Flash Media Server 001" + 32 bytes (68 bytes). */
export const GENUINE_FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001', 'ascii'), KEY_TAIL]);
/** "Genuine Adobe Flash Player 001" + 32 bytes (62 bytes). */
export const GENUINE_FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'ascii'), KEY_TAIL]);
const FMS_KEY_PUBLIC = GENUINE_FMS_KEY.subarray(0, 36);
const FP_KEY_PUBLIC = GENUINE_FP_KEY.subarray(0, 30);

/**
 * Version written in S1. The first byte >= 3 makes FFmpeg validate our S1/S2 digests when it
 * plays (a real check of the complex handshake); it is the value nginx-rtmp uses.
 */
const SERVER_VERSION = 0x0d0e0a0d;
/** Version written in a complex C1 (a Flash Player version, like FFmpeg sends). */
const CLIENT_VERSION = 0x80000702;

export type DigestSchema = 0 | 1;

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Absolute position of the 32-byte digest in a C1/S1 for the schema. */
export function digestOffset(c1: Buffer, schema: DigestSchema): number {
  const block = schema === 0 ? 772 : 8;
  const o = (c1[block] + c1[block + 1] + c1[block + 2] + c1[block + 3]) % 728;
  return block + 4 + o;
}

/** HMAC over the packet without its digest bytes. */
function packetDigest(pkt: Buffer, pos: number, key: Buffer): Buffer {
  return hmac(key, pkt.subarray(0, pos), pkt.subarray(pos + 32, HANDSHAKE_SIZE));
}

/** Finds the schema whose digest validates, or undefined. */
export function findDigest(pkt: Buffer, key: Buffer): { schema: DigestSchema; digest: Buffer } | undefined {
  for (const schema of [1, 0] as const) {
    const pos = digestOffset(pkt, schema);
    const digest = pkt.subarray(pos, pos + 32);
    if (timingSafeEqual(packetDigest(pkt, pos, key), digest)) return { schema, digest: Buffer.from(digest) };
  }
  return undefined;
}

/** Makes a complex C1/S1: random filler, time, version and the digest at the schema's place. */
function makeDigestPacket(version: number, schema: DigestSchema, key: Buffer): { pkt: Buffer; digest: Buffer } {
  const pkt = randomFillSync(Buffer.allocUnsafe(HANDSHAKE_SIZE));
  pkt.writeUInt32BE(uptimeMs(), 0);
  pkt.writeUInt32BE(version, 4);
  const pos = digestOffset(pkt, schema);
  const digest = packetDigest(pkt, pos, key);
  digest.copy(pkt, pos);
  return { pkt, digest };
}

/** Makes S2/C2 for a complex handshake: random(1504) + signature bound to the peer's digest. */
function makeResponse(peerDigest: Buffer, fullKey: Buffer): Buffer {
  const pkt = randomFillSync(Buffer.allocUnsafe(HANDSHAKE_SIZE));
  const key = hmac(fullKey, peerDigest);
  hmac(key, pkt.subarray(0, HANDSHAKE_SIZE - 32)).copy(pkt, HANDSHAKE_SIZE - 32);
  return pkt;
}

/** Checks an S2/C2 made by makeResponse. */
export function verifyResponse(pkt: Buffer, ownDigest: Buffer, fullKey: Buffer): boolean {
  const key = hmac(fullKey, ownDigest);
  const sig = hmac(key, pkt.subarray(0, HANDSHAKE_SIZE - 32));
  return timingSafeEqual(sig, pkt.subarray(HANDSHAKE_SIZE - 32, HANDSHAKE_SIZE));
}

function uptimeMs(): number {
  return Math.floor(performance.now()) >>> 0;
}

function simplePacket(): Buffer {
  const pkt = randomFillSync(Buffer.allocUnsafe(HANDSHAKE_SIZE));
  pkt.writeUInt32BE(uptimeMs(), 0);
  pkt.writeUInt32BE(0, 4);
  return pkt;
}

export interface HandshakeStep {
  /** bytes to send to the peer */
  out?: Buffer;
  /** the handshake is complete */
  done: boolean;
  /** bytes received after the handshake: the start of the chunk stream */
  rest?: Buffer;
}

/** Accumulates input until `n` bytes are available. */
class Accumulator {
  private parts: Buffer[] = [];
  private size = 0;

  add(buf: Buffer): void {
    this.parts.push(buf);
    this.size += buf.length;
  }

  get length(): number {
    return this.size;
  }

  /** Takes exactly n bytes (caller checked length). */
  take(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length ? [rest] : [];
    this.size = rest.length;
    return out;
  }

  takeAll(): Buffer | undefined {
    if (this.size === 0) return undefined;
    return this.take(this.size);
  }
}

/**
 * Server side: push C0+C1 and C2 bytes; it answers S0+S1+S2 at once. A C1 with a zero version
 * or without a valid digest gets the simple handshake.
 */
export class ServerHandshake {
  private acc = new Accumulator();
  private state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  /** which handshake the client got (known after C1) */
  complex = false;
  schema: DigestSchema | undefined;
  /** the client's C1 (for tests and diagnostics) */
  c1: Buffer | undefined;

  push(buf: Buffer): HandshakeStep {
    if (this.state === 'done') return { done: true, rest: buf.length ? buf : undefined };
    this.acc.add(buf);
    let out: Buffer | undefined;
    if (this.state === 'c0c1') {
      if (this.acc.length < 1 + HANDSHAKE_SIZE) return { done: false };
      const c0c1 = this.acc.take(1 + HANDSHAKE_SIZE);
      // 3 is plain RTMP; 6 (RTMPE) is not supported. Some clients send other values with a
      // plain handshake, but garbage here almost always means "not RTMP" (e.g. HTTP).
      if (c0c1[0] !== RTMP_VERSION) {
        throw new RtmpProtocolError(`unsupported RTMP version ${c0c1[0]} in C0`);
      }
      const c1 = Buffer.from(c0c1.subarray(1));
      this.c1 = c1;
      out = this.respond(c1);
      this.state = 'c2';
    }
    if (this.acc.length < HANDSHAKE_SIZE) return { out, done: false };
    this.acc.take(HANDSHAKE_SIZE); // C2: not validated, like most servers
    this.state = 'done';
    return { out, done: true, rest: this.acc.takeAll() };
  }

  private respond(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const found = c1.readUInt32BE(4) !== 0 ? findDigest(c1, FP_KEY_PUBLIC) : undefined;
    if (found) {
      this.complex = true;
      this.schema = found.schema;
      const s1 = makeDigestPacket(SERVER_VERSION, found.schema, FMS_KEY_PUBLIC).pkt;
      s1.copy(out, 1);
      makeResponse(found.digest, GENUINE_FMS_KEY).copy(out, 1 + HANDSHAKE_SIZE);
    } else {
      simplePacket().copy(out, 1);
      // S2 echoes C1: its time, then our time where C1 had its "zero", then C1's random.
      c1.copy(out, 1 + HANDSHAKE_SIZE);
      out.writeUInt32BE(uptimeMs(), 1 + HANDSHAKE_SIZE + 4);
    }
    return out;
  }
}

export interface ClientHandshakeOptions {
  /** send a complex (digest) C1; default true. A simple server still works with it. */
  complex?: boolean;
}

/**
 * Client side: `start()` gives C0+C1; push S0+S1+S2 bytes; the step that completes returns C2.
 * Against a complex server it validates S1 and S2 (a server whose S1 has a bad digest is
 * treated as a simple server, since many simple servers put a version in S1 anyway).
 */
export class ClientHandshake {
  private acc = new Accumulator();
  private state: 'init' | 's0s1s2' | 'done' = 'init';
  private c1Digest: Buffer | undefined;
  readonly complex: boolean;
  /** the server's S1 validated as a complex handshake */
  serverComplex = false;
  /** the server's S2 carried a valid signature of our C1 digest */
  serverVerified = false;

  constructor(opts: ClientHandshakeOptions = {}) {
    this.complex = opts.complex ?? true;
  }

  start(): Buffer {
    if (this.state !== 'init') throw new Error('ClientHandshake.start() called twice');
    this.state = 's0s1s2';
    let c1: Buffer;
    if (this.complex) {
      const made = makeDigestPacket(CLIENT_VERSION, 1, FP_KEY_PUBLIC);
      c1 = made.pkt;
      this.c1Digest = made.digest;
    } else {
      c1 = simplePacket();
    }
    return Buffer.concat([Buffer.from([RTMP_VERSION]), c1]);
  }

  push(buf: Buffer): HandshakeStep {
    if (this.state === 'done') return { done: true, rest: buf.length ? buf : undefined };
    if (this.state === 'init') throw new Error('ClientHandshake.start() must be called first');
    this.acc.add(buf);
    if (this.acc.length < 1 + 2 * HANDSHAKE_SIZE) return { done: false };
    const s = this.acc.take(1 + 2 * HANDSHAKE_SIZE);
    if (s[0] !== RTMP_VERSION) throw new RtmpProtocolError(`unsupported RTMP version ${s[0]} in S0`);
    const s1 = s.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = s.subarray(1 + HANDSHAKE_SIZE);
    let c2: Buffer;
    const found = this.complex && s1.readUInt32BE(4) !== 0 ? findDigest(s1, FMS_KEY_PUBLIC) : undefined;
    if (found) {
      this.serverComplex = true;
      this.serverVerified = verifyResponse(s2, this.c1Digest!, GENUINE_FMS_KEY);
      c2 = makeResponse(found.digest, GENUINE_FP_KEY);
    } else {
      c2 = Buffer.from(s1); // simple: echo S1
    }
    this.state = 'done';
    return { out: c2, done: true, rest: this.acc.takeAll() };
  }
}
