/** Helpers for the HTTP API integration tests. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { Client, Stream } from '@tsrs/api-types';
import type { RunningServer } from './harness.js';

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  json: T & { code: number };
}

/** A request to the API port; the body is parsed as JSON when it is JSON. */
export async function api<T = Record<string, unknown>>(server: RunningServer, path: string, init: RequestInit = {}): Promise<ApiAnswer<T>> {
  const res = await fetch(server.apiUrl(path), { redirect: 'manual', ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T & { code: number } };
}

/** One figure of /metrics (a series without labels); fails the test when it is not there. */
export async function metric(server: RunningServer, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec((await api(server, '/metrics')).text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

export async function streams(server: RunningServer): Promise<Stream[]> {
  return (await api<{ streams: Stream[] }>(server, '/api/v1/streams/?count=10000')).json.streams;
}

export async function clients(server: RunningServer): Promise<Client[]> {
  // SRS pages lists by 10 by default: ask for all of them
  return (await api<{ clients: Client[] }>(server, '/api/v1/clients/?count=10000')).json.clients;
}

/** FFmpeg reading a live URL (RTMP or HTTP-FLV) and discarding it: a real player. */
export function ffmpegPlay(url: string): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', url, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/** One HTTP callback as the hook server received it. */
export interface HookCall {
  /** POST for the callbacks, GET for on_hls_notify */
  method: string;
  path: string;
  /** the JSON body ({} when there is none) */
  body: Record<string, unknown>;
}

export interface HookServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** every call, in arrival order */
  calls: HookCall[];
  /** calls received and neither answered nor given up by the caller yet */
  open(): number;
  /** calls whose caller hung up before the answer */
  abandoned(): number;
  close(): void;
}

/** A hook's answer: a body (HTTP 200), or a status and a body. */
export type HookAnswer = string | { status: number; body: string };

/**
 * A hook server for tests: records each POSTed JSON body and answers with `answer(call)`, which
 * may take its time (a promise) (SRS's allow rule: `0` or `{"code":0}` allows, anything else refuses).
 */
export async function startHookServer(answer: (call: HookCall) => HookAnswer | Promise<HookAnswer> = () => '{"code":0}'): Promise<HookServer> {
  const calls: HookCall[] = [];
  let open = 0;
  let abandoned = 0;
  const server = createServer((req, res) => {
    let text = '';
    let answered = false;
    open++;
    res.once('close', () => {
      open--;
      if (!answered) abandoned++;
    });
    req.on('data', (c) => (text += c));
    req.on('end', async () => {
      const call = { method: req.method ?? '', path: req.url ?? '', body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
      calls.push(call);
      const a = await answer(call);
      if (res.destroyed) return;
      answered = true;
      const { status, body } = typeof a === 'string' ? { status: 200, body: a } : a;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    calls,
    open: () => open,
    abandoned: () => abandoned,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
