/**
 * SRS 6.0's directives and defaults (trunk/conf/full.conf and srs_app_config.cpp), as schema
 * tables. Units are SRS's: seconds unless noted (ms fields say so in a comment).
 * Booleans: `bool(def)` prefers the default (SRS pairs `DEFAULT = true` with PREFER_TRUE and
 * `false` with PREFER_FALSE for every field here).
 */
import { isIP } from 'node:net';
import { parseRegistryUrl } from './registry-url.js';
import {
  blocks, bool, custom, endpoint, endpoints, int, list, num, oneOf, optNum, optStr, params, raw,
  section, str, withKnown, type FieldReader,
} from './schema.js';

// ---------------------------------------------------------------------------------------------
// Global scope

const https = (port: number) =>
  section({
    enabled: bool(false),
    listen: endpoint(port),
    key: str('./conf/server.key'),
    cert: str('./conf/server.crt'),
  });

export const httpApiSchema = {
  enabled: bool(false),
  listen: endpoint(1985),
  crossdomain: bool(true),
  raw_api: section({
    enabled: bool(false),
    allow_reload: bool(false),
    // Removed in SRS 4, still accepted.
    allow_query: bool(false),
    allow_update: bool(false),
  }),
  auth: section({ enabled: bool(false), username: str(''), password: str('') }),
  https: https(1990),
};

export const httpServerSchema = {
  enabled: bool(false),
  listen: endpoint(8080),
  dir: str('./objs/nginx/html'),
  crossdomain: bool(true),
  https: https(8088),
};

export const rtcServerSchema = {
  enabled: bool(false),
  /** UDP port. */
  listen: int(8000, { min: 1, max: 65535 }),
  tcp: section({ enabled: bool(false), listen: int(8000, { min: 1, max: 65535 }) }),
  protocol: oneOf(['udp', 'tcp', 'all'], 'udp'),
  /**
   * The addresses in the SDP answer: IPs (several allowed, as SRS 5), `*` = this host's
   * non-loopback IPv4 addresses; `$VAR` was expanded by the parser (unset -> `*`).
   */
  candidate: list(['*']),
  use_auto_detect_network_ip: bool(true),
  ip_family: oneOf(['ipv4', 'ipv6', 'all'], 'ipv4'),
  api_as_candidates: bool(true),
  resolve_api_domain: bool(true),
  keep_api_domain: bool(false),
  ecdsa: bool(true),
  encrypt: bool(true),
  reuseport: int(1, { min: 0 }),
  merge_nalus: bool(false),
  black_hole: section({ enabled: bool(false), addr: str('') }),
  /**
   * tsrs: WebRTC sessions (publishers and players, connected or still in ICE/DTLS) on the port at
   * once; an offer past it is answered 503 (code 4097). Read at each offer. Default 1000.
   */
  max_sessions: int(1000, { positive: true }),
  /**
   * tsrs: sessions of one client address not connected yet (ICE and DTLS not done; offers that
   * never connect hold a session for rtc.stun_timeout); the next offer from it is answered 503 (code
   * 4097). Connected sessions do not count, so viewers behind one NAT are not limited. 0 = no bound.
   * Default 20.
   */
  max_pending_sessions_per_ip: int(20, { min: 0 }),
};

export const srtServerSchema = {
  enabled: bool(false),
  listen: int(10080, { min: 1, max: 65535 }),
  maxbw: int(-1),
  mss: int(1500, { positive: true }),
  /** ms */
  connect_timeout: int(3000, { min: 0 }),
  /** ms */
  peer_idle_timeout: int(10000, { min: 0 }),
  default_app: str('live'),
  /** ms */
  peerlatency: int(0, { min: 0 }),
  /** ms */
  recvlatency: int(120, { min: 0 }),
  /** ms */
  latency: int(120, { min: 0 }),
  tsbpdmode: bool(true),
  tlpktdrop: bool(true),
  sendbuf: int(8192 * 1500, { min: 0 }),
  recvbuf: int(8192 * 1500, { min: 0 }),
  passphrase: str(''),
  /** 0 (no encryption), 16, 24 or 32 */
  pbkeylen: int(0, { min: 0, max: 32 }),
};

