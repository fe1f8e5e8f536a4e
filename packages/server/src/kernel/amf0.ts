/**
 * AMF0 (Action Message Format 0) encoder and bounded decoder, as used by RTMP
 * command (type 20) and data (type 18) messages.
 *
 * JS mapping:
 *   number <-> Number (0x00)        boolean <-> Boolean (0x01)
 *   string <-> String (0x02) / Long String (0x0C, chosen when > 65535 UTF-8 bytes)
 *   plain object <-> Object (0x03)  null <-> Null (0x05)   undefined <-> Undefined (0x06)
 *   object tagged by ecmaArray() <-> ECMA Array (0x08)    Array <-> Strict Array (0x0A)
 *   Date <-> Date (0x0B, the time zone field is written as 0 and ignored on read)
 *
 * The decoder never reads outside [offset, end) and throws Amf0Error for anything
 * malformed: truncated values, nesting deeper than AMF0_MAX_DEPTH, unsupported markers.
 * An AMF3 value behind the avmplus switch marker (0x11) is decoded for the AMF3
 * primitives (undefined, null, booleans, integers, doubles, strings); complex AMF3 values
 * fail with a clear Amf0Error.
 */

export const AMF0 = {
  NUMBER: 0x00,
  BOOLEAN: 0x01,
  STRING: 0x02,
  OBJECT: 0x03,
  MOVIECLIP: 0x04,
  NULL: 0x05,
  UNDEFINED: 0x06,
  REFERENCE: 0x07,
  ECMA_ARRAY: 0x08,
  OBJECT_END: 0x09,
  STRICT_ARRAY: 0x0a,
  DATE: 0x0b,
  LONG_STRING: 0x0c,
  UNSUPPORTED: 0x0d,
  RECORDSET: 0x0e,
  XML_DOCUMENT: 0x0f,
  TYPED_OBJECT: 0x10,
  AVMPLUS: 0x11,
} as const;

/** Objects/arrays nested deeper than this are rejected by the decoder (and the encoder). */
export const AMF0_MAX_DEPTH = 64;
/**
 * Properties one object (or ECMA array) may have: more is rejected by the decoder. Real
 * objects (connect, onMetaData) have tens; RTMP's message bounds (rtmp_max_command_size,
 * rtmp_max_metadata_size) bound the input, this bounds the JS object made from it.
 */
export const AMF0_MAX_PROPERTIES = 65536;

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0Object;

export interface Amf0Object {
  [key: string]: Amf0Value;
}

export class Amf0Error extends Error {
  override name = 'Amf0Error';
}

const ECMA = Symbol('amf0.ecmaArray');

/** Marks a plain object so that it is encoded as an AMF0 ECMA array (returns the same object). */
export function ecmaArray<T extends Amf0Object>(obj: T): T {
  Object.defineProperty(obj, ECMA, { value: true, enumerable: false });
  return obj;
}

/** True for objects decoded from (or marked as) an ECMA array. */
export function isEcmaArray(v: unknown): v is Amf0Object {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[ECMA] === true;
}

/** Sets a property without letting a hostile "__proto__" key change the prototype. */
function setProp(obj: Amf0Object, key: string, value: Amf0Value): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoder

export class Amf0Reader {
  offset: number;
  readonly end: number;
  /** AMF3 string reference table, for values behind the avmplus switch marker. */
  private amf3Strings: string[] = [];

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) throw new Amf0Error('bad AMF0 reader bounds');
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.end - this.offset < n) {
      throw new Amf0Error(`AMF0 ${what}: need ${n} bytes, ${this.end - this.offset} left at offset ${this.offset}`);
    }
  }

  private u8(): number {
    this.need(1, 'u8');
    return this.buf[this.offset++];
  }

  private u16(): number {
    this.need(2, 'u16');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  private u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  private f64(): number {
    this.need(8, 'number');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  private utf8(len: number, what: string): string {
    this.need(len, what);
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  /** A UTF-8 string with a 16-bit length and no marker (object keys, string bodies). */
  readShortString(): string {
    return this.utf8(this.u16(), 'string');
  }

  readValue(depth = 0): Amf0Value {
    if (depth > AMF0_MAX_DEPTH) throw new Amf0Error(`AMF0 nesting deeper than ${AMF0_MAX_DEPTH}`);
    const marker = this.u8();
    switch (marker) {
      case AMF0.NUMBER:
        return this.f64();
      case AMF0.BOOLEAN:
        return this.u8() !== 0;
      case AMF0.STRING:
        return this.readShortString();
      case AMF0.LONG_STRING:
      case AMF0.XML_DOCUMENT:
        return this.utf8(this.u32(), 'long string');
      case AMF0.OBJECT:
        return this.readProperties({}, depth);
      case AMF0.TYPED_OBJECT: {
        this.readShortString(); // class name: dropped, the properties are what matter
        return this.readProperties({}, depth);
      }
      case AMF0.ECMA_ARRAY: {
        // The count is advisory; many encoders get it wrong, so read until the end marker.
        this.u32();
        return this.readProperties(ecmaArray({}), depth);
      }
      case AMF0.STRICT_ARRAY: {
        const count = this.u32();
        // Each element takes at least one byte: a count beyond the buffer is a lie.
        if (count > this.remaining) throw new Amf0Error(`AMF0 strict array count ${count} exceeds data`);
        const arr: Amf0Value[] = new Array(count);
        for (let i = 0; i < count; i++) arr[i] = this.readValue(depth + 1);
        return arr;
      }
      case AMF0.DATE: {
        const ms = this.f64();
        this.u16(); // time zone, reserved (should be 0)
        return new Date(ms);
      }
      case AMF0.NULL:
        return null;
      case AMF0.UNDEFINED:
      case AMF0.UNSUPPORTED:
        return undefined;
      case AMF0.AVMPLUS:
        return this.readAmf3Value();
      case AMF0.OBJECT_END:
        throw new Amf0Error(`AMF0 unexpected object end marker at offset ${this.offset - 1}`);
      default:
        throw new Amf0Error(`AMF0 unsupported marker 0x${marker.toString(16)} at offset ${this.offset - 1}`);
    }
  }

  /** Reads key/value pairs until the object end marker (00 00 09). */
  private readProperties(obj: Amf0Object, depth: number): Amf0Object {
    for (let n = 0; ; n++) {
      // Tolerate encoders that end the message without the object end marker.
      if (this.remaining === 0) return obj;
      const key = this.readShortString();
      if (key.length === 0 && this.remaining > 0 && this.buf[this.offset] === AMF0.OBJECT_END) {
        this.offset++;
        return obj;
      }
      if (n >= AMF0_MAX_PROPERTIES) throw new Amf0Error(`AMF0 object with more than ${AMF0_MAX_PROPERTIES} properties`);
      setProp(obj, key, this.readValue(depth + 1));
    }
  }

  // AMF3 primitives (the values a client with objectEncoding 3 may switch to in commands).
  private readU29(): number {
    let v = 0;
    for (let i = 0; i < 3; i++) {
      const b = this.u8();
      v = (v << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    return ((v << 8) | this.u8()) >>> 0;
  }

  private readAmf3Value(): Amf0Value {
    const marker = this.u8();
    switch (marker) {
      case 0x00:
        return undefined;
      case 0x01:
        return null;
      case 0x02:
        return false;
      case 0x03:
        return true;
      case 0x04: {
        const v = this.readU29();
        return v & 0x10000000 ? v - 0x20000000 : v; // 29-bit signed
      }
      case 0x05:
        return this.f64();
      case 0x06: {
        const ref = this.readU29();
        if ((ref & 1) === 0) {
          const idx = ref >>> 1;
          if (idx >= this.amf3Strings.length) throw new Amf0Error(`AMF3 bad string reference ${idx}`);
          return this.amf3Strings[idx];
        }
        const s = this.utf8(ref >>> 1, 'AMF3 string');
        if (s.length > 0) this.amf3Strings.push(s);
        return s;
      }
      default:
        throw new Amf0Error(`AMF3 value type 0x${marker.toString(16)} is not supported`);
    }
  }
}

/** Decodes one value at `offset`. */
export function decodeAmf0(buf: Buffer, offset = 0): Amf0Value {
  return new Amf0Reader(buf, offset).readValue();
}

/** Decodes consecutive values until the end of the buffer. */
export function decodeAmf0All(buf: Buffer, offset = 0, end = buf.length): Amf0Value[] {
  const r = new Amf0Reader(buf, offset, end);
  const out: Amf0Value[] = [];
  while (r.remaining > 0) out.push(r.readValue());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoder: measure first, then write into one exact-size Buffer.

function sizeOf(v: Amf0Value, depth: number): number {
  if (depth > AMF0_MAX_DEPTH) throw new Amf0Error(`AMF0 nesting deeper than ${AMF0_MAX_DEPTH}`);
  switch (typeof v) {
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    case 'string': {
      const n = Buffer.byteLength(v, 'utf8');
      return n > 0xffff ? 5 + n : 3 + n;
    }
    case 'undefined':
      return 1;
    case 'object': {
      if (v === null) return 1;
      if (v instanceof Date) return 11;
      if (Array.isArray(v)) {
        let n = 5;
        for (const e of v) n += sizeOf(e, depth + 1);
        return n;
      }
      let n = isEcmaArray(v) ? 5 + 3 : 1 + 3;
      for (const key of Object.keys(v)) n += keySize(key) + sizeOf(v[key], depth + 1);
      return n;
    }
    default:
      throw new Amf0Error(`cannot encode ${typeof v} as AMF0`);
  }
}

function keySize(key: string): number {
  const n = Buffer.byteLength(key, 'utf8');
  if (n > 0xffff) throw new Amf0Error('AMF0 object key longer than 65535 bytes');
  return 2 + n;
}

function writeKey(buf: Buffer, off: number, key: string): number {
  const n = buf.write(key, off + 2, 'utf8');
  buf.writeUInt16BE(n, off);
  return off + 2 + n;
}

function writeValue(buf: Buffer, off: number, v: Amf0Value): number {
  switch (typeof v) {
    case 'number':
      buf[off] = AMF0.NUMBER;
      buf.writeDoubleBE(v, off + 1);
      return off + 9;
    case 'boolean':
      buf[off] = AMF0.BOOLEAN;
      buf[off + 1] = v ? 1 : 0;
      return off + 2;
    case 'string': {
      const n = Buffer.byteLength(v, 'utf8');
      if (n > 0xffff) {
        buf[off] = AMF0.LONG_STRING;
        buf.writeUInt32BE(n, off + 1);
        buf.write(v, off + 5, 'utf8');
        return off + 5 + n;
      }
      buf[off] = AMF0.STRING;
      buf.writeUInt16BE(n, off + 1);
      buf.write(v, off + 3, 'utf8');
      return off + 3 + n;
    }
    case 'undefined':
      buf[off] = AMF0.UNDEFINED;
      return off + 1;
    default: {
      if (v === null) {
        buf[off] = AMF0.NULL;
        return off + 1;
      }
      if (v instanceof Date) {
        buf[off] = AMF0.DATE;
        buf.writeDoubleBE(v.getTime(), off + 1);
        buf.writeUInt16BE(0, off + 9);
        return off + 11;
      }
      if (Array.isArray(v)) {
        buf[off] = AMF0.STRICT_ARRAY;
        buf.writeUInt32BE(v.length, off + 1);
        off += 5;
        for (const e of v) off = writeValue(buf, off, e);
        return off;
      }
      const keys = Object.keys(v as Amf0Object);
      if (isEcmaArray(v)) {
        buf[off] = AMF0.ECMA_ARRAY;
        buf.writeUInt32BE(keys.length, off + 1);
        off += 5;
      } else {
        buf[off++] = AMF0.OBJECT;
      }
      for (const key of keys) {
        off = writeKey(buf, off, key);
        off = writeValue(buf, off, (v as Amf0Object)[key]);
      }
      buf[off] = 0;
      buf[off + 1] = 0;
      buf[off + 2] = AMF0.OBJECT_END;
      return off + 3;
    }
  }
}

/** Encodes the values one after another into a single Buffer. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  let size = 0;
  for (const v of values) size += sizeOf(v, 0);
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const v of values) off = writeValue(buf, off, v);
  return buf;
}
