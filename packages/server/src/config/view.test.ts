import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkConfigFile, loadConfig, parseConfig, parseConfigText, validate } from './config.js';
import { diffConfig, diffVhost } from './diff.js';
import { ConfigError, ConfigErrorList } from './errors.js';

const load = (text: string, env: Record<string, string> = {}) => parseConfigText(text, 'v.conf', { env }).config;
/** Parses without validating and returns validate()'s result. */
const check = (text: string, env: Record<string, string> = {}) => validate(parseConfig(text, 'v.conf', { env }).config);

test('global defaults (SRS 6.0)', () => {
  const c = load('listen 1935;');
  const g = c.global;
  assert.deepEqual(g.listen, [{ port: 1935 }]);
  assert.equal(g.max_connections, 1000);
  assert.equal(g.daemon, true);
  assert.equal(g.srs_log_tank, 'file');
  assert.equal(g.srs_log_level, 'trace');
  assert.equal(g.srs_log_file, './objs/srs.log');
  assert.equal(g.pid, './objs/srs.pid');
  assert.equal(g.chunk_size, 60000);
  assert.equal(g.server_id, undefined);
  assert.equal(g.work_dir, './');
  assert.equal(g.pithy_print_ms, 10000);
  assert.deepEqual([g.grace_start_wait, g.grace_final_wait], [2300, 3200]);
  assert.deepEqual(g.heartbeat, {
    enabled: false, interval: 9.9, url: 'http://127.0.0.1:8085/api/v1/servers', device_id: '', summaries: false, ports: false,
  });
  assert.deepEqual(g.exporter, { enabled: false, listen: { port: 9972 }, label: '', tag: '', allow: [] });
  assert.deepEqual(g.request_limits, {
    max_waiting_players: 1000, max_waiting_players_per_ip: 100, max_hls_viewers: 10000, max_hls_viewers_per_ip: 500,
    max_hls_pending: 10000, max_hls_pending_per_ip: 200, hls_pending_timeout: 10,
    max_socketio_sessions: 1000, max_socketio_sessions_per_ip: 50,
  });
  assert.equal(g.max_connections_per_ip, 0);
  assert.equal(g.max_child_processes, 256);
  assert.equal(g.history_max_rows, 1_000_000);
  assert.equal(g.rtmp_max_buffered_bytes, 256 * 1024 * 1024);
  assert.deepEqual(c.http_api, {
    enabled: false, listen: { port: 1985 }, crossdomain: true,
    raw_api: { enabled: false, allow_reload: false, allow_query: false, allow_update: false },
    auth: { enabled: false, username: '', password: '' },
    https: { enabled: false, listen: { port: 1990 }, key: './conf/server.key', cert: './conf/server.crt' },
  });
  assert.deepEqual(c.http_server, {
    enabled: false, listen: { port: 8080 }, dir: './objs/nginx/html', crossdomain: true,
    https: { enabled: false, listen: { port: 8088 }, key: './conf/server.key', cert: './conf/server.crt' },
  });
  const r = c.rtc_server;
  assert.deepEqual([r.enabled, r.listen, r.tcp, r.protocol, r.candidate], [false, 8000, { enabled: false, listen: 8000 }, 'udp', ['*']]);
  assert.deepEqual([r.use_auto_detect_network_ip, r.ip_family, r.api_as_candidates, r.resolve_api_domain, r.keep_api_domain],
    [true, 'ipv4', true, true, false]);
  assert.deepEqual([r.ecdsa, r.encrypt, r.reuseport, r.merge_nalus, r.black_hole], [true, true, 1, false, { enabled: false, addr: '' }]);
  assert.equal(r.max_sessions, 1000);
  assert.equal(r.max_pending_sessions_per_ip, 20);
  const s = c.srt_server;
  assert.deepEqual([s.enabled, s.listen, s.maxbw, s.mss, s.connect_timeout, s.peer_idle_timeout, s.default_app],
    [false, 10080, -1, 1500, 3000, 10000, 'live']);
  assert.deepEqual([s.peerlatency, s.recvlatency, s.latency, s.tsbpdmode, s.tlpktdrop, s.passphrase, s.pbkeylen],
    [0, 120, 120, true, true, '', 0]);
  assert.deepEqual(c.stream_casters, []);
  // a stream_caster block's tsrs bounds
  const caster = load('listen 1935; stream_caster { enabled on; caster mpegts_over_udp; listen 8935; }').stream_casters[0];
  assert.deepEqual([caster.idle_timeout, caster.max_publishers, caster.max_streams, caster.max_pes_bytes, caster.max_pending_bytes], [3, 100, 8, 8 * 1024 * 1024, 32 * 1024 * 1024]);
});