export const streamCasterSchema = {
  enabled: bool(false),
  caster: str(''),
  output: str(''),
  listen: int(0, { min: 0, max: 65535 }),
  /**
   * tsrs, mpegts_over_udp: seconds without a datagram after which the stream ends (its
   * publisher leaves, on_unpublish runs). Default 3.
   */
  idle_timeout: num(3, { min: 0.1 }),
  /**
   * tsrs, flv: POST publishers the caster runs at once; the next one is answered 503 (its
   * sockets also count against max_connections). Default 100.
   */
  max_publishers: int(100, { positive: true }),
  /**
   * tsrs, mpegts_over_udp: bounds of the one sender's demuxer state (a second sender is dropped
   * while one holds the port): the elementary streams of the PMT followed (default 8, others
   * ignored), the largest PES kept (default 8 MiB, a larger one is dropped and counted) and the PES
   * bytes held over all streams (default 32 MiB).
   */
  max_streams: int(8, { positive: true, max: 64 }),
  max_pes_bytes: int(8 * 1024 * 1024, { min: 64 * 1024 }),
  max_pending_bytes: int(32 * 1024 * 1024, { min: 64 * 1024 }),
  sip: section({
    enabled: bool(false),
    listen: int(5060, { min: 1, max: 65535 }),
    timeout: num(60, { min: 0 }),
    reinvite: num(5, { min: 0 }),
    candidate: str('*'),
  }),
  // GB28181 leftovers SRS 5 still accepts (srs_config_transform_vhost).
  tcp_enable: bool(false),
  rtp_port_min: int(0),
  rtp_port_max: int(0),
  wait_keyframe: bool(true),
  rtp_idle_timeout: int(30),
  audio_enable: bool(false),
  auto_create_channel: bool(false),
  host: str(''),
};

