/**
 * SRS's HTTP callbacks (`vhost { http_hooks { ... } }`).
 *
 * on_connect / on_publish / on_play gate a decision: they run as an Admission, URLs in order,
 * and the first failure refuses the client. The others (on_close, on_unpublish, on_stop,
 * on_dvr, on_hls, on_hls_notify) are notifications: fired from bus events, their results only
 * logged. Nothing here runs on the media path: a slow hook server delays only the decision it
 * gates, never packets.
 *
 * Bounds, whatever the hook server does: each call ends within the timeout (30 s, SRS's); a
 * decision's call ends as soon as its client hangs up (so decisions in flight never outnumber
 * open connections); and notifications waiting to be sent are capped (`maxQueued`), the
 * newest dropped (logged, counted) past the cap. SRS holds each connection's coroutine, and so
 * the connection, while its hooks run, which bounds it by max_connections.
 */
import type {
  HookAction,
  HookBody,
  OnCloseHook,
  OnConnectHook,
  OnDvrHook,
  OnHlsHook,
  OnPlayHook,
  OnPublishHook,
} from '@tsrs/api-types';
import { isAbsolute, relative, sep } from 'node:path';
import type { Config, HttpHooksView } from '../config/index.js';
import type { Logger } from '../log.js';
import { SRS_COMPAT_VERSION, VERSION } from '../version.js';
import type { Client } from './client.js';
import type { DvrFileEvent, EventBus, HlsSegmentEvent } from './events.js';
import { AdmissionError, type Admission, type Hub } from './hub.js';
import type { ServerIdentity } from './stats-identity.js';
import type { Source } from './source.js';

/** SRS's hook timeout; on_hls_notify uses 10 s. */
export const HOOK_TIMEOUT_MS = 30_000;
const NOTIFY_TIMEOUT_MS = 10_000;
/** SRS reads at most hls_nb_notify (64) bytes of an on_hls_notify answer. */
const NOTIFY_READ_BYTES = 64;
/** A hook answer larger than this is a failure (nobody needs more than `{"code":0}`). */
const MAX_ANSWER_BYTES = 64 * 1024;
/** SRS ERROR_HTTP_HOOK_... family for refusals. */
export const ERROR_HOOK_REFUSED = 1064;
/** Notifications (on_close, on_unpublish, on_stop, on_dvr, on_hls, on_hls_notify) queued at most. */
export const MAX_QUEUED_NOTIFICATIONS = 1000;

const USER_AGENT = `tsrs/${VERSION} (SRS/${SRS_COMPAT_VERSION} compatible)`;

export interface HooksOptions {
  config: () => Config;
  identity: ServerIdentity;
  log: Logger;
  /** to name the stream (`stream_id`) before the client joins it */
  hub: Hub;
  timeoutMs?: number;
  /** notifications waiting or in flight, at most (default MAX_QUEUED_NOTIFICATIONS) */
  maxQueued?: number;
}

export type HookOutcome = { ok: true } | { ok: false; reason: string };

/**
 * SRS's allow rule: status 200 or 201, a non-empty body that is valid JSON and either
 * exactly `0` or an object whose integer `code` is 0.
 */
export function hookAllows(status: number, body: string): HookOutcome {
  if (status !== 200 && status !== 201) return { ok: false, reason: `status ${status}` };
  const text = body.trim();
  if (!text) return { ok: false, reason: 'empty answer' };
  if (text === '0') return { ok: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'answer is not JSON' };
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const code = (parsed as { code?: unknown }).code;
    if (code === 0) return { ok: true };
    if (Number.isInteger(code)) return { ok: false, reason: `code ${code}` };
    return { ok: false, reason: 'answer has no integer code' };
  }
  return { ok: false, reason: `answer ${text.slice(0, 32)}` };
}

/** An answer's body as text, at most `cap` bytes (the rest is not read). */
export async function readCapped(res: Response, cap: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= cap) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}

