/**
 * The live view of the other nodes of a cluster. With a registry, every node sends its own live
 * rows once a second over Redis (socket.io's server-side emit, `NODE_LIVE_EVENT`); each node keeps
 * the last message of each other node here and merges them into what its consoles get.
 *
 * Bounded: at most MAX_NODES other nodes, MAX_ROWS streams and MAX_ROWS clients each (a longer
 * list is cut, its totals still say how many there are), and a node that stops sending for
 * NODE_TTL_MS is dropped, rows and all.
 */
import type { LiveCluster, LiveNode, LiveStream, LiveSummary, NodeClient, NodeStream } from '@tsrs/api-types';
import { NODE_ID_RE } from '../app/cluster-node.js';

/** The socket.io server-side event the nodes send their live rows with. */
export const NODE_LIVE_EVENT = 'tsrs:node-live';
/** A node silent this long (ms) is dropped from the view (it sends every 1000 ms). */
export const NODE_TTL_MS = 5_000;
export const MAX_NODES = 64;
/** streams, live streams and clients kept per node */
export const MAX_ROWS = 500;

/** What a node sends once a second. */
export interface NodeLiveMessage {
  node: string;
  summary: LiveSummary;
  /** the live feed's rows of its streams (kbps, fps over the last seconds) */
  live: LiveStream[];
  /** its /api/v1/streams/ and /api/v1/clients/ rows */
  streams: NodeStream[];
  clients: NodeClient[];
  streams_total: number;
  clients_total: number;
}

/** This node's message: rows tagged with `node`, each list cut to MAX_ROWS. */
export function nodeLiveMessage(
  node: string,
  summary: LiveSummary,
  live: readonly LiveStream[],
  streams: readonly object[],
  clients: readonly object[],
): NodeLiveMessage {
  return {
    node,
    summary,
    live: live.slice(0, MAX_ROWS),
    streams: streams.slice(0, MAX_ROWS).map((s) => ({ ...s, node }) as NodeStream),
    clients: clients.slice(0, MAX_ROWS).map((c) => ({ ...c, node }) as NodeClient),
    streams_total: streams.length,
    clients_total: clients.length,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const rows = <T>(v: unknown, node: string): T[] => (Array.isArray(v) ? v.slice(0, MAX_ROWS).filter(isObject).map((r) => ({ ...r, node }) as T) : []);
const count = (v: unknown, min: number) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? Math.floor(v) : min);

export class RemoteNodes {
  private readonly nodes = new Map<string, { at: number; msg: NodeLiveMessage }>();

  constructor(
    /** this node's id: a message naming it (another node with the same id) is refused */
    private readonly self: string,
    private readonly ttlMs = NODE_TTL_MS,
    private readonly maxNodes = MAX_NODES,
  ) {}

  /**
   * Keeps a received message as its node's latest. Refused (false): not a message, a node id
   * outside NODE_ID_RE, this node's own id, or a new node while MAX_NODES others are live.
   * Every row is re-tagged with the message's node, so a node speaks only for itself.
   */
  put(raw: unknown, now: number): boolean {
    if (!isObject(raw) || typeof raw.node !== 'string' || !NODE_ID_RE.test(raw.node) || !isObject(raw.summary)) return false;
    const node = raw.node;
    if (node === this.self) return false;
    this.expire(now);
    if (!this.nodes.has(node) && this.nodes.size >= this.maxNodes) return false;
    const streams = rows<NodeStream>(raw.streams, node);
    const clients = rows<NodeClient>(raw.clients, node);
    const msg: NodeLiveMessage = {
      node,
      summary: { ...(raw.summary as LiveSummary), node },
      live: rows<LiveStream>(raw.live, node),
      streams,
      clients,
      streams_total: count(raw.streams_total, streams.length),
      clients_total: count(raw.clients_total, clients.length),
    };
    this.nodes.set(node, { at: now, msg });
    return true;
  }

  private expire(now: number): void {
    for (const [node, n] of this.nodes) if (now - n.at > this.ttlMs) this.nodes.delete(node);
  }

  /** The nodes heard from within the TTL, by node id. */
  private live(now: number): { at: number; msg: NodeLiveMessage }[] {
    this.expire(now);
    return [...this.nodes.values()].sort((a, b) => (a.msg.node < b.msg.node ? -1 : 1));
  }

  /** The other nodes' live stream rows. */
  liveStreams(now: number): LiveStream[] {
    return this.live(now).flatMap((n) => n.msg.live);
  }

  /** socket.io `cluster`: this node's id and the other nodes' rows. */
  cluster(now: number): LiveCluster {
    const nodes: LiveNode[] = this.live(now).map(({ at, msg }) => ({
      node: msg.node,
      age_ms: Math.max(0, now - at),
      summary: msg.summary,
      streams: msg.streams,
      clients: msg.clients,
      streams_total: msg.streams_total,
      clients_total: msg.clients_total,
    }));
    return { node: this.self, nodes };
  }

  get size(): number {
    return this.nodes.size;
  }
}
