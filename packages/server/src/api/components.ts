/**
 * Schemas of the API's objects (the OpenAPI `components`), mirroring packages/api-types.
 */
import { PROC_STAT_FIELDS } from '@tsrs/api-types';
import { arr, bool, int, num, nullableObj, obj, ref, str, type JsonSchema } from './schema.js';

const kbps = obj({ recv_30s: int('kbps received over 30 s'), send_30s: int('kbps sent over 30 s') });

const procStat: Record<string, JsonSchema> = { ok: bool(), sample_time: int(), percent: num() };
for (const f of PROC_STAT_FIELDS) procStat[f] = f === 'comm' || f === 'state' ? str() : int();

export const COMPONENTS: Record<string, JsonSchema> = {
  Envelope: obj({
    code: int('0 on success'),
    server: str('server_id'),
    service: str('8 random chars per run'),
    pid: str('process id, as a string'),
  }),
  Error: obj({ code: int('SRS error code') }),
  Kbps: kbps,
  Vhost: obj({
    id: str('vid-xxxxxxx'),
    name: str(),
    enabled: bool(),
    clients: int(),
    streams: int(),
    send_bytes: int(),
    recv_bytes: int(),
    kbps: ref('Kbps'),
    hls: obj({ enabled: bool(), fragment: num('seconds') }, ['fragment']),
  }),
  Stream: obj({
    id: str('vid-xxxxxxx'),
    name: str('stream name'),
    vhost: str('the vhost id'),
    app: str(),
    tcUrl: str(),
    url: str('[vhost]/app/stream'),
    live_ms: int('current wall-clock time, ms'),
    clients: int('publisher + players'),
    frames: int('video frames received'),
    send_bytes: int(),
    recv_bytes: int(),
    kbps: ref('Kbps'),
    publish: obj({ active: bool(), cid: str('publisher client id') }, ['cid']),
    video: nullableObj({ codec: str(), profile: str('SRS: the profile_idc name (Baseline, Main, High...)'), tsrs_profile: str('tsrs: the profile with its constraint flags (Constrained Baseline...)'), level: str(), width: int(), height: int() }),
    audio: nullableObj({ codec: str(), sample_rate: int(), channel: int(), profile: str() }),
  }),
  Client: obj({
    id: str('connection context id, 8 chars'),
    vhost: str('the vhost id'),
    stream: str('the stream id'),
    ip: str(),
    pageUrl: str(),
    swfUrl: str(),
    tcUrl: str(),
    url: str('[vhost]/app/stream'),
    name: str('stream name'),
    type: {
      type: 'string',
      enum: ['rtmp-play', 'hls-play', 'flv-play', 'ts-play', 'aac-play', 'mp3-play', 'rtc-play', 'flash-publish', 'fmle-publish',
        'haivision-publish', 'rtc-publish', 'srt-play', 'srt-publish', 'Unknown'],
    },
    publish: bool(),
    alive: num('seconds connected'),
    send_bytes: int(),
    recv_bytes: int(),
    kbps: ref('Kbps'),
  }),
  Versions: obj({ major: int(), minor: int(), revision: int(), version: str(), tsrs_version: str() }),
  Summaries: obj({
    ok: bool(),
    now_ms: int(),
    self: obj({
      version: str(), pid: int(), ppid: int(), argv: str(), cwd: str(), mem_kbyte: int(), mem_percent: num(),
      cpu_percent: num(), srs_uptime: int('seconds'),
    }),
    system: obj(Object.fromEntries([
      ...['cpu_percent', 'disk_busy_percent', 'mem_ram_percent', 'mem_swap_percent', 'uptime', 'ilde_time', 'load_1m', 'load_5m', 'load_15m']
        .map((k) => [k, num()]),
      ...['disk_read_KBps', 'disk_write_KBps', 'mem_ram_kbyte', 'mem_swap_kbyte', 'cpus', 'cpus_online', 'net_sample_time', 'net_recv_bytes',
        'net_send_bytes', 'net_recvi_bytes', 'net_sendi_bytes', 'srs_sample_time', 'srs_recv_bytes', 'srs_send_bytes', 'conn_sys',
        'conn_sys_et', 'conn_sys_tw', 'conn_sys_udp', 'conn_srs'].map((k) => [k, int()]),
    ])),
  }),
  Rusages: obj(Object.fromEntries([['ok', bool()], ...['sample_time', 'ru_utime', 'ru_stime', 'ru_maxrss', 'ru_ixrss', 'ru_idrss', 'ru_isrss',
    'ru_minflt', 'ru_majflt', 'ru_nswap', 'ru_inblock', 'ru_oublock', 'ru_msgsnd', 'ru_msgrcv', 'ru_nsignals', 'ru_nvcsw', 'ru_nivcsw']
    .map((k) => [k, int()])])),
  SelfProcStats: obj(procStat),
  SystemProcStats: obj(Object.fromEntries([['ok', bool()], ['sample_time', int()], ['percent', num()],
    ...['user', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest'].map((k) => [k, int()])])),
  MemInfos: obj(Object.fromEntries([['ok', bool()], ['sample_time', int()], ['percent_ram', num()], ['percent_swap', num()],
    ...['MemActive', 'RealInUse', 'NotInUse', 'MemTotal', 'MemFree', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree'].map((k) => [k, int()])])),
  Authors: obj({ license: str(), contributors: str() }),
  Features: obj({
    options: str(), options2: str(), build: str(), build2: str(),
    features: obj(Object.fromEntries(['ssl', 'hls', 'hds', 'callback', 'api', 'httpd', 'dvr', 'transcode', 'ingest', 'stat', 'caster',
      'complex_send', 'tcp_nodelay', 'so_sendbuf', 'mr'].map((k) => [k, bool()]))),
    tsrs: obj({ rtc: bool(), rtc_reason: str() }),
  }),
  Clusters: obj({
    query: obj({ ip: str(), vhost: str(), app: str(), stream: str() }),
    origin: nullableObj({ ip: str(), port: int(), vhost: str(), api: str(), routers: arr(str()) }),
  }),
};

/** The envelope plus `fields` (all required unless listed in `optional`). */
export function envelope(fields: Record<string, JsonSchema> = {}, optional: string[] = []): JsonSchema {
  return obj({ code: int(), server: str(), service: str(), pid: str(), ...fields }, optional);
}

export const data = (schema: JsonSchema): JsonSchema => envelope({ data: schema });
