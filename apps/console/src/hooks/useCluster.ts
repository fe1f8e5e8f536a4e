'use client';

import { useMemo } from 'react';
import { useLive } from '@/lib/live-store';
import type { Client, LiveNode } from '@/lib/types';
import { useClients } from './useClients';

const NO_NODES: LiveNode[] = [];

/**
 * The cluster as the live feed sees it (socket.io `cluster`, sent when the server has a registry):
 * this node's name, the other nodes, and whether more than one node is seen (then the tables show
 * a Node column).
 */
export function useCluster() {
  const cluster = useLive((s) => s.cluster);
  return useMemo(() => {
    const nodes = cluster?.nodes ?? NO_NODES;
    return { self: cluster?.node ?? null, nodes, multi: nodes.length > 0, remote: new Set(nodes.map((n) => n.node)) };
  }, [cluster]);
}

/** A client row: this node's (node = its name when known) or another node's (`remote`). */
export type ClientRow = Client & { node: string | null; remote: boolean };

/** This node's clients (REST) followed by the other nodes' (live feed). */
export function useClientRows() {
  const q = useClients();
  const { self, nodes } = useCluster();
  const rows = useMemo<ClientRow[] | undefined>(() => {
    if (!q.data) return undefined;
    const own = q.data.map((c) => ({ ...c, node: self, remote: false }));
    return own.concat(nodes.flatMap((n) => n.clients.map((c) => ({ ...c, remote: true }))));
  }, [q.data, self, nodes]);
  return { ...q, rows };
}