test('vhost defaults, including play/publish/hls/dvr/rtc', () => {
  const v = load('listen 1935; vhost __defaultVhost__ {}').getVhost('__defaultVhost__')!;
  assert.equal(v.name, '__defaultVhost__');
  assert.deepEqual([v.enabled, v.min_latency, v.tcp_nodelay, v.chunk_size, v.in_ack_size, v.out_ack_size],
    [true, false, false, 60000, 0, 2500000]);
  assert.deepEqual(v.play, {
    gop_cache: true, gop_cache_max_frames: 2500, gop_cache_max_bytes: 32 * 1024 * 1024, queue_length: 30,
    queue_max_bytes: 64 * 1024 * 1024, time_jitter: 'full', atc: false, mix_correct: false,
    atc_auto: false, mw_latency: 350, mw_msgs: 8, send_min_interval: 0, reduce_sequence_header: false, waiting_timeout: 30,
  });
  assert.deepEqual(v.publish, {
    mr: false, mr_latency: 350, firstpkt_timeout: 20000, normal_timeout: 5000, parse_sps: true, try_annexb_first: true,
    kickoff_for_idle: 0,
  });
  assert.deepEqual(v.cluster, {
    mode: 'local', origin: [], token_traverse: false, vhost: undefined, debug_srs_upnode: true, origin_cluster: false,
    coworkers: [], protocol: 'rtmp', follow_client: false, edge_idle_timeout: 5,
    registry: undefined, registry_lease: 10, registry_renew: 3, registry_host: undefined, node_id: undefined,
  });
  assert.deepEqual(v.forward, { enabled: false, destination: [], backend: '', queue_length: 10, queue_max_bytes: 16 * 1024 * 1024 });
  assert.deepEqual(v.security, { enabled: false, rules: [] });
  assert.deepEqual(v.http_static, { enabled: false, mount: '[vhost]/', dir: './objs/nginx/html' });
  assert.deepEqual(v.http_remux, {
    enabled: false, fast_cache: 0, drop_if_not_match: true, has_audio: true, has_video: true, guess_has_av: true,
    mount: '[vhost]/[app]/[stream].flv',
  });
  assert.equal(v.http_hooks.enabled, false);
  assert.deepEqual(v.http_hooks.on_publish, []);
  assert.deepEqual(v.exec, { enabled: false, publish: [] });
  const h = v.hls;
  assert.deepEqual([h.enabled, h.hls_fragment, h.hls_td_ratio, h.hls_aof_ratio, h.hls_window, h.hls_on_error],
    [false, 10, 1, 2.1, 60, 'continue']);
  assert.deepEqual([h.hls_path, h.hls_m3u8_file, h.hls_ts_file, h.hls_entry_prefix, h.hls_acodec, h.hls_vcodec],
    ['./objs/nginx/html', '[app]/[stream].m3u8', '[app]/[stream]-[seq].ts', '', 'aac', 'h264']);
  assert.deepEqual([h.hls_cleanup, h.hls_dispose, h.hls_wait_keyframe, h.hls_ts_floor, h.hls_nb_notify, h.hls_ctx, h.hls_ts_ctx],
    [true, 120, true, false, 64, true, true]);
  assert.deepEqual([h.hls_keys, h.hls_fragments_per_key, h.hls_key_file, h.hls_key_file_path, h.hls_dts_directly, h.hls_use_fmp4],
    [false, 5, '[app]/[stream]-[seq].key', './objs/nginx/html', true, false]);
  assert.deepEqual(v.dvr, {
    enabled: false, dvr_apply: ['all'], dvr_plan: 'session', dvr_path: './objs/nginx/html/[app]/[stream].[timestamp].flv',
    dvr_duration: 30, dvr_wait_keyframe: true, time_jitter: 'full', dvr_max_pending_bytes: 64 * 1024 * 1024,
  });
  assert.deepEqual(v.rtc, {
    enabled: false, nack: true, nack_no_copy: true, tsrs_nack_pps: 100, twcc: true, stun_timeout: 30, stun_strict_check: false,
    dtls_role: 'passive', dtls_version: 'auto', drop_for_pt: 0, rtmp_to_rtc: false, keep_bframe: false,
    keep_avc_nalu_sei: true, opus_bitrate: 48000, rtc_to_rtmp: false, pli_for_rtmp: 6, aac_bitrate: 48000,
  });
  assert.deepEqual(v.srt, { enabled: false, srt_to_rtmp: true });
  assert.deepEqual([v.ingest, v.transcode], [[], []]);
});

