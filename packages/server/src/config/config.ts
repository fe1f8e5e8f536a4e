/**
 * The loaded configuration: the directive tree plus a typed, defaulted view of it.
 */
import { Directive } from './directive.js';
import { ConfigError, ConfigErrorList } from './errors.js';
import { rewriteLegacy } from './legacy.js';
import { globalNotYet, vhostNotYet } from './not-yet.js';
import { parseDirectives, parseFile, type Env } from './parser.js';
import { knownOf, readSection, type KnownTree, type ReadCtx, type View } from './schema.js';
import { globalSchema, vhostSchema } from './srs-schema.js';

export const DEFAULT_VHOST = '__defaultVhost__';

export type GlobalView = View<typeof globalSchema>;
export type HttpApiView = GlobalView['http_api'];
export type HttpServerView = GlobalView['http_server'];
export type RtcServerView = GlobalView['rtc_server'];
export type SrtServerView = GlobalView['srt_server'];
export type StreamCasterView = GlobalView['stream_caster'][number];

type RawVhost = View<typeof vhostSchema>;
export type PlayView = Omit<RawVhost['play'], 'mw_latency' | 'mw_msgs'> & {
  /** ms to merge writes: 350, or 0 when min_latency is on (RTC players use 0 regardless). */
  readonly mw_latency: number;
  /** messages to merge: 8, or 0 when min_latency is on (RTC players use 1). */
  readonly mw_msgs: number;
};
export type HlsView = Omit<RawVhost['hls'], 'hls_key_file_path'> & { readonly hls_key_file_path: string };
export type VhostView = Omit<RawVhost, 'play' | 'hls' | 'chunk_size'> & {
  /** The configured vhost block this view reads (`__defaultVhost__` after a fallback). */
  readonly name: string;
  /** The vhost's chunk_size, else the global one. */
  readonly chunk_size: number;
  readonly play: PlayView;
  readonly hls: HlsView;
};
export type PublishView = VhostView['publish'];
export type ClusterView = VhostView['cluster'];
export type ForwardView = VhostView['forward'];
export type SecurityView = VhostView['security'];
export type HttpRemuxView = VhostView['http_remux'];
export type HttpHooksView = VhostView['http_hooks'];
export type DvrView = VhostView['dvr'];
export type RtcView = VhostView['rtc'];

/** SRS caps mw_msgs at SRS_PERF_MW_MSGS. */
const MAX_MW_MSGS = 128;

export function readGlobal(root: Directive, ctx: ReadCtx): GlobalView {
  return readSection(globalSchema, root, [], ctx);
}

export function readVhost(d: Directive, global: GlobalView, ctx: ReadCtx): VhostView {
  const v = readSection(vhostSchema, d, ['vhost'], ctx);
  const minLatency = v.min_latency;
  return {
    ...v,
    name: d.arg0,
    chunk_size: v.chunk_size ?? global.chunk_size,
    play: {
      ...v.play,
      mw_latency: v.play.mw_latency ?? (minLatency ? 0 : 350),
      mw_msgs: Math.min(v.play.mw_msgs ?? (minLatency ? 0 : 8), MAX_MW_MSGS),
    },
    hls: { ...v.hls, hls_key_file_path: v.hls.hls_key_file_path ?? v.hls.hls_path },
  };
}

export class Config {
  private globalView?: GlobalView;
  private readonly vhostViews = new Map<Directive, VhostView>();

  constructor(
    /** The directive tree after includes and legacy rewrites (root: name '', no args). */
    readonly root: Directive,
    /** The main config file. */
    readonly file: string,
    /** Environment used for `SRS_*`/`TSRS_*` overrides. */
    readonly env: Env = {},
    /** Every file read, the main one first. */
    readonly files: string[] = [file],
  ) {}

  /** Top-level settings with defaults; throws ConfigError on an invalid value. */
  get global(): GlobalView {
    return (this.globalView ??= readGlobal(this.root, { env: this.env }));
  }
  get listen() {
    return this.global.listen;
  }
  get http_api(): HttpApiView {
    return this.global.http_api;
  }
  get http_server(): HttpServerView {
    return this.global.http_server;
  }
  get rtc_server(): RtcServerView {
    return this.global.rtc_server;
  }
  get srt_server(): SrtServerView {
    return this.global.srt_server;
  }
  get stream_casters(): readonly StreamCasterView[] {
    return this.global.stream_caster;
  }

