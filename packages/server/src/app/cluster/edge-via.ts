/**
 * Edge loop detection (tsrs): an edge's upstream names the edges the stream is pulled through in
 * its RTMP connect, as the command object property `tsrs_edge_via` (space-separated node ids,
 * the first edge first; SRS and other servers ignore a property they do not know). An edge
 * that finds itself in a player's chain, or a chain of MAX_EDGE_HOPS edges already, starts no
 * upstream for it and closes that player: an edge whose `origin` is itself, or two edges that
 * name each other, would otherwise pull from themselves, and the loop's own play would keep the
 * stream from ever going idle.
 */
import type { Amf0Value } from '../../kernel/amf0.js';

/** the connect command object property carrying the chain */
export const EDGE_VIA_FIELD = 'tsrs_edge_via';
/** edges a stream may pass through (edge of an edge of ...), the first one included */
export const MAX_EDGE_HOPS = 4;
/** one node id: letters, digits and `._:/-`, at most 64 characters */
const NODE_ID = /^[A-Za-z0-9._:/-]{1,64}$/;

/**
 * The chain a connect's `tsrs_edge_via` names; [] when absent or not a string. Ids that are
 * not well formed are dropped; at most MAX_EDGE_HOPS + 1 are kept (enough to tell "too long").
 */
export function parseEdgeVia(value: Amf0Value | undefined): string[] {
  if (typeof value !== 'string' || value.length > 1024) return [];
  return value
    .split(' ')
    .filter((id) => NODE_ID.test(id))
    .slice(0, MAX_EDGE_HOPS + 1);
}

/** Why an edge must not pull for a player that came through `via` (undefined: it may). */
export function edgeLoop(via: readonly string[], self: string): string | undefined {
  if (via.includes(self)) return `edge loop: this edge (${self}) is already in the pull chain ${via.join(' > ')}`;
  if (via.length >= MAX_EDGE_HOPS) return `edge chain too long: ${via.join(' > ')} (at most ${MAX_EDGE_HOPS} edges)`;
  return undefined;
}

/** The `tsrs_edge_via` value an upstream sends: the chain it serves, then this edge. */
export function formatEdgeVia(via: readonly string[], self: string): string {
  return [...via, self].join(' ');
}
