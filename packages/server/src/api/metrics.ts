/**
 * `/metrics` in the Prometheus text format: SRS 5's exporter metrics (`srs_*`) plus tsrs's own
 * (`tsrs_*`: kbps, per-stream figures, dropped packets, hook calls and failures).
 */
import os from 'node:os';
import { orOnResourceError } from '../app/resource-errors.js';
import { nodeRssKbyte } from '../app/stats.js';
import { SRS_COMPAT_VERSION, VERSION } from '../version.js';
import type { ApiDeps } from './routes.js';
import { DEFAULT_RTC_UDP_MUX_OPTIONS } from '../protocol/rtc/udp-mux.js';

type Labels = Record<string, string | number>;

/** Streams that get per-stream output-error and dropped-frame series (the first by id), bounding their cardinality. */
export const STREAM_COUNTER_SERIES = 1000;

class Writer {
  private lines: string[] = [];
  private declared = new Set<string>();

  metric(name: string, type: 'gauge' | 'counter', help: string, value: number, labels: Labels = {}): void {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(',');
    this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }

  /** A Prometheus histogram: cumulative `[le, count]` buckets (the last +Inf), the count and sum. */
  histogram(name: string, help: string, buckets: [number, number][], count: number, sum: number): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const [le, n] of buckets) this.lines.push(`${name}_bucket{le="${le === Infinity ? '+Inf' : le}"} ${n}`);
    this.lines.push(`${name}_sum ${Math.round(sum * 1000) / 1000}`, `${name}_count ${count}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function metricsText(d: ApiDeps): string {
  const w = new Writer();
  const label = d.config().global.exporter;
  const extra: Labels = {};
  if (label.label) extra.label = label.label;
  if (label.tag) extra.tag = label.tag;
  const [major, minor, revision] = SRS_COMPAT_VERSION.split('.').map(Number);
  w.metric('srs_node_uname_info', 'gauge', 'Node information', 1, {
    sysname: os.type(), nodename: os.hostname(), release: os.release(), machine: os.machine(), ...extra,
  });
  w.metric('srs_build_info', 'gauge', 'Build information', 1, {
    server: d.identity.serverId, service: d.identity.serviceId, pid: d.identity.pid, major, minor, revision,
    version: SRS_COMPAT_VERSION, tsrs: VERSION, ...extra,
  });
  w.metric('srs_cpu_percent', 'gauge', 'CPU usage of the server process, percent of one core', d.stats.self.cpuPercent, extra);
  w.metric('srs_memory', 'gauge', 'Resident memory of the server process, KB', d.stats.self.rssKbyte || nodeRssKbyte(), extra);
  const q = d.queries;
  const bytes = q.serverBytes();
  w.metric('srs_send_bytes_total', 'counter', 'Bytes sent to clients', bytes.send, extra);
  w.metric('srs_receive_bytes_total', 'counter', 'Bytes received from clients', bytes.recv, extra);
  const streams = q.streamFigures();
  const clients = q.clients();
  const model = q.figures();
  w.metric('srs_streams', 'gauge', 'Streams listed by the API', streams.length, extra);
  w.metric('srs_clients', 'gauge', 'Clients publishing or playing', clients.length, extra);
  w.metric('srs_clients_total', 'counter', 'Clients that published or played since start', model.clientsTotal, extra);
  w.metric('srs_clients_errs_total', 'counter', 'Clients that ended with an error', model.clientsErrors, extra);

  const k = q.serverKbps();
  w.metric('tsrs_kbps', 'gauge', 'Server bitrate over 30 s, kbps', k.recv, { direction: 'recv' });
  w.metric('tsrs_kbps', 'gauge', 'Server bitrate over 30 s, kbps', k.send, { direction: 'send' });
  w.metric('tsrs_connections', 'gauge', 'Open connections known to the live model', model.connections);
  processMetrics(w);
  w.metric('tsrs_sockets', 'gauge', 'Open client sockets of all TCP listeners, counted against max_connections', d.connections.open);
  w.metric('tsrs_sockets_max', 'gauge', 'Sockets allowed at once: max_connections, lower when the open-file limit is', d.connections.cap);
  w.metric('tsrs_sockets_refused_total', 'counter', 'Sockets closed at accept: over max_connections or out of resources', d.connections.refusedTotal);
  w.metric('tsrs_sources', 'gauge', 'Sources in the live model (published, played, or recently either)', model.sources);
  w.metric('tsrs_waiting_players', 'gauge', 'Players waiting for a stream nobody publishes', model.waitingPlayers);
  w.metric('tsrs_dropped_packets', 'gauge', 'Packets dropped by slow players of live sources', model.droppedPackets);
  for (const { view: s, vhostName, dropped } of streams) {
    const labels = { vhost: vhostName, app: s.app, stream: s.name };
    w.metric('tsrs_stream_clients', 'gauge', 'Publisher and players of a stream', s.clients, labels);
    w.metric('tsrs_stream_recv_bytes_total', 'counter', 'Media bytes received by a stream', s.recv_bytes, labels);
    w.metric('tsrs_stream_frames_total', 'counter', 'Video frames received by a stream', s.frames, labels);
    w.metric('tsrs_stream_kbps', 'gauge', 'Stream bitrate over 30 s, kbps', s.kbps.recv_30s, { ...labels, direction: 'recv' });
    w.metric('tsrs_stream_kbps', 'gauge', 'Stream bitrate over 30 s, kbps', s.kbps.send_30s, { ...labels, direction: 'send' });
    w.metric('tsrs_stream_dropped_packets', 'gauge', 'Packets dropped by slow players of a stream', dropped, labels);
  }
  // Output errors and dropped frames per stream: labels from a fixed set (the outputs' names,
  // three reasons), for at most STREAM_COUNTER_SERIES streams.
  for (const { view: s, vhostName } of streams.slice(0, STREAM_COUNTER_SERIES)) {
    const labels = { vhost: vhostName, app: s.app, stream: s.name };
    for (const [output, n] of Object.entries(s.tsrs_errors)) {
      w.metric('tsrs_stream_output_errors_total', 'counter', 'Errors of one output of a stream (the output was counted, logged and detached or reopened)', n, { ...labels, output });
    }
    for (const [reason, n] of Object.entries(s.tsrs_dropped_frames)) {
      w.metric('tsrs_stream_dropped_frames_total', 'counter', 'Frames a stream did not pass on: queue (slow players), gop_cache (bounds), refused (malformed)', n, { ...labels, reason });
    }
  }
  const rtc = d.rtc()?.portStats?.();
  if (rtc) {
    w.metric('tsrs_rtc_sessions', 'gauge', 'WebRTC sessions on the rtc_server UDP port (connected or in ICE)', rtc.sessions);
    w.metric('tsrs_rtc_datagrams_routed_total', 'counter', 'Datagrams the rtc_server port handed to a session', rtc.routed);
    w.metric('tsrs_rtc_datagrams_unknown_total', 'counter', 'Datagrams from an unknown address that named no session (dropped)', rtc.dropped);
    w.metric('tsrs_rtc_send_batched_total', 'counter', 'RTP datagrams to WebRTC players protected and sent in native batches (one sendmmsg each); 0 when the native send path is off', rtc.batched);
    w.metric('tsrs_rtc_send_batches_total', 'counter', 'Native send batches (sendmmsg calls)', rtc.batches);
    w.metric('tsrs_rtc_send_dropped_total', 'counter', `Datagrams to WebRTC players dropped at the send queue bound (${DEFAULT_RTC_UDP_MUX_OPTIONS.maxSendQueue})`, rtc.sendDropped);
  }
  const delay = d.rtc()?.sendDelay;
  if (delay) w.histogram('tsrs_rtc_send_delay_ms', 'Delay tsrs added to WebRTC players\' video frames, ms: from the Source taking a frame to its RTP handed to the send path (per player and frame)', delay.cumulative(), delay.count, delay.sum);
  const breaker = d.rtc()?.breaker;
  if (breaker) {
    w.metric('tsrs_circuit_breaker_level', 'gauge', 'circuit_breaker water level: 0 normal, 1 high (no NACKs), 2 critical (no TWCC), 3 dying (no RTP to WebRTC players)', breaker.level);
    w.metric('tsrs_circuit_breaker_load_percent', 'gauge', "The main thread's load the circuit breaker last sampled (event loop utilization, percent)", breaker.loadPercent);
    w.metric('tsrs_rtc_shed_frames_total', 'counter', 'Frames (video access units, audio frames) not sent to WebRTC players at the dying water level, summed over players', breaker.shed);
  }
  for (const [action, n] of d.hooks.calls) w.metric('tsrs_hook_calls_total', 'counter', 'HTTP hook calls', n, { action });
  w.metric('tsrs_hook_failures_total', 'counter', 'HTTP hook calls that failed or refused', d.hooks.failureCount);
  for (const [action, n] of d.hooks.failures) w.metric('tsrs_hook_failures_by_action_total', 'counter', 'HTTP hook failures per action', n, { action });
  w.metric('tsrs_hook_in_flight', 'gauge', 'HTTP hook requests on the wire now', d.hooks.inFlight);
  w.metric('tsrs_hook_dropped_total', 'counter', 'HTTP hook notifications dropped, the queue being full', d.hooks.dropped);
  return w.text();
}

/** Node's own figures for leak hunting (the soak test samples them): V8 heap, buffers, live handles. */
function processMetrics(w: Writer): void {
  // memoryUsage() reads /proc for the RSS: out of descriptors it throws, and /metrics goes on without these.
  const m = orOnResourceError(() => process.memoryUsage(), undefined);
  if (m) {
    w.metric('tsrs_heap_used_bytes', 'gauge', 'V8 heap in use', m.heapUsed);
    w.metric('tsrs_heap_total_bytes', 'gauge', 'V8 heap reserved', m.heapTotal);
    w.metric('tsrs_external_bytes', 'gauge', 'Memory of Buffers and other objects outside the V8 heap', m.external);
    w.metric('tsrs_array_buffers_bytes', 'gauge', 'Memory of ArrayBuffers and Buffers (part of external)', m.arrayBuffers);
  }
  // sockets, servers, timers, file handles...: what keeps the event loop alive
  w.metric('tsrs_active_resources', 'gauge', 'Active libuv handles and requests, timers included', process.getActiveResourcesInfo().length);
}