export const globalSchema = {
  listen: endpoints([]),
  max_connections: int(1000, { positive: true }),
  /**
   * tsrs: client sockets from one IP address, all listeners together; a socket past it is closed
   * at accept. 0 (the default) = no per-IP bound: behind a proxy or CDN every client has the
   * proxy's address. Set it when clients connect directly, so one address cannot take every slot.
   */
  max_connections_per_ip: int(0, { min: 0 }),
  /**
   * tsrs: child processes (ingest, transcode and exec commands, the WebRTC audio transcoders) that
   * run at once, over every vhost and stream; a start past it is refused and logged (a transcode
   * or exec of one more stream does not run, its publish goes on). Read at each start, so a reload
   * applies to the next start. Default 256.
   */
  max_child_processes: int(256, { positive: true }),
  /**
   * tsrs (SRS has no directive for it): seconds a new connection gets to say what it wants
   * before it is closed. RTMP: the handshake and `connect`, then again `publish`/`play` (time
   * tsrs itself spends on hooks does not count). HTTP (server and API): a request's head, and
   * the idle time between keep-alive requests (the HTTP ports read it at start; RTMP per
   * connection). Long responses (live streams) are not cut.
   */
  handshake_timeout: num(5, { positive: true }),
  daemon: bool(true),
  /** `file` or `console`; anything but `console` logs to the file, as SRS. */
  srs_log_tank: str('file'),
  srs_log_level: oneOf(['verbose', 'info', 'trace', 'warn', 'error'], 'trace'),
  srs_log_level_v2: optStr(),
  srs_log_file: str('./objs/srs.log'),
  ff_log_dir: str('./objs'),
  ff_log_level: str('info'),
  pid: str('./objs/srs.pid'),
  chunk_size: int(60000, { min: 128, max: 65536 }),
  /**
   * tsrs: the largest RTMP command (connect, publish, ...), protocol control, shared object or
   * data message other than metadata, in bytes. A bigger one is refused as soon as its chunk
   * header arrives and the connection is closed. Default 64 KiB (a connect is a few hundred bytes).
   */
  rtmp_max_command_size: int(64 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
  /**
   * tsrs: the largest RTMP data message (@setDataFrame/onMetaData), in bytes; bigger is refused
   * and the connection closed. Default 1 MiB.
   */
  rtmp_max_metadata_size: int(1024 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
  /**
   * tsrs: RTMP input bytes all connections hold together: input queued while a hook decides and
   * messages received in part (counted at their full length). One connection holds at most 4 x
   * 8 MiB; past this sum the connection holding the most is closed. Per process (each `--workers`
   * worker sums its own). 0 = no bound. Default 256 MiB.
   */
  rtmp_max_buffered_bytes: int(256 * 1024 * 1024, { min: 0 }),
  server_id: optStr(),
  /** tsrs: history database (SQLite path or file: URL, or a postgresql:// URL); DATABASE_URL wins. Default ./objs/tsrs.db */
  database: optStr(),
  /**
   * tsrs: history retention. At most this many ended stream sessions, ended client sessions and
   * events are kept each; every minute the oldest beyond it are deleted (recordings and open
   * sessions never). 0 keeps everything. Default 1,000,000.
   */
  history_max_rows: int(1_000_000, { min: 0 }),
  work_dir: str('./'),
  utc_time: bool(false),
  /** ms */
  pithy_print_ms: int(10000, { positive: true }),
  /** ms */
  grace_start_wait: int(2300, { min: 0 }),
  /** ms */
  grace_final_wait: int(3200, { min: 0 }),
  force_grace_quit: bool(false),
  asprocess: bool(false),
  empty_ip_ok: bool(true),
  in_docker: bool(false),
  disable_daemon_for_docker: bool(true),
  inotify_auto_reload: bool(false),
  auto_reload_for_docker: bool(true),
  tcmalloc_release_rate: num(0.8, { min: 0, max: 10 }),
  query_latest_version: bool(false),
  first_wait_for_qlv: int(300, { min: 0 }),
  is_full: bool(false),
  threads: section({ interval: num(5, { positive: true }) }),
  circuit_breaker: section({
    enabled: bool(true),
    high_threshold: int(90, { min: 0 }),
    high_pulse: int(2, { min: 0 }),
    critical_threshold: int(95, { min: 0 }),
    critical_pulse: int(1, { min: 0 }),
    dying_threshold: int(99, { min: 0 }),
    dying_pulse: int(5, { min: 0 }),
  }),
  heartbeat: section({
    enabled: bool(false),
    interval: num(9.9, { positive: true }),
    url: str('http://127.0.0.1:8085/api/v1/servers'),
    device_id: str(''),
    summaries: bool(false),
    ports: bool(false),
  }),
  stats: section({ enabled: bool(true), network: int(0, { min: 0 }), disk: list() }),
  exporter: section({
    enabled: bool(false),
    listen: endpoint(9972),
    label: str(''),
    tag: str(''),
    /** tsrs: IPs/CIDRs that may read the exporter's /metrics (`allow 127.0.0.1 10.0.0.0/8;`); empty = all, as SRS */
    allow: list(),
  }),
  /**
   * tsrs: bounds on what cheap requests may hold (SRS has none). Counts are of players, not
   * sockets (the listeners' max_connections bounds those).
   */
  request_limits: section({
    /** players (RTMP, HTTP-FLV/TS/AAC/MP3) waiting for a stream nobody publishes, all IPs */
    max_waiting_players: int(1000, { min: 0 }),
    /** the same, from one IP */
    max_waiting_players_per_ip: int(100, { min: 0 }),
    /** HLS viewers (hls_ctx sessions, listed as hls-play clients), all IPs */
    max_hls_viewers: int(10000, { min: 0 }),
    /** the same, from one IP */
    max_hls_viewers_per_ip: int(500, { min: 0 }),
    /** hls_ctx ids whose viewer fetched a playlist but no segment yet; the oldest is forgotten past this */
    max_hls_pending: int(10000, { min: 0 }),
    /** the same, from one IP */
    max_hls_pending_per_ip: int(200, { min: 0 }),
    /** seconds an hls_ctx with no segment fetched is remembered */
    hls_pending_timeout: num(10, { positive: true }),
    /** socket.io (engine.io) sessions on the API port, all IPs: a handshake past it is refused */
    max_socketio_sessions: int(1000, { min: 0 }),
    /** the same, from one IP */
    max_socketio_sessions_per_ip: int(50, { min: 0 }),
  }),
  tencentcloud_cls: raw(),
  tencentcloud_apm: raw(),
  http_api: section(httpApiSchema),
  http_server: section(httpServerSchema),
  rtc_server: section(rtcServerSchema),
  srt_server: section(srtServerSchema),
  stream_caster: blocks(streamCasterSchema),
};

// ---------------------------------------------------------------------------------------------
// Vhost scope

const timeJitter = () => oneOf(['full', 'zero', 'off'], 'full');

export const playSchema = {
  gop_cache: bool(true),
  /** SRS: past this many packets the GOP cache is dropped until the next keyframe (0 = no bound). */
  gop_cache_max_frames: int(2500, { min: 0 }),
  /**
   * tsrs: past this many bytes of media the GOP cache is dropped until the next keyframe, so a
   * publisher that never sends a keyframe cannot make it grow (0 = no bound). Default 32 MiB.
   */
  gop_cache_max_bytes: int(32 * 1024 * 1024, { min: 0 }),
  /** seconds */
  queue_length: num(30, { min: 0 }),
  /**
   * tsrs: a player's queue holds at most this many bytes of media, besides queue_length's time
   * bound: a paused or stalled player whose publisher sends constant timestamps or huge frames
   * drops to the newest keyframe (or waits for the next one) past it (0 = no bound). Default 64 MiB.
   */
  queue_max_bytes: int(64 * 1024 * 1024, { min: 0 }),
  time_jitter: timeJitter(),
  atc: bool(false),
  mix_correct: bool(false),
  atc_auto: bool(false),
  /** ms; default 350, or 0 when the vhost has min_latency on (filled in by the vhost view). */
  mw_latency: optNum({ min: 0 }),
  /** default 8, or 0 with min_latency on (filled in by the vhost view); SRS caps it at 128. */
  mw_msgs: optNum({ min: 0, integer: true }),
  /** ms */
  send_min_interval: num(0, { min: 0 }),
  reduce_sequence_header: bool(false),
  /**
   * tsrs: seconds a player (RTMP, HTTP-FLV/TS/AAC/MP3) of a stream without a publisher waits
   * for one before it is closed; 0 waits forever (SRS). Also after the publisher left.
   */
  waiting_timeout: num(30, { min: 0 }),
};

export const publishSchema = {
  mr: bool(false),
  /** ms */
  mr_latency: int(350, { min: 0 }),
  /** ms */
  firstpkt_timeout: int(20000, { min: 0 }),
  /** ms */
  normal_timeout: int(5000, { min: 0 }),
  parse_sps: bool(true),
  try_annexb_first: bool(true),
  /** seconds, 0 = never */
  kickoff_for_idle: num(0, { min: 0 }),
};

export const clusterSchema = {
  /** `remote` makes the vhost an edge. */
  mode: oneOf(['local', 'remote'], 'local'),
  origin: list(),
  token_traverse: bool(false),
  /** The vhost to use on the origin (edge vhost transform). */
  vhost: optStr(),
  debug_srs_upnode: bool(true),
  origin_cluster: bool(false),
  coworkers: list(),
  protocol: oneOf(['rtmp', 'flv', 'flvs'], 'rtmp'),
  follow_client: bool(false),
  /**
   * tsrs: seconds an edge keeps pulling a stream after its last player left, so a player that
   * comes back soon (a page reload) finds it running; 0 stops at once, as SRS does.
   */
  edge_idle_timeout: num(5, { min: 0 }),
  /**
   * tsrs: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` of a shared stream registry (off when
   * unset). An origin (mode local) records each stream published on it there, under a lease it
   * renews, and deletes it at unpublish; an origin lacking a stream finds its origin there and
   * redirects the player (RTMP 302), as with coworkers but without a list of them. The live feed
   * (socket.io) then runs over the same Redis: a console on any node sees every node's streams
   * and clients.
   */
  registry: custom(readRegistry),
  /** tsrs: seconds a registry entry lives unless renewed (a crashed origin's entries expire) */
  registry_lease: num(10, { min: 1 }),
  /** tsrs: seconds between renewals of this origin's entries (kept below registry_lease) */
  registry_renew: num(3, { min: 0.1 }),
  /**
   * tsrs: the host other nodes reach this origin at (RTMP and API), as recorded in the registry;
   * default: the RTMP listen IP when it is a specific one, else this machine's first
   * non-loopback IPv4 address, else 127.0.0.1.
   */
  registry_host: custom((r) => {
    const v = r.raw();
    if (v !== undefined && !/^(?:[A-Za-z0-9._-]{1,253}|[0-9a-fA-F:.]{2,45})$/.test(v)) r.fail(`invalid registry_host '${v}': expected a host name or an IP address`);
    else return v;
    return undefined;
  }),
  /**
   * tsrs: this node's name in the cluster's live view (socket.io over the registry's Redis) and in
   * its history rows; 1-64 characters of [A-Za-z0-9._:@-]; unset: hostname:api-port. Read from
   * the first vhost that sets it.
   */
  node_id: optStr(),
};

function readRegistry(r: FieldReader): string | undefined {
  const v = r.raw();
  if (v === undefined) return undefined;
  const u = parseRegistryUrl(v);
  if (typeof u === 'string') {
    r.fail(`invalid registry: ${u}`);
    return undefined;
  }
  return v.trim();
}

export interface SecurityRule {
  action: 'allow' | 'deny';
  method: 'publish' | 'play';
  /** `all`, an IP, or a CIDR such as `10.0.0.0/8`. */
  value: string;
}

function isIpOrCidr(v: string): boolean {
  const [ip, bits, more] = v.split('/');
  if (more !== undefined) return false;
  const family = isIP(ip);
  if (!family) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

/** `allow|deny publish|play all|ip|cidr;`, in file order (each extra value is one more rule). */
function readSecurityRules(r: FieldReader): SecurityRule[] {
  const rules: SecurityRule[] = [];
  for (const d of r.section?.children ?? []) {
    if (d.name !== 'allow' && d.name !== 'deny') continue;
    const [method, ...values] = d.args;
    if (method !== 'publish' && method !== 'play') {
      r.fail(`invalid security rule '${d.name} ${d.args.join(' ')}': expected ${d.name} publish|play all|<ip>|<cidr>`, d);
      continue;
    }
    if (values.length === 0) r.fail(`security rule '${d.name} ${method}' needs all, an IP or a CIDR`, d);
    for (const value of values) {
      if (value === 'all' || isIpOrCidr(value)) rules.push({ action: d.name, method, value });
      else r.fail(`invalid security rule value '${value}': expected all, an IP or a CIDR`, d);
    }
  }
  return rules;
}

export const securitySchema = {
  enabled: bool(false),
  /** Read from the `allow` and `deny` lines. */
  rules: custom(readSecurityRules),
};

export const referSchema = { enabled: bool(false), all: list(), publish: list(), play: list() };

export const httpStaticSchema = { enabled: bool(false), mount: str('[vhost]/'), dir: str('./objs/nginx/html') };

export const httpRemuxSchema = {
  enabled: bool(false),
  /** seconds of audio cached for fast start, 0 = off */
  fast_cache: num(0, { min: 0 }),
  drop_if_not_match: bool(true),
  has_audio: bool(true),
  has_video: bool(true),
  guess_has_av: bool(true),
  /** The suffix picks the format: .flv, .ts, .mp3, .aac. */
  mount: str('[vhost]/[app]/[stream].flv'),
};

export const httpHooksSchema = {
  enabled: bool(false),
  on_connect: list(),
  on_close: list(),
  on_publish: list(),
  on_unpublish: list(),
  on_play: list(),
  on_stop: list(),
  on_dvr: list(),
  on_hls: list(),
  on_hls_notify: list(),
};

export const execSchema = {
  enabled: bool(false),
  /** One command (argv) per `publish` line. */
  publish: custom((r) => r.all.map((d) => [...d.args])),
};

export const dashSchema = {
  enabled: bool(false),
  dash_fragment: num(30, { positive: true }),
  dash_update_period: num(150, { positive: true }),
  dash_timeshift: num(300, { positive: true }),
  dash_path: str('./objs/nginx/html'),
  dash_mpd_file: str('[app]/[stream].mpd'),
  dash_window_size: int(5, { positive: true }),
  dash_cleanup: bool(true),
  dash_dispose: num(120, { min: 0 }),
};

export const hlsSchema = {
  enabled: bool(false),
  hls_fragment: num(10, { positive: true }),
  hls_td_ratio: num(1.0, { positive: true }),
  hls_aof_ratio: num(2.1, { positive: true }),
  hls_window: num(60, { positive: true }),
  hls_on_error: oneOf(['continue', 'ignore', 'disconnect'], 'continue'),
  hls_path: str('./objs/nginx/html'),
  hls_m3u8_file: str('[app]/[stream].m3u8'),
  hls_ts_file: str('[app]/[stream]-[seq].ts'),
  hls_entry_prefix: str(''),
  hls_acodec: oneOf(['aac', 'mp3', 'an'], 'aac'),
  hls_vcodec: oneOf(['h264', 'h265', 'vn'], 'h264'),
  hls_cleanup: bool(true),
  /** seconds without packets before everything is deleted, 0 = never */
  hls_dispose: num(120, { min: 0 }),
  hls_wait_keyframe: bool(true),
  /**
   * tsrs: an open segment that reaches this many bytes is dropped (not written) and the next
   * segment waits for a keyframe, so a publisher that never sends one cannot make tsrs hold a
   * segment without end; with timestamps that advance, a segment is also cut at
   * hls_fragment x hls_aof_ratio whether or not a keyframe came (SRS's absolute overflow).
   * Closed segments waiting for the disk hold at most this (or one segment); past it a segment is
   * dropped. 0 = no byte bound. Default 32 MiB (21 s at 12 Mbit/s).
   */
  hls_max_segment_bytes: int(32 * 1024 * 1024, { min: 0 }),
  hls_ts_floor: bool(false),
  hls_nb_notify: int(64, { min: 0 }),
  hls_ctx: bool(true),
  hls_ts_ctx: bool(true),
  hls_keys: bool(false),
  hls_fragments_per_key: int(5, { positive: true }),
  hls_key_file: str('[app]/[stream]-[seq].key'),
  /** Defaults to hls_path (filled in by the vhost view). */
  hls_key_file_path: optStr(),
  hls_key_url: str(''),
  hls_dts_directly: bool(true),
  hls_recover: bool(true),
  /** tsrs extension: fMP4 (CMAF) segments instead of MPEG-TS. */
  hls_use_fmp4: bool(false),
  /** tsrs extension, with hls_use_fmp4. */
  hls_fmp4_file: str('[app]/[stream]-[seq].m4s'),
  /** tsrs extension, with hls_use_fmp4. */
  hls_init_file: str('[app]/[stream]/init.mp4'),
};

export const hdsSchema = {
  enabled: bool(false),
  hds_fragment: num(10, { positive: true }),
  hds_window: num(60, { positive: true }),
  hds_path: str('./objs/nginx/html'),
};

export const dvrSchema = {
  enabled: bool(false),
  /** `all`, or `app/stream` entries. */
  dvr_apply: list(['all']),
  dvr_plan: oneOf(['session', 'segment'], 'session'),
  dvr_path: str('./objs/nginx/html/[app]/[stream].[timestamp].flv'),
  dvr_duration: num(30, { positive: true }),
  dvr_wait_keyframe: bool(true),
  time_jitter: timeJitter(),
  /**
   * tsrs: bytes of a recording accepted but not yet on disk; past it (a disk slower than the
   * publisher) the recording stops with a write error instead of holding more. 0 = no bound.
   * Default 64 MiB.
   */
  dvr_max_pending_bytes: int(64 * 1024 * 1024, { min: 0 }),
};

/** An FFmpeg engine of ingest/transcode; output variables are expanded by the app. */
export const engineSchema = {
  enabled: bool(false),
  perfile: params(),
  iformat: optStr(),
  vfilter: params(),
  vcodec: optStr(),
  vbitrate: num(0, { min: 0 }),
  vfps: num(0, { min: 0 }),
  vwidth: int(0, { min: 0 }),
  vheight: int(0, { min: 0 }),
  vthreads: int(1, { min: 0 }),
  vprofile: optStr(),
  vpreset: optStr(),
  vparams: params(),
  acodec: optStr(),
  abitrate: num(0, { min: 0 }),
  asample_rate: int(0, { min: 0 }),
  achannels: int(0, { min: 0 }),
  aparams: params(),
  oformat: str('flv'),
  output: optStr(),
};

export const ingestSchema = {
  enabled: bool(false),
  input: section({ type: oneOf(['file', 'stream'], 'file'), url: str('') }),
  ffmpeg: str('./objs/ffmpeg/bin/ffmpeg'),
  engine: blocks(engineSchema),
  /**
   * tsrs (beyond SRS): start the FFmpeg only when a player asks for the stream an engine's
   * output names (`stream:demand`), stop it once the stream has had no player for
   * `on_demand_hold` seconds. Off: started with the server, as SRS.
   */
  on_demand: bool(false),
  /** tsrs: seconds without a player before an on-demand ingest stops */
  on_demand_hold: num(10, { min: 0 }),
};

export const transcodeSchema = {
  enabled: bool(false),
  ffmpeg: str('./objs/ffmpeg/bin/ffmpeg'),
  engine: blocks(engineSchema),
};

export const rtcSchema = {
  enabled: bool(false),
  nack: bool(true),
  nack_no_copy: bool(true),
  /**
   * tsrs (SRS has no such bound): RTP packets a second that one WebRTC player's NACKs may have
   * resent (from each track's last 128 packets), in a burst of at most one second's worth;
   * packets NACKed past it are not resent, so a NACK storm cannot multiply what the server sends
   * the player. 0 = no bound. Default 100 (about 1 Mbit/s of 1200-byte packets).
   */
  tsrs_nack_pps: int(100, { min: 0 }),
  twcc: bool(true),
  /** seconds */
  stun_timeout: num(30, { positive: true }),
  stun_strict_check: bool(false),
  dtls_role: oneOf(['passive', 'active'], 'passive'),
  dtls_version: oneOf(['auto', 'dtls1.0', 'dtls1.2'], 'auto'),
  drop_for_pt: int(0, { min: 0, max: 127 }),
  rtmp_to_rtc: bool(false),
  keep_bframe: bool(false),
  keep_avc_nalu_sei: bool(true),
  opus_bitrate: int(48000, { positive: true }),
  rtc_to_rtmp: bool(false),
  /** seconds between PLIs asked for the RTMP side */
  pli_for_rtmp: num(6, { min: 0 }),
  aac_bitrate: int(48000, { positive: true }),
};

export const srtSchema = { enabled: bool(false), srt_to_rtmp: bool(true) };

export const vhostSchema = {
  enabled: bool(true),
  min_latency: bool(false),
  tcp_nodelay: bool(false),
  /** Falls back to the global chunk_size (filled in by the vhost view). */
  chunk_size: optNum({ min: 128, max: 65536, integer: true }),
  in_ack_size: int(0, { min: 0 }),
  out_ack_size: int(2500000, { min: 0 }),
  play: section(playSchema),
  publish: section(publishSchema),
  cluster: section(clusterSchema),
  /**
   * SRS's forward: push every published stream to each `destination` (`host[:port]`, port 1935 by
   * default; tsrs also takes a full `rtmp://` URL with [vhost] [app] [stream] [param]), or to the
   * URLs SRS 5's `backend` answers per stream (then `destination` is ignored).
   * tsrs: `queue_length` (seconds) and `queue_max_bytes` bound each forwarder's queue: past either
   * it drops to the next keyframe (counted); defaults 10 s and 16 MiB.
   */
  forward: section({
    enabled: bool(false),
    destination: list(),
    backend: str(''),
    queue_length: num(10, { min: 0.5 }),
    queue_max_bytes: int(16 * 1024 * 1024, { min: 64 * 1024 }),
  }),
  // The directives are `allow`/`deny` lines, not `rules`.
  security: withKnown(section(securitySchema), { enabled: 'any', allow: 'any', deny: 'any' }),
  refer: section(referSchema),
  http_static: section(httpStaticSchema),
  http_remux: section(httpRemuxSchema),
  http_hooks: section(httpHooksSchema),
  exec: section(execSchema),
  dash: section(dashSchema),
  hls: section(hlsSchema),
  hds: section(hdsSchema),
  dvr: section(dvrSchema),
  ingest: blocks(ingestSchema),
  /** The id is the scope: '' (all), `app` or `app/stream`. */
  transcode: blocks(transcodeSchema),
  rtc: section(rtcSchema),
  srt: section(srtSchema),
};