test('booleans: on and off; absent is the default; any other word is an error at FILE:LINE', () => {
  const c = load(`listen 1935;
daemon off;
http_api { enabled on; crossdomain off; }
vhost a {
    enabled off;
    http_hooks { enabled on; }
    play { gop_cache off; }
    hls { enabled on; hls_cleanup off; }
    http_remux { has_audio off; }
}`);
  assert.equal(c.global.daemon, false);
  assert.equal(c.http_api.enabled, true);
  assert.equal(c.http_api.crossdomain, false);
  const v = c.getVhost('a')!;
  assert.equal(v.enabled, false);
  assert.equal(v.http_hooks.enabled, true);
  assert.equal(v.play.gop_cache, false);
  assert.deepEqual([v.hls.enabled, v.hls.hls_cleanup, v.hls.hls_wait_keyframe], [true, false, true]);
  assert.deepEqual([v.http_remux.enabled, v.http_remux.has_audio], [false, false]);
  // SRS would read `yes` as on or off depending on the field; a listener silently off is worse
  const r = check('listen 1935;\nhttp_api { enabled yes; }\nvhost a {\n  hls { enabled true; }\n  dvr { dvr_wait_keyframe 1; }\n}');
  assert.deepEqual(r.errors.map((e) => e.message), [
    `v.conf:2: invalid enabled 'yes': expected on or off`,
    `v.conf:4: invalid enabled 'true': expected on or off`,
    `v.conf:5: invalid dvr_wait_keyframe '1': expected on or off`,
  ]);
  assert.throws(() => load('listen 1935;\nhttp_api { enabled yes; }'), /v\.conf:2: invalid enabled 'yes'/);
});

test('listen: several ports, ip:port, [ipv6]:port', () => {
  const c = load('listen 1935 127.0.0.1:1936 [::]:1937 [::1]:1938;\nhttp_api { enabled on; listen 0.0.0.0:1985; }');
  assert.deepEqual(c.listen, [{ port: 1935 }, { host: '127.0.0.1', port: 1936 }, { host: '::', port: 1937 }, { host: '::1', port: 1938 }]);
  assert.deepEqual(c.http_api.listen, { host: '0.0.0.0', port: 1985 });
});

test('invalid values of known directives are errors with file:line', () => {
  const cases: Array<[string, RegExp]> = [
    ['listen abc;', /^v\.conf:1: invalid listen 'abc'/],
    ['listen 1935;\nlisten2 1;\nvhost a {\n  hls { hls_fragment -1; }\n}', /^v\.conf:4: invalid hls_fragment '-1': expected a number > 0/],
    ['listen 1935;\nvhost a {\n  play {\n    time_jitter bogus;\n  }\n}', /^v\.conf:4: invalid time_jitter 'bogus': expected full\|zero\|off/],
    ['listen 1935;\nmax_connections lots;', /^v\.conf:2: invalid max_connections 'lots'/],
    ['listen 99999;', /^v\.conf:1: invalid listen '99999'/],
    ['listen 1935;\nhttp_server { listen x:y; }', /^v\.conf:2: invalid listen 'x:y'/],
    ['listen 1935;\nvhost a {\n dvr { dvr_plan append; }\n}', /^v\.conf:3: invalid dvr_plan 'append'/],
    ['listen 1935;\nchunk_size 64;', /^v\.conf:2: invalid chunk_size '64': expected an integer >= 128 <= 65536/],
    ['listen 1935;\nvhost a {\n security { enabled on; allow publish 1.2.3.999; }\n}', /^v\.conf:3: invalid security rule value '1\.2\.3\.999'/],
    ['listen 1935;\nvhost a {\n security { deny push all; }\n}', /^v\.conf:3: invalid security rule 'deny push all'/],
    ['listen 1935;\nvhost {\n}', /^v\.conf:2: vhost needs exactly one name/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => load(text), (e: unknown) => e instanceof ConfigError && re.test(e.message), text);
  }
  // validate() collects every error instead of stopping at the first
  const v = check('listen abc;\nvhost a {\n hls { hls_fragment -1; hls_window x; }\n}');
  assert.deepEqual(v.errors.map((e) => e.line), [1, 3, 3]);
});