/** What the notification bodies read of a publisher (a copy, kept after it left). */
export type HookPublisher = Pick<Client, 'id' | 'ip' | 'vhost' | 'app' | 'param'>;

export class HttpHooks implements Admission {
  /** calls and failures per action, for /metrics */
  readonly calls = new Map<string, number>();
  readonly failures = new Map<string, number>();
  /** hook requests on the wire now (decisions and notifications) */
  inFlight = 0;
  /** notifications dropped because `maxQueued` were already waiting */
  dropped = 0;
  /** notifications waiting or in flight */
  private queued = 0;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  /** notifications of one client (or one stream's files) go out in order */
  private readonly chains = new Map<string, Promise<void>>();
  /** clients that went through on_connect (on_close is only for them, as in SRS) */
  private readonly connected = new Set<string>();
  /**
   * The last publisher of a source, for on_hls/on_dvr files reaped after unpublish: a copy of
   * the fields those bodies read, not the Client (an output keeps its Source for hls_dispose,
   * and a Client's transport keeps the ended connection's buffers alive).
   */
  private readonly publishers = new WeakMap<Source, HookPublisher>();

  constructor(private readonly opts: HooksOptions) {
    this.timeoutMs = opts.timeoutMs ?? HOOK_TIMEOUT_MS;
    this.maxQueued = opts.maxQueued ?? MAX_QUEUED_NOTIFICATIONS;
  }

  get failureCount(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    return n;
  }

  private vhostView(vhost: string) {
    return this.opts.config().getVhost(vhost);
  }

