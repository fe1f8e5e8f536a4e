/**
 * A small typed schema for srs.conf sections. Each key of a section names a directive and says
 * how to read it: type, SRS default, and for booleans SRS's preference (`prefer false`: only
 * `on` is true; `prefer true`: only `off` is false). The view types are inferred from the
 * tables, so adding a directive is one line.
 *
 * Environment overrides follow SRS 5+: `SRS_` + the upper-cased path with `.` -> `_`
 * (`SRS_HTTP_API_LISTEN`, `SRS_VHOST_HLS_ENABLED` for all vhosts); `TSRS_` works the same and
 * wins over `SRS_`. A non-empty value wins over the file.
 */
import { isIP } from 'node:net';
import { Directive } from './directive.js';
import { ConfigError } from './errors.js';
import type { Env } from './parser.js';

/** Names accepted under a directive, for the unknown-directive check. 'any' = not checked. */
export type KnownTree = 'any' | { readonly [name: string]: KnownTree };

export interface ReadCtx {
  env: Env;
  /** Collect mode (validate) records problems and goes on with defaults; strict mode throws. */
  errors?: ConfigError[];
  warnings?: string[];
}

export interface FieldReader {
  key: string;
  /** First directive named `key` in the section, if any. */
  dir: Directive | undefined;
  all: Directive[];
  /** The section's own directive (may be absent: then every field reads its default). */
  section: Directive | undefined;
  /** Path used for env names, or null when env overrides don't apply (lists of blocks). */
  envPath: string[] | null;
  ctx: ReadCtx;
  /** A non-empty env override for this key. */
  env: { name: string; value: string } | undefined;
  /** The scalar value: env override, else the directive's first arg when non-empty. */
  raw(): string | undefined;
  /** Reports an invalid value at the directive (or env var) it came from. */
  fail(msg: string, at?: Directive): void;
  warn(msg: string, at?: Directive): void;
}

export interface Field<T> {
  read(r: FieldReader): T;
  known?: KnownTree;
}

export type Schema = { readonly [key: string]: Field<unknown> };
export type View<S extends Schema> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export function envNames(envPath: string[], key: string): string[] {
  const tail = [...envPath, key].join('_').replace(/\./g, '_').toUpperCase();
  return [`TSRS_${tail}`, `SRS_${tail}`];
}

function makeReader(key: string, section: Directive | undefined, envPath: string[] | null, ctx: ReadCtx): FieldReader {
  const all = section ? section.getAll(key) : [];
  const dir = all[0];
  let env: FieldReader['env'];
  if (envPath) {
    for (const name of envNames(envPath, key)) {
      const value = ctx.env[name];
      if (value !== undefined && value !== '') {
        env = { name, value };
        break;
      }
    }
  }
  const where = (at?: Directive): [string, number] => {
    const d = at ?? (env ? undefined : dir ?? section);
    return d ? [d.file, d.line] : [`$${env?.name ?? key}`, 0];
  };
  return {
    key, dir, all, section, envPath, ctx, env,
    raw: () => env?.value ?? (dir && dir.arg0 !== '' ? dir.arg0 : undefined),
    fail(msg, at) {
      const err = new ConfigError(...where(at), msg);
      if (!ctx.errors) throw err;
      ctx.errors.push(err);
    },
    warn(msg, at) {
      const [f, l] = where(at);
      ctx.warnings?.push(`${f}:${l}: ${msg}`);
    },
  };
}

/** Reads every field of `schema` from the block `section` (absent block = all defaults). */
export function readSection<S extends Schema>(
  schema: S,
  section: Directive | undefined,
  envPath: string[] | null,
  ctx: ReadCtx,
): View<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) {
    out[key] = schema[key].read(makeReader(key, section, envPath, ctx));
  }
  return out as View<S>;
}

export function knownOf(schema: Schema): KnownTree {
  const out: Record<string, KnownTree> = {};
  for (const [k, f] of Object.entries(schema)) out[k] = f.known ?? 'any';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field kinds

/**
 * on/off, `def` when absent. `prefer` records how SRS reads other words (PREFER_TRUE: all but
 * `off` are true; PREFER_FALSE: only `on`), as documentation of the tables: tsrs refuses any
 * other word (`yes`, `true`, `1`) with an error at FILE:LINE, because SRS's silent reading turns
 * listeners off without a word.
 */
export function bool(def: boolean, prefer: 'true' | 'false' = def ? 'true' : 'false'): Field<boolean> {
  void prefer;
  return {
    read(r) {
      const v = r.raw();
      if (v === undefined) return def;
      if (v !== 'on' && v !== 'off') {
        r.fail(`invalid ${r.key} '${v}': expected on or off`);
        return def;
      }
      return v === 'on';
    },
  };
}

interface NumOpts {
  min?: number;
  max?: number;
  /** Strictly greater than zero. */
  positive?: boolean;
  integer?: boolean;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)$/;

function parseNum(r: FieldReader, v: string, o: NumOpts): number | undefined {
  const n = NUMBER.test(v) ? Number(v) : NaN;
  const bad =
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.max !== undefined && n > o.max) ||
    (o.positive && n <= 0);
  if (!bad) return n;
  const want = [
    o.integer ? 'an integer' : 'a number',
    o.positive ? '> 0' : o.min !== undefined ? `>= ${o.min}` : '',
    o.max !== undefined ? `<= ${o.max}` : '',
  ].filter(Boolean).join(' ');
  r.fail(`invalid ${r.key} '${v}': expected ${want}`);
  return undefined;
}

