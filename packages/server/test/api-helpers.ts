/** Helpers for the HTTP API integration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
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

export async function streams(server: RunningServer): Promise<Stream[]> {
  return (await api<{ streams: Stream[] }>(server, '/api/v1/streams/')).json.streams;
}

export async function clients(server: RunningServer): Promise<Client[]> {
  return (await api<{ clients: Client[] }>(server, '/api/v1/clients/')).json.clients;
}

/** FFmpeg reading a live URL (RTMP or HTTP-FLV) and discarding it: a real player. */
export function ffmpegPlay(url: string): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', url, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}
