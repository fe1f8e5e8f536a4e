/**
 * e2e helper for the console spec: a real tsrs (packages/server/dist, serving apps/console/out at
 * /console/) with HTTP-FLV, HLS (2 s fragments) and the history database in its temp dir, plus the
 * FFmpeg publishers/players the spec drives and small API helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicConf, startServer, type RunningServer } from '../packages/server/dist/test/harness.js';

export { exitOf, ffmpegPublish, ffprobe, kill, waitFor } from '../packages/server/dist/test/harness.js';
export { hlsSegmentCount } from './tsrs.js';

const here = dirname(fileURLToPath(import.meta.url));

export async function startConsoleServer(): Promise<RunningServer> {
  if (!existsSync(join(here, '..', 'apps', 'console', 'out', 'index.html'))) {
    throw new Error('apps/console/out is missing: build first (npx turbo run build)');
  }
  return startServer((p) => basicConf(p, 'hls { enabled on; hls_fragment 2; hls_window 10; hls_path ./html; }'));
}

/** A console URL on the server's HTTP port, pointed at its (random) API port with ?api=. */
export function consoleUrl(server: RunningServer, path = '/'): string {
  const api = `http://127.0.0.1:${server.ports.api}`;
  return server.httpUrl(`/console${path}${path.includes('?') ? '&' : '?'}api=${encodeURIComponent(api)}`);
}

/** `ffmpeg -i rtmp://... -f null -`: an RTMP player that runs until the stream or its connection ends. */
export function ffmpegPlay(url: string): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', url, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function apiGet<T = Record<string, unknown>>(server: RunningServer, path: string): Promise<T> {
  const r = await fetch(server.apiUrl(path));
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export interface ApiStream {
  id: string;
  app: string;
  name: string;
  clients: number;
  publish: { active: boolean; cid?: string };
}

export interface ApiClient {
  id: string;
  ip: string;
  publish: boolean;
  url: string;
  type: string;
}

export async function streamsOf(server: RunningServer): Promise<ApiStream[]> {
  return (await apiGet<{ streams?: ApiStream[] }>(server, '/api/v1/streams/')).streams ?? [];
}

export async function clientsOf(server: RunningServer): Promise<ApiClient[]> {
  return (await apiGet<{ clients?: ApiClient[] }>(server, '/api/v1/clients/')).clients ?? [];
}

/** Numbers as the console prints them ("1,234", "—"); NaN when there is none. */
export function num(text: string | null): number {
  const t = (text ?? '').replace(/[,\s]/g, '');
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
}