  /** Names of the configured vhosts, in file order, duplicates removed. */
  vhostNames(): string[] {
    return [...new Set(this.root.getAll('vhost').map((d) => d.arg0))];
  }

  /**
   * The vhost for a request, SRS's `get_vhost(name, try_default_vhost=true)`: the block named
   * exactly `name`, else `__defaultVhost__` when configured, else undefined (SRS rejects the
   * client). A disabled vhost is still returned; callers check `enabled`.
   */
  getVhost(name: string): VhostView | undefined {
    const d = this.root.find('vhost', name) ?? this.root.find('vhost', DEFAULT_VHOST);
    if (!d) return undefined;
    let v = this.vhostViews.get(d);
    if (!v) {
      v = readVhost(d, this.global, { env: this.env });
      this.vhostViews.set(d, v);
    }
    return v;
  }
}

export interface LoadOptions {
  env?: Env;
  /** Base of relative include paths (default: process.cwd()). */
  cwd?: string;
  /** The file is only an include target: a missing `listen` is fine. */
  fragment?: boolean;
}

/**
 * Parses (with includes and legacy rewrites) without validating. Throws ConfigError on a syntax
 * error it cannot step over; the ones it can (missing includes, unclosed blocks, stray `}`) are
 * returned in `errors`, with the tree parsed around them.
 */
export function parseConfig(text: string | undefined, file: string, opts: LoadOptions = {}): { config: Config; warnings: string[]; errors: ConfigError[] } {
  const warnings: string[] = [];
  const files: string[] = [];
  const errors: ConfigError[] = [];
  const env = opts.env ?? {};
  const popts = { env, cwd: opts.cwd, warnings, files, errors };
  let root;
  try {
    root = text === undefined ? parseFile(file, popts) : parseDirectives(text, file, popts);
  } catch (e) {
    // Errors collected before the fatal one are reported with it.
    if (e instanceof ConfigError && errors.length) throw new ConfigErrorList([...errors, e]);
    throw e;
  }
  rewriteLegacy(root, warnings);
  return { config: new Config(root, file, env, files), warnings, errors };
}

export interface Validation {
  errors: ConfigError[];
  warnings: string[];
}

/**
 * Checks values of known directives (errors) and flags unknown directives (warnings, never
 * fatal: they stay in the tree). Also checks SRS's requirement of `listen`.
 */
export function validate(config: Config, opts: { fragment?: boolean } = {}): Validation {
  const ctx: ReadCtx & Validation = { env: config.env, errors: [], warnings: [] };
  const global = readGlobal(config.root, ctx);
  // SRS refuses to start without RTMP ports ("listen requires params") unless in env-only mode;
  // SRS_LISTEN counts. Files that are only include targets (include.vhost.conf) are exempt.
  if (!opts.fragment && global.listen.length === 0 && !config.root.get('listen')) {
    ctx.errors.push(new ConfigError(config.file, 1, `missing 'listen' (the RTMP port, e.g. 'listen 1935;')`));
  }
  const seen = new Set<string>();
  for (const d of config.root.getAll('vhost')) {
    if (d.args.length !== 1) {
      ctx.errors.push(new ConfigError(d.file, d.line, `vhost needs exactly one name`));
      continue;
    }
    if (seen.has(d.arg0)) ctx.warnings.push(`${d.file}:${d.line}: vhost '${d.arg0}' is defined again, the first one is used`);
    seen.add(d.arg0);
    const v = readVhost(d, global, ctx);
    ctx.warnings.push(...vhostNotYet(d, v));
    const clash = hlsMountClash(d, v);
    if (clash) ctx.errors.push(clash);
  }
  ctx.warnings.push(...globalNotYet(config.root, global, config.file));
  checkUnknown(config.root.children, ROOT_KNOWN, '', ctx.warnings);
  return { errors: ctx.errors, warnings: ctx.warnings };
}

/**
 * HLS in MPEG-TS and an HTTP-TS mount on one vhost (SRS 5 refuses this too): a segment request
 * (`live/s-0.ts`) would match the live mount and wait for a stream named `s-0`, and every HLS
 * player would hang. fMP4 HLS (.m4s segments) or a mount on another vhost is fine.
 */