  private hooks(vhost: string): HttpHooksView | undefined {
    const h = this.opts.config().getVhost(vhost)?.http_hooks;
    return h?.enabled ? h : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Admission: decisions

  async connect(client: Client): Promise<void> {
    const urls = this.hooks(client.vhost)?.on_connect ?? [];
    this.connected.add(client.id);
    if (urls.length) await this.gate(urls, this.connectBody(client), client.gone);
  }

  async publish(client: Client): Promise<void> {
    const urls = this.hooks(client.vhost)?.on_publish ?? [];
    if (urls.length) await this.gate(urls, this.streamBody('on_publish', client), client.gone);
  }

  async play(client: Client): Promise<void> {
    const urls = this.hooks(client.vhost)?.on_play ?? [];
    if (urls.length) await this.gate(urls, this.playBody(client), client.gone);
  }

  /**
   * Every URL in order; the first failure refuses (AdmissionError, HTTP 401 as SRS 8 answers
   * HTTP players). `gone` aborts the call in flight when the client hangs up.
   */
  private async gate(urls: readonly string[], body: HookBody, gone: AbortSignal): Promise<void> {
    for (const url of urls) {
      const outcome = gone.aborted ? { ok: false as const, reason: 'client left' } : await this.post(url, body, gone);
      if (!outcome.ok) {
        throw new AdmissionError(`${body.action} hook ${url} refused: ${outcome.reason}`, ERROR_HOOK_REFUSED, 401);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Notifications

  /** Subscribe the notification hooks to the live model's events. */
  subscribe(bus: EventBus): void {
    bus.on('stream:publish', (source, c) => this.publishers.set(source, { id: c.id, ip: c.ip, vhost: c.vhost, app: c.app, param: c.param }));
    bus.on('stream:unpublish', (_source, client) => this.notify(client.id, client.vhost, 'on_unpublish', () => this.streamBody('on_unpublish', client)));
    // A forwarder plays inside the server: no on_stop, as it had no on_play (SRS neither).
    bus.on('stream:stop', (_source, client) => client.type !== 'rtmp-forwarder' && this.notify(client.id, client.vhost, 'on_stop', () => this.streamBody('on_stop', client)));
    bus.on('client:close', (client) => {
      if (!this.connected.delete(client.id)) return;
      this.notify(client.id, client.vhost, 'on_close', () => this.closeBody(client));
    });
    bus.on('hls:segment', (e) => this.onHls(e));
    bus.on('dvr:file', (e) => this.onDvr(e));
  }

  private notify(key: string, vhost: string, action: Exclude<HookAction, 'on_connect' | 'on_play'>, body: () => HookBody): void {
    const urls = this.hooks(vhost)?.[action] ?? [];
    if (!urls.length) return;
    const payload = body(); // the client's state now, not when the chain gets to it
    this.chain(key, async () => {
      for (const url of urls) {
        const outcome = await this.post(url, payload);
        if (!outcome.ok) return; // SRS stops at the first failure too
      }
    });
  }

  private chain(key: string, task: () => Promise<void>): void {
    if (this.queued >= this.maxQueued) {
      this.dropped++;
      // one line per hundred: a dead hook server under load must not flood the log
      if (this.dropped % 100 === 1) this.opts.log.warn({ queued: this.queued, dropped: this.dropped }, 'hook notifications queue full, dropping');
      return;
    }
    this.queued++;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(task)
      .catch(() => undefined)
      .finally(() => this.queued--);
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private onHls(e: HlsSegmentEvent): void {
    const hooks = this.hooks(e.source.vhost);
    if (!hooks) return;
    const client = e.source.publisher ?? this.publishers.get(e.source);
    if (hooks.on_hls.length) {
      const body: OnHlsHook = {
        ...this.common('on_hls', client, e.source),
        tcUrl: e.source.tcUrl,
        stream: e.source.stream,
        param: client?.param ?? '',
        duration: Math.round(e.duration * 1000) / 1000,
        cwd: process.cwd(),
        file: asConfigured(e.file, this.vhostView(e.source.vhost)?.hls.hls_path),
        url: e.url,
        m3u8: asConfigured(e.m3u8, this.vhostView(e.source.vhost)?.hls.hls_path),
        m3u8_url: e.m3u8Url,
        seq_no: e.seqNo,
        stream_url: e.source.url,
        stream_id: e.source.id,
      };
      this.chain(`files:${e.source.id}`, async () => {
        for (const url of hooks.on_hls) if (!(await this.post(url, body)).ok) return;
      });
    }
    for (const template of hooks.on_hls_notify) {
      const url = /^https?:\/\//.test(e.url) ? e.url : this.notifyUrl(template, e, client);
      this.chain(`notify:${e.source.id}`, () => this.getNotify(url));
    }
  }

  /** on_hls_notify's URL template: [server_id] [service_id] [app] [stream] [ts_url] [param]. */
  notifyUrl(template: string, e: HlsSegmentEvent, client: HookPublisher | undefined): string {
    const param = client?.param ?? '';
    return template
      .replaceAll('[server_id]', this.opts.identity.serverId)
      .replaceAll('[service_id]', this.opts.identity.serviceId)
      .replaceAll('[app]', e.source.app)
      .replaceAll('[stream]', e.source.stream)
      .replaceAll('[ts_url]', e.url)
      .replaceAll('[param]', param.startsWith('?') ? param.slice(1) : param);
  }

  private onDvr(e: DvrFileEvent): void {
    const urls = this.hooks(e.source.vhost)?.on_dvr ?? [];
    if (!urls.length) return;
    const client = e.source.publisher ?? this.publishers.get(e.source);
    const body: OnDvrHook = {
      ...this.common('on_dvr', client, e.source),
      tcUrl: e.source.tcUrl,
      stream: e.source.stream,
      param: client?.param ?? '',
      cwd: process.cwd(),
      file: asConfigured(e.file, this.vhostView(e.source.vhost)?.dvr.dvr_path),
      stream_url: e.source.url,
      stream_id: e.source.id,
    };
    this.chain(`files:${e.source.id}`, async () => {
      for (const url of urls) if (!(await this.post(url, body)).ok) return;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Bodies, in SRS 6's field order

  private common<A extends HookAction>(action: A, client: HookPublisher | undefined, source?: Source) {
    return {
      server_id: this.opts.identity.serverId,
      service_id: this.opts.identity.serviceId,
      action,
      client_id: client?.id ?? '',
      ip: client?.ip ?? '',
      vhost: client?.vhost ?? source?.vhost ?? '',
      app: client?.app ?? source?.app ?? '',
    };
  }

  private connectBody(c: Client): OnConnectHook {
    return { ...this.common('on_connect', c), stream: c.stream, param: c.param, tcUrl: c.tcUrl, pageUrl: c.pageUrl };
  }

  private closeBody(c: Client): OnCloseHook {
    return { ...this.common('on_close', c), send_bytes: c.transport.bytesWritten(), recv_bytes: c.transport.bytesRead() };
  }

  /**
   * The stream's stats id. SRS creates the source before its publish/play hooks, so the id
   * always exists; tsrs does the same (an unused source is swept later).
   */
  private streamId(c: Client): string {
    return (c.source ?? this.opts.hub.source(c.vhost, c.app, c.stream)).id;
  }

  private streamBody(action: OnPublishHook['action'], c: Client): OnPublishHook {
    return {
      ...this.common(action, c),
      tcUrl: c.tcUrl,
      stream: c.stream,
      param: c.param,
      stream_url: c.streamUrl,
      stream_id: this.streamId(c),
    };
  }

  private playBody(c: Client): OnPlayHook {
    return {
      ...this.common('on_play', c),
      stream: c.stream,
      tcUrl: c.tcUrl,
      param: c.param,
      pageUrl: c.pageUrl,
      stream_url: c.streamUrl,
      stream_id: this.streamId(c),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Transport

  private count(map: Map<string, number>, action: string): void {
    map.set(action, (map.get(action) ?? 0) + 1);
  }

  /**
   * POST the body; any network error, timeout or refusing answer is a failure (logged,
   * counted). `abort` (the client hung up) ends the call early, as a failure.
   */
  async post(url: string, body: HookBody, abort?: AbortSignal): Promise<HookOutcome> {
    this.count(this.calls, body.action);
    const started = Date.now();
    let outcome: HookOutcome;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    this.inFlight++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT },
        body: JSON.stringify(body),
        signal: abort ? AbortSignal.any([timeout, abort]) : timeout,
      });
      outcome = hookAllows(res.status, await readCapped(res, MAX_ANSWER_BYTES));
    } catch (err) {
      const reason = timeout.aborted ? `timeout after ${this.timeoutMs} ms` : abort?.aborted ? 'client left' : String((err as Error)?.message ?? err);
      outcome = { ok: false, reason };
    } finally {
      this.inFlight--;
    }
    const ms = Date.now() - started;
    if (outcome.ok) this.opts.log.info({ url, action: body.action, client: body.client_id, ms }, 'hook ok');
    else {
      this.count(this.failures, body.action);
      this.opts.log.warn({ url, action: body.action, client: body.client_id, ms, reason: outcome.reason }, 'hook failed');
    }
    return outcome;
  }

  private async getNotify(url: string): Promise<void> {
    this.count(this.calls, 'on_hls_notify');
    this.inFlight++;
    try {
      const res = await fetch(url, { headers: { 'User-Agent': USER_AGENT }, signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) });
      await readCapped(res, NOTIFY_READ_BYTES);
      this.opts.log.debug({ url, status: res.status }, 'hls notify');
    } catch (err) {
      this.count(this.failures, 'on_hls_notify');
      this.opts.log.warn({ url, err: String(err) }, 'hls notify failed');
    } finally {
      this.inFlight--;
    }
  }
}

/**
 * A file path as SRS's callbacks send it: in the form its directive was written, so a relative
 * `hls_path`/`dvr_path` (`./objs/nginx/html`) gives `./objs/nginx/html/live/s-0.ts`, relative to
 * `cwd` (sent beside it), and an absolute one stays absolute.
 */
export function asConfigured(file: string, configured: string | undefined): string {
  if (!configured || isAbsolute(configured)) return file;
  const rel = relative(process.cwd(), file).split(sep).join('/');
  if (rel.startsWith('../') || isAbsolute(rel)) return file;
  return configured.startsWith('./') ? `./${rel}` : rel;
}