export function num(def: number, o: NumOpts = {}): Field<number> {
  return { read: (r) => { const v = r.raw(); return v === undefined ? def : parseNum(r, v, o) ?? def; } };
}
export const int = (def: number, o: NumOpts = {}): Field<number> => num(def, { ...o, integer: true });
/** A number with no fixed default (the caller derives one, e.g. mw_latency from min_latency). */
export function optNum(o: NumOpts = {}): Field<number | undefined> {
  return { read: (r) => { const v = r.raw(); return v === undefined ? undefined : parseNum(r, v, o); } };
}

export function str(def: string): Field<string> {
  return { read: (r) => r.raw() ?? def };
}
export function optStr(): Field<string | undefined> {
  return { read: (r) => r.raw() };
}

/** All args of the directive (env: split on whitespace), e.g. `origin a:1935 b:1935`. */
export function list(def: string[] = []): Field<string[]> {
  return {
    read(r) {
      if (r.env) return r.env.value.split(/\s+/).filter(Boolean);
      return r.dir ? [...r.dir.args] : [...def];
    },
  };
}

export function oneOf<const E extends string>(values: readonly E[], def: E): Field<E> {
  return {
    read(r) {
      const v = r.raw();
      if (v === undefined) return def;
      if ((values as readonly string[]).includes(v)) return v as E;
      r.fail(`invalid ${r.key} '${v}': expected ${values.join('|')}`);
      return def;
    },
  };
}

/** A listen address: `port`, `ip:port` or `[ipv6]:port`. */
export interface Endpoint {
  host?: string;
  port: number;
}

export function parseEndpoint(v: string): Endpoint | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:[\]]+):)?(\d+)$/.exec(v);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && isIP(m[1]) !== 6) return undefined;
  return host === undefined ? { port } : { host, port };
}

/**
 * An endpoint as written in the config (parseEndpoint's inverse): `1985`, `127.0.0.1:1985`,
 * `[::1]:1985`. SRS's raw API answers `http_api.listen` so.
 */
export function formatEndpoint(e: Endpoint): string {
  if (e.host === undefined) return String(e.port);
  return isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function readEndpoints(r: FieldReader, values: string[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const v of values) {
    const e = parseEndpoint(v);
    if (e) out.push(e);
    else r.fail(`invalid ${r.key} '${v}': expected port, ip:port or [ipv6]:port`);
  }
  return out;
}

export function endpoint(def: number): Field<Endpoint> {
  return {
    read(r) {
      const v = r.raw();
      return (v === undefined ? undefined : readEndpoints(r, [v])[0]) ?? { port: def };
    },
  };
}
/** Several listen addresses (RTMP `listen 1935 [::]:1935;`); `def` empty = none by default. */
export function endpoints(def: number[]): Field<Endpoint[]> {
  return {
    read(r) {
      const values = r.env ? r.env.value.split(/\s+/).filter(Boolean) : r.dir?.args;
      return values && values.length ? readEndpoints(r, values) : def.map((port) => ({ port }));
    },
  };
}

/** A nested block read with its own schema (`http_api { raw_api { ... } }`). */
export function section<S extends Schema>(schema: S): Field<View<S>> {
  return {
    read: (r) => readSection(schema, r.dir, r.envPath ? [...r.envPath, r.key] : null, r.ctx),
    known: knownOf(schema),
  };
}

/** Repeated blocks with an optional id (`stream_caster {}` x N, `ingest id {}`, `engine id {}`). */
export function blocks<S extends Schema>(schema: S): Field<Array<View<S> & { readonly id: string }>> {
  return {
    read: (r) => r.all.map((d) => ({ id: d.arg0, ...readSection(schema, d, null, r.ctx) })),
    known: knownOf(schema),
  };
}

/** A free-form block of `key value...;` lines passed through (ffmpeg vparams, vfilter...). */
export function params(): Field<Array<{ name: string; args: string[] }>> {
  return { read: (r) => (r.dir ? r.dir.children.map((c) => ({ name: c.name, args: [...c.args] })) : []) };
}

/** A known directive kept as-is (blocks tsrs does not use, such as tencentcloud_cls). */
export function raw(known: KnownTree = 'any'): Field<Directive | undefined> {
  return { read: (r) => r.dir, known };
}

export function custom<T>(read: (r: FieldReader) => T, known: KnownTree = 'any'): Field<T> {
  return { read, known };
}

/** The same field with another set of accepted child names. */
export function withKnown<T>(field: Field<T>, known: KnownTree): Field<T> {
  return { ...field, known };
}