function hlsMountClash(d: Directive, v: VhostView): ConfigError | undefined {
  if (!v.enabled || !v.hls.enabled || v.hls.hls_use_fmp4 || !/\.ts$/i.test(v.hls.hls_ts_file)) return undefined;
  if (!v.http_remux.enabled || !/\.ts$/i.test(v.http_remux.mount)) return undefined;
  const at = d.get('http_remux')?.get('mount') ?? d.get('http_remux') ?? d;
  return new ConfigError(
    at.file,
    at.line,
    `vhost ${v.name}: http_remux mount '${v.http_remux.mount}' serves live HTTP-TS, and hls writes .ts segments on the same vhost: ` +
      `segment requests would be taken for live streams. Put the .ts mount on another vhost, or use hls_use_fmp4 on`,
  );
}

const ROOT_KNOWN: KnownTree = {
  ...(knownOf(globalSchema) as Record<string, KnownTree>),
  vhost: knownOf(vhostSchema),
};

function checkUnknown(children: Directive[], known: KnownTree, scope: string, warnings: string[]): void {
  if (known === 'any') return;
  for (const c of children) {
    const sub = known[c.name];
    const where = scope ? `${scope}.${c.name}` : c.name;
    if (sub === undefined) warnings.push(`${c.file}:${c.line}: unknown directive '${where}' ignored`);
    else checkUnknown(c.children, sub, where, warnings);
  }
}

/** Loads and validates a config file. Throws ConfigError (the first error) when it is invalid. */
export function loadConfig(path: string, env: Env = process.env, opts: Omit<LoadOptions, 'env'> = {}): { config: Config; warnings: string[] } {
  return finish(parseConfig(undefined, path, { ...opts, env }), opts.fragment);
}

/**
 * What `srs -e` runs without a file: the RTMP port and the default vhost, every other setting
 * from `SRS_*` (or `TSRS_*`) environment variables over SRS's defaults, e.g. SRS_LISTEN=1936
 * SRS_HTTP_API_ENABLED=on SRS_VHOST_HLS_ENABLED=on.
 */
export const ENV_ONLY_CONFIG = 'listen 1935;\nvhost __defaultVhost__ {\n}\n';

/** The config of env-only mode (`tsrs -e`), named `<env>` in messages. Throws like loadConfig. */
export function loadEnvOnlyConfig(env: Env = process.env): { config: Config; warnings: string[] } {
  return finish(parseConfig(ENV_ONLY_CONFIG, '<env>', { env }));
}

/** `loadConfig` for text (tests); includes resolve against `file`'s dir. env defaults to {}. */
export function parseConfigText(text: string, file = 'inline.conf', opts: LoadOptions = {}): { config: Config; warnings: string[] } {
  return finish(parseConfig(text, file, opts), opts.fragment);
}

/** Validates; throws the one error, or a ConfigErrorList naming every error found. */
function finish(r: { config: Config; warnings: string[]; errors: ConfigError[] }, fragment?: boolean): { config: Config; warnings: string[] } {
  const v = validate(r.config, { fragment });
  const all = [...r.errors, ...v.errors];
  if (all.length === 1) throw all[0];
  if (all.length > 1) throw new ConfigErrorList(all);
  return { config: r.config, warnings: [...r.warnings, ...v.warnings] };
}

/** For `tsrs -t -c FILE`: every problem found, each message naming file and line. */
export function checkConfigFile(path: string, env: Env = process.env, opts: Omit<LoadOptions, 'env'> = {}): { ok: boolean; errors: string[]; warnings: string[] } {
  let parsed: { config: Config; warnings: string[]; errors: ConfigError[] };
  try {
    parsed = parseConfig(undefined, path, { ...opts, env });
  } catch (e) {
    if (e instanceof ConfigErrorList) return { ok: false, errors: e.all.map((x) => x.message), warnings: [] };
    if (e instanceof ConfigError) return { ok: false, errors: [e.message], warnings: [] };
    throw e;
  }
  const v = validate(parsed.config, { fragment: opts.fragment });
  const errors = [...parsed.errors, ...v.errors].map((e) => e.message);
  return { ok: errors.length === 0, errors, warnings: [...parsed.warnings, ...v.warnings] };
}