test("missing listen is an error (SRS: 'listen requires params'), unless SRS_LISTEN or a fragment", () => {
  assert.match(check('vhost a {}').errors[0].message, /^v\.conf:1: missing 'listen'/);
  assert.deepEqual(check('vhost a {}', { SRS_LISTEN: '1935' }).errors, []);
  assert.deepEqual(validate(parseConfig('vhost a {}', 'v.conf').config, { fragment: true }).errors, []);
});

test('unknown directives are kept and warned about, never fatal', () => {
  const { config, warnings } = parseConfigText('listen 1935;\nfoo bar;\nvhost a {\n  hls { hls_foo 1; }\n  bar { x; }\n}', 'v.conf');
  assert.deepEqual(warnings, [
    "v.conf:2: unknown directive 'foo' ignored",
    "v.conf:4: unknown directive 'vhost.hls.hls_foo' ignored",
    "v.conf:5: unknown directive 'vhost.bar' ignored",
  ]);
  assert.equal(config.root.get('foo')?.arg0, 'bar');
});

test('getVhost: exact name, else __defaultVhost__ only when configured', () => {
  const c = load('listen 1935;\nvhost a.com { chunk_size 4096; }\nvhost __defaultVhost__ { hls { enabled on; } }\nvhost off.com { enabled off; }');
  assert.equal(c.getVhost('a.com')!.name, 'a.com');
  assert.equal(c.getVhost('a.com')!.chunk_size, 4096);
  assert.equal(c.getVhost('a.com')!.hls.enabled, false);
  assert.equal(c.getVhost('other.com')!.name, '__defaultVhost__');
  assert.equal(c.getVhost('other.com')!.hls.enabled, true);
  assert.equal(c.getVhost('off.com')!.enabled, false);
  assert.deepEqual(c.vhostNames(), ['a.com', '__defaultVhost__', 'off.com']);
  const noDefault = load('listen 1935;\nvhost a.com {}');
  assert.equal(noDefault.getVhost('b.com'), undefined);
  assert.equal(noDefault.getVhost('a.com')!.name, 'a.com');
});

test('min_latency makes mw_latency and mw_msgs default to 0; explicit values win', () => {
  const c = load('listen 1935;\nvhost rt { min_latency on; }\nvhost rt2 { min_latency on; play { mw_latency 20; mw_msgs 500; } }');
  assert.deepEqual([c.getVhost('rt')!.play.mw_latency, c.getVhost('rt')!.play.mw_msgs], [0, 0]);
  assert.deepEqual([c.getVhost('rt2')!.play.mw_latency, c.getVhost('rt2')!.play.mw_msgs], [20, 128]);
});

test('security rules in file order', () => {
  const v = load(`listen 1935;
vhost a {
    security {
        enabled on;
        deny publish all;
        allow play 10.0.0.0/8 ::1;
        allow publish 127.0.0.1;
    }
}`).getVhost('a')!;
  assert.equal(v.security.enabled, true);
  assert.deepEqual(v.security.rules, [
    { action: 'deny', method: 'publish', value: 'all' },
    { action: 'allow', method: 'play', value: '10.0.0.0/8' },
    { action: 'allow', method: 'play', value: '::1' },
    { action: 'allow', method: 'publish', value: '127.0.0.1' },
  ]);
});

