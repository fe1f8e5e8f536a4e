/**
 * The live feed of `tsrs --workers N` (socket.ts). The primary pipes every console to one worker,
 * so each worker's feed carries its siblings' rows: once a second each worker sends the primary
 * its own live rows (the message a node sends over Redis, cluster-live.ts) and each stream/client
 * event as it happens, over the cluster IPC channel; the primary passes both on to every other
 * worker (workers/primary.ts). A worker's consoles then get `streams` of every worker, a
 * `summary` summed over them and every worker's events, all as one node's (the console lists
 * the rows of /api/v1/streams/ and /api/v1/clients/, which the primary merges).
 *
 * Bounded as the nodes of a cluster are (RemoteNodes: rows per message, and a worker silent for
 * NODE_TTL_MS is dropped).
 */
import type { LiveEvent, LiveSummary } from '@tsrs/api-types';
import type { NodeLiveMessage } from './cluster-live.js';

/** worker -> primary -> the other workers: a worker's live rows, once a second */
export const SIBLING_LIVE = 'tsrs-worker-live';
/** worker -> primary -> the other workers: an event of a worker, as it happens */
export const SIBLING_EVENT = 'tsrs-worker-event';

/** What the workers send each other through the primary; `worker` is stamped by the primary. */
export type SiblingMessage =
  | { type: typeof SIBLING_LIVE; worker: number; live: NodeLiveMessage }
  | { type: typeof SIBLING_EVENT; worker: number; event: LiveEvent };

/** Whether `m` is a message the primary passes between workers (its type; the rest is checked by the receiver). */
export function isSiblingMessage(m: unknown): m is SiblingMessage {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  return t === SIBLING_LIVE || t === SIBLING_EVENT;
}

/** The sibling workers of this one, as the live feed sees them. */
export interface Siblings {
  /** this worker's index (1..N) */
  readonly self: number;
  /** this worker's own rows, to the others */
  sendLive(live: NodeLiveMessage): void;
  sendEvent(event: LiveEvent): void;
  /** what the others send; returns the unsubscribe */
  listen(onLive: (worker: number, live: unknown) => void, onEvent: (event: LiveEvent) => void): () => void;
}

/** The siblings over this worker's IPC channel to its primary (process.send / 'message'). */
export function ipcSiblings(self: number): Siblings {
  const send = (m: SiblingMessage) => {
    if (!process.connected) return;
    try {
      process.send?.(m);
    } catch {
      // the channel closed meanwhile: the primary is going, and this worker with it
    }
  };
  return {
    self,
    sendLive: (live) => send({ type: SIBLING_LIVE, worker: self, live }),
    sendEvent: (event) => send({ type: SIBLING_EVENT, worker: self, event }),
    listen(onLive, onEvent) {
      const on = (m: unknown) => {
        if (!isSiblingMessage(m) || !Number.isInteger(m.worker) || m.worker === self) return;
        if (m.type === SIBLING_LIVE) onLive(m.worker, m.live);
        else if (m.event && typeof m.event === 'object' && typeof m.event.type === 'string') onEvent(m.event);
      };
      process.on('message', on);
      return () => process.off('message', on);
    },
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * `own` with the others' per-process figures added: CPU, memory, connections, streams, kbps
 * (uptime, version, node and time stay this worker's).
 */
export function sumSummaries(own: LiveSummary, others: readonly LiveSummary[]): LiveSummary {
  const out = { ...own, kbps: { ...own.kbps } };
  for (const o of others) {
    out.cpu_percent = round2(out.cpu_percent + num(o.cpu_percent));
    out.mem_rss_kbyte += num(o.mem_rss_kbyte);
    out.mem_percent = round2(out.mem_percent + num(o.mem_percent));
    out.connections += num(o.connections);
    out.streams += num(o.streams);
    out.kbps.recv += num(o.kbps?.recv);
    out.kbps.send += num(o.kbps?.send);
  }
  return out;
}
