/**
 * The soak test's server side: the tsrs it starts (config in a temp dir, log to a file), the
 * in-process hook server that refuses some plays and publishes, or an existing server given
 * by URLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync, readFileSync, closeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/bench/dist/src -> packages/server/dist/src/cli.js */
export const TSRS_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'server', 'dist', 'src', 'cli.js');

export interface SoakTarget {
  rtmp: { host: string; port: number };
  http: { host: string; port: number };
  api: string;
  /** the server process (ours), or undefined when attached without --pid */
  pid: number | undefined;
  /** ours: the process, the config file and its dir */
  own?: OwnServer;
  /** hook refusals are part of the run (our config points hooks at our hook server) */
  hooks: boolean;
}

export interface OwnServer {
  proc: ChildProcess;
  conf: string;
  dir: string;
  log: string;
  /** null while running; the exit code (or signal name) once it exited */
  exit: { code: number | null; signal: string | null; at: number } | null;
  exited: Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface SoakPorts {
  rtmp: number;
  http: number;
  api: number;
  hooks: number;
}

/**
 * The soak config: HTTP-FLV, HLS with hls_ctx, DVR on the `rec` app's streams, every gating
 * hook pointing at our hook server, security rules, the raw API with reload allowed, API auth off.
 * `generation` goes into a comment: reloads rewrite the file with the next one.
 */
export function soakConf(p: SoakPorts, dir: string, generation = 0): string {
  const hook = (path: string) => `http://127.0.0.1:${p.hooks}${path}`;
  const dvrStreams = ['rec/healthy1', ...Array.from({ length: 8 }, (_, i) => `rec/churn${i}`)].join(' ');
  return `# tsrs soak config (written by tsrs-bench soak), generation ${generation}
listen ${p.rtmp};
max_connections 1000;
daemon off;
pid ${join(dir, 'tsrs.pid')};
srs_log_tank file;
srs_log_file ${join(dir, 'tsrs.log')};
srs_log_level warn;
http_api {
  enabled on;
  listen ${p.api};
  raw_api { enabled on; allow_reload on; }
}
http_server { enabled on; listen ${p.http}; dir ${join(dir, 'html')}; }
vhost __defaultVhost__ {
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
  hls {
    enabled on;
    hls_path ${join(dir, 'html')};
    hls_fragment 2;
    hls_window 10;
    hls_dispose 30;
    hls_ctx on;
    hls_ts_ctx on;
  }
  dvr {
    enabled on;
    dvr_apply ${dvrStreams};
    dvr_plan segment;
    dvr_duration 60;
    dvr_path ${join(dir, 'dvr')}/[app]/[stream].[timestamp].flv;
  }
  http_hooks {
    enabled on;
    on_publish ${hook('/publish')};
    on_unpublish ${hook('/unpublish')};
    on_play ${hook('/play')};
    on_stop ${hook('/stop')};
    on_dvr ${hook('/dvr')};
  }
  security {
    enabled on;
    allow publish 127.0.0.1;
    allow publish ::1;
    deny publish 203.0.113.1;
    allow play all;
  }
}
`;
}

/** Refused by the hook server: a stream name starting with `refuse`, or `refuse` in the query. */
export function hookRefuses(body: { stream?: unknown; param?: unknown }): boolean {
  return String(body.stream ?? '').startsWith('refuse') || /(^|[?&])refuse\b/.test(String(body.param ?? ''));
}

export interface HookServer {
  port: number;
  calls: Map<string, number>;
  refused: number;
  close(): Promise<void>;
}

/** The hook server: answers `{"code":0}`, or `{"code":403}` to on_publish/on_play when hookRefuses(). */
export async function startHookServer(): Promise<HookServer> {
  const calls = new Map<string, number>();
  const hs: HookServer = { port: 0, calls, refused: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= 64 * 1024) chunks.push(d);
    });
    req.on('end', () => {
      let body: { action?: string; stream?: unknown; param?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // not JSON: allowed, counted under its path
      }
      const action = body.action ?? req.url ?? '?';
      calls.set(action, (calls.get(action) ?? 0) + 1);
      const gate = action === 'on_publish' || action === 'on_play';
      const refuse = gate && hookRefuses(body);
      if (refuse) hs.refused++;
      res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(refuse ? '{"code":403}' : '{"code":0}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hs.port = (server.address() as AddressInfo).port;
  hs.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return hs;
}

/** Starts tsrs with the soak config in `dir`; resolves once it said it started. */
export async function startOwnServer(dir: string, hooksPort: number): Promise<{ target: SoakTarget; ports: SoakPorts }> {
  const ports: SoakPorts = { rtmp: await freePort(), http: await freePort(), api: await freePort(), hooks: hooksPort };
  const conf = join(dir, 'soak.conf');
  writeFileSync(conf, soakConf(ports, dir));
  // stdout/stderr (startup lines, crashes) to a file: a long run must not keep them in memory
  const out = join(dir, 'tsrs.stdout.log');
  const fd = openSync(out, 'w');
  const proc = spawn(process.execPath, [TSRS_CLI, '-c', conf], { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const own: OwnServer = { proc, conf, dir, log: join(dir, 'tsrs.log'), exit: null, exited: Promise.resolve() };
  own.exited = new Promise<void>((r) =>
    proc.once('exit', (code, signal) => {
      own.exit = { code, signal, at: Date.now() };
      r();
    }),
  );
  // Ready once every listener accepts (the log is at warn level: no "started" line to wait for).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await Promise.all([ports.rtmp, ports.http, ports.api].map((p) => canConnect(p)));
    if (up.every(Boolean)) break;
    if (own.exit || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tsrs did not start (see ${out}):\n${(readText(out) + readText(own.log)).slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ports,
    target: {
      rtmp: { host: '127.0.0.1', port: ports.rtmp },
      http: { host: '127.0.0.1', port: ports.http },
      api: `http://127.0.0.1:${ports.api}`,
      pid: proc.pid,
      own,
      hooks: true,
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `--server rtmp://h:1935,http://h:8080,http://h:1985`: RTMP, HTTP server and HTTP API, in
 * that order (the API may also be given as api=URL). Hook refusals are skipped (not our hooks).
 */
export function parseServerUrls(spec: string, pid: number | undefined): SoakTarget {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const rtmp = parts.find((p) => p.startsWith('rtmp://'));
  const https = parts.filter((p) => /^(api=)?http:\/\//.test(p));
  const api = https.find((p) => p.startsWith('api=')) ?? https[1];
  const http = https.find((p) => !p.startsWith('api=')) ?? undefined;
  if (!rtmp || !http || !api) throw new Error('--server: rtmp://HOST:PORT,http://HOST:PORT (HTTP server),http://HOST:PORT (API) expected');
  const r = new URL(rtmp.replace(/^rtmp:/, 'http:'));
  const h = new URL(http);
  return {
    rtmp: { host: r.hostname, port: Number(r.port || 1935) },
    http: { host: h.hostname, port: Number(h.port || 80) },
    api: api.replace(/^api=/, '').replace(/\/$/, ''),
    pid,
    hooks: false,
  };
}