test('hooks, exec, ingest, transcode and stream_caster lists', () => {
  const c = load(`listen 1935;
stream_caster { enabled on; caster flv; output rtmp://127.0.0.1/[app]/[stream]; listen 8936; }
stream_caster { caster mpegts_over_udp; listen 8935; }
vhost a {
    http_hooks { enabled on; on_publish http://a/1 http://b/2; on_hls_notify http://c/[app]; }
    exec { enabled on; publish ffmpeg -i [url] -c copy x.flv; publish echo hi; }
    ingest cam1 { enabled on; input { type stream; url rtsp://x; } engine { enabled off; output rtmp://o; } }
    transcode live/s {
        enabled on;
        engine hd { enabled on; vcodec libx264; vwidth 1280; vfilter { i logo.png; filter_complex 'overlay=10:10'; } }
    }
}`);
  assert.deepEqual(c.stream_casters.map((s) => [s.enabled, s.caster, s.listen]), [[true, 'flv', 8936], [false, 'mpegts_over_udp', 8935]]);
  const v = c.getVhost('a')!;
  assert.deepEqual(v.http_hooks.on_publish, ['http://a/1', 'http://b/2']);
  assert.deepEqual(v.http_hooks.on_hls_notify, ['http://c/[app]']);
  assert.deepEqual(v.exec.publish, [['ffmpeg', '-i', '[url]', '-c', 'copy', 'x.flv'], ['echo', 'hi']]);
  assert.equal(v.ingest[0].id, 'cam1');
  assert.deepEqual(v.ingest[0].input, { type: 'stream', url: 'rtsp://x' });
  assert.equal(v.ingest[0].engine[0].output, 'rtmp://o');
  const t = v.transcode[0];
  assert.deepEqual([t.id, t.enabled, t.engine[0].id, t.engine[0].vwidth], ['live/s', true, 'hd', 1280]);
  assert.deepEqual(t.engine[0].vfilter, [{ name: 'i', args: ['logo.png'] }, { name: 'filter_complex', args: ['overlay=10:10'] }]);
});

test('env overrides: SRS_ and TSRS_ + upper-cased path; vhost keys apply to all vhosts', () => {
  const text = 'listen 1935;\nhttp_api { enabled off; listen 1985; }\nvhost a { hls { enabled off; } }\nvhost b {}';
  const c = load(text, {
    SRS_LISTEN: '19350 19351',
    SRS_HTTP_API_ENABLED: 'on',
    SRS_HTTP_API_LISTEN: '127.0.0.1:9985',
    SRS_HTTP_API_RAW_API_ENABLED: 'on',
    SRS_VHOST_HLS_ENABLED: 'on',
    SRS_VHOST_HTTP_HOOKS_ON_PUBLISH: 'http://x/1 http://y/2',
    SRS_VHOST_PLAY_GOP_CACHE: 'off',
    SRS_RTC_SERVER_CANDIDATE: '1.2.3.4',
    SRS_DAEMON: '',
  });
  assert.deepEqual(c.listen, [{ port: 19350 }, { port: 19351 }]);
  assert.equal(c.http_api.enabled, true);
  assert.deepEqual(c.http_api.listen, { host: '127.0.0.1', port: 9985 });
  assert.equal(c.http_api.raw_api.enabled, true);
  assert.deepEqual(c.rtc_server.candidate, ['1.2.3.4']);
  assert.equal(c.global.daemon, true); // empty env value does not win
  for (const name of ['a', 'b']) {
    const v = c.getVhost(name)!;
    assert.equal(v.hls.enabled, true);
    assert.equal(v.play.gop_cache, false);
    assert.deepEqual(v.http_hooks.on_publish, ['http://x/1', 'http://y/2']);
  }
  // TSRS_ wins over SRS_
  assert.equal(load('listen 1935;', { SRS_MAX_CONNECTIONS: '10', TSRS_MAX_CONNECTIONS: '20' }).global.max_connections, 20);
  // an invalid env value is an error naming the variable
  assert.throws(() => load('listen 1935;', { SRS_LISTEN: 'abc' }), (e: unknown) =>
    e instanceof ConfigError && e.message.startsWith(`$SRS_LISTEN:0: invalid listen 'abc'`));
});

test('diffConfig lists changed sections for reload', () => {
  const a = load('listen 1935;\nhttp_api { enabled on; }\nvhost a { hls { enabled on; } }\nvhost b {}\nvhost c {}');
  const b = load('listen 1936;\nhttp_api { enabled on; }\nhttp_server { enabled on; }\nvhost a { hls { enabled off; } }\nvhost c {}\nvhost d {}');
  assert.deepEqual(diffConfig(a, b), ['listen', 'http_server', 'vhost:a:changed', 'vhost:d:added', 'vhost:b:removed']);
  assert.deepEqual(diffConfig(a, a), []);
  assert.deepEqual(diffVhost(a.root.find('vhost', 'a'), b.root.find('vhost', 'a')), ['hls']);
  // place (file/line) is no change
  assert.deepEqual(diffConfig(load('listen 1935;'), load('\n\nlisten   1935;')), []);
});

test('loadConfig and checkConfigFile name file and line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsrs-conf-'));
  const good = path.join(dir, 'good.conf');
  writeFileSync(good, 'listen 1935;\nweird 1;\nvhost a { hls { enabled on; } }\n');
  const { config, warnings } = loadConfig(good, {});
  assert.equal(config.getVhost('a')!.hls.enabled, true);
  assert.deepEqual(warnings, [`${good}:2: unknown directive 'weird' ignored`]);
  assert.deepEqual(checkConfigFile(good, {}), { ok: true, errors: [], warnings });

  const bad = path.join(dir, 'bad.conf');
  writeFileSync(bad, 'listen 1935;\nvhost a {\n  hls { hls_fragment 0; hls_window -3; }\n}\n');
  const r = checkConfigFile(bad, {});
  assert.equal(r.ok, false);
  assert.deepEqual(r.errors, [
    `${bad}:3: invalid hls_fragment '0': expected a number > 0`,
    `${bad}:3: invalid hls_window '-3': expected a number > 0`,
  ]);
  assert.throws(() => loadConfig(bad, {}), (e: unknown) => e instanceof ConfigError && e.line === 3);

  const syntax = path.join(dir, 'syntax.conf');
  writeFileSync(syntax, 'listen 1935;\nvhost a {\n');
  assert.deepEqual(checkConfigFile(syntax, {}), {
    ok: false,
    errors: [`${syntax}:2: block 'vhost a' is not closed (no '}' before the end of the file at line 3)`],
    warnings: [],
  });
  // every error at once: parse errors the parser steps over, then value errors
  const many = path.join(dir, 'many.conf');
  writeFileSync(many, 'listen 1935;\ninclude gone.conf;\nmax_connections abc;\n}\nvhost a {\n  hls { hls_fragment 0;\n}\n');
  assert.deepEqual(checkConfigFile(many, {}).errors, [
    `${many}:2: include file 'gone.conf' not found`,
    `${many}:4: unexpected '}' (no block is open here)`,
    `${many}:5: block 'vhost a' is not closed (no '}' before the end of the file at line 8)`,
    `${many}:3: invalid max_connections 'abc': expected an integer > 0`,
    `${many}:6: invalid hls_fragment '0': expected a number > 0`,
  ]);
  assert.throws(() => loadConfig(many, {}), (e: unknown) => e instanceof ConfigErrorList && e.all.length === 5 && e.message.split('\n').length === 5);
  const missing = checkConfigFile(path.join(dir, 'nope.conf'), {});
  assert.equal(missing.ok, false);
  assert.match(missing.errors[0], /nope\.conf:0: cannot read config file/);
});

test('sections tsrs does not run yet: one warning each at FILE:LINE when turned on, none when off', () => {
  const text = `listen 1935;
rtc_server { enabled on; listen 8000; protocol all; }
srt_server { enabled off; }
stream_caster { enabled on; caster gb28181; }
stream_caster { enabled on; caster flv; listen 8936; }
vhost edge {
  cluster { mode remote; origin 10.0.0.1:1935; protocol flv; }
  forward { enabled on; destination 127.0.0.1:1936; }
  exec { enabled off; }
  ingest cam { enabled on; }
  transcode live { enabled on; }
  rtc { enabled on; }
}
vhost quiet {
  cluster { mode local; }
  forward { enabled off; }
}`;
  const w = check(text).warnings.filter((x) => !x.includes('unknown directive'));
  assert.deepEqual(w, [
    `v.conf:7: vhost edge: cluster protocol flv is not run by tsrs yet: the edge pulls over RTMP`,
    `v.conf:12: vhost edge: rtc_to_rtmp off is not run by tsrs: a WebRTC publisher's stream reaches RTMP, HTTP-FLV and HLS players all the same (one Source per stream)`,
    `v.conf:2: rtc_server: WebRTC over TCP (tcp, protocol tcp/all) is not run by tsrs yet: UDP only`,
    `v.conf:4: stream_caster gb28181 is on, but tsrs does not run that caster yet (only flv, mpegts_over_udp): ignored`,
  ]);
  // from the environment too (SRS_SRT_SERVER_ENABLED=on), pointing at the variable's scope
  const env = check('listen 1935;', { SRS_SRT_SERVER_ENABLED: 'on' }).warnings;
  assert.equal(env.length, 1);
  assert.match(env[0], /srt_server is on/);
  // the global sections tsrs does not run: heartbeat, Tencent Cloud, a log file (circuit_breaker is run: no warning)
  const globals = check(`listen 1935;
heartbeat { enabled on; url http://127.0.0.1:8085/api/v1/servers; }
circuit_breaker { enabled on; }
tencentcloud_cls { enabled on; }
tencentcloud_apm { enabled off; }
srs_log_tank file;`).warnings;
  assert.deepEqual(globals, [
    'v.conf:2: heartbeat is on, but tsrs does not run the heartbeat (no POST to its url) yet: ignored',
    'v.conf:4: tencentcloud_cls is on, but tsrs does not run Tencent Cloud logging or tracing yet: ignored',
    'v.conf:6: srs_log_tank file: tsrs does not write a log file yet, it logs to the console (stdout): srs_log_file ignored',
  ]);
  assert.deepEqual(check('listen 1935;\nheartbeat { enabled off; }\ncircuit_breaker { enabled off; }\nsrs_log_tank console;').warnings, []);
  // WebRTC over UDP is run, publishers and players: no warning
  assert.deepEqual(check('listen 1935;\nrtc_server { enabled on; }\nvhost v { rtc { enabled on; rtc_to_rtmp on; } }').warnings, []);
  assert.deepEqual(check('listen 1935;\nvhost v { rtc { enabled on; rtc_to_rtmp on; rtmp_to_rtc on; } }').warnings, []);
});

test('HLS in MPEG-TS and an HTTP-TS mount on one vhost: an error at the mount (segment requests would hang)', () => {
  const text = (hls: string) => `listen 1935;
vhost __defaultVhost__ {
  hls { enabled on; ${hls} }
  http_remux {
    enabled on;
    mount [vhost]/[app]/[stream].ts;
  }
}`;
  const r = check(text(''));
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /^v\.conf:6: vhost __defaultVhost__: http_remux mount '\[vhost\]\/\[app\]\/\[stream\]\.ts' serves live HTTP-TS, and hls writes \.ts segments/);
  // fMP4 segments (.m4s), a .flv mount, or HLS off: no clash
  assert.deepEqual(check(text('hls_use_fmp4 on;')).errors, []);
  assert.deepEqual(check(text('').replace('[stream].ts;', '[stream].flv;')).errors, []);
  assert.deepEqual(check(text('').replace('hls { enabled on;', 'hls { enabled off;')).errors, []);
});

test('cluster registry: a redis:// address, its lease and host; anything else is an error at FILE:LINE', () => {
  const v = load('listen 1935;\nvhost a {\n  cluster { registry redis://10.0.0.5:7000/2; registry_lease 6; registry_renew 2; registry_host origin-a.lan; }\n}').getVhost('a')!;
  assert.deepEqual([v.cluster.registry, v.cluster.registry_lease, v.cluster.registry_renew, v.cluster.registry_host], ['redis://10.0.0.5:7000/2', 6, 2, 'origin-a.lan']);
  const r = check('listen 1935;\nvhost a {\n  cluster { registry http://h:6379; }\n}\nvhost b {\n  cluster { registry redis://u:secret@h:6379/99; registry_host a/b; }\n}');
  assert.deepEqual(r.errors.map((e) => e.message), [
    `v.conf:3: invalid registry: expected redis://HOST[:PORT][/DB]`,
    `v.conf:6: invalid registry: database 99 out of 0..15`,
    `v.conf:6: invalid registry_host 'a/b': expected a host name or an IP address`,
  ]);
});
