'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { IconButton, ICONS } from '@/components/ui/IconButton';
import { Card } from '@/components/ui/Card';
import { SearchInput, SelectField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { EmptyState, QueryBody, StaleNote } from '@/components/ui/States';
import { compareValues, DataTable, TD, TR, STICKY_FIRST, type Column, type SortState } from '@/components/ui/Table';
import { ClientType } from '@/components/clients/ClientType';
import { KickDialog } from '@/components/clients/KickDialog';
import { useClientRows, useCluster, type ClientRow } from '@/hooks/useCluster';
import { NodeCell, withNodeColumn } from '@/components/cluster/NodeCell';
import { useVhostNames } from '@/hooks/useServer';
import { fmtBytes, fmtDuration, fmtInt } from '@/lib/format';
import type { Client } from '@/lib/types';

type Key = 'id' | 'node' | 'ip' | 'type' | 'stream' | 'alive' | 'recv' | 'send' | 'kbps';

const COLUMNS: Column<Key>[] = [
  { label: 'Id', k: 'id' },
  { label: 'IP', k: 'ip' },
  { label: 'Kind / protocol', k: 'type' },
  { label: 'Stream', k: 'stream' },
  { label: 'Alive', k: 'alive', right: true },
  { label: 'Received', k: 'recv', right: true },
  { label: 'Sent', k: 'send', right: true },
  { label: 'kbps', k: 'kbps', right: true, title: 'Publishers: received; players: sent' },
  { label: 'Actions', right: true, hidden: true },
];

const SORTERS: Record<Key, (c: ClientRow) => unknown> = {
  id: (c) => c.id,
  node: (c) => c.node,
  ip: (c) => c.ip,
  type: (c) => `${c.publish ? 0 : 1}${c.type}`,
  stream: (c) => c.url || c.name,
  alive: (c) => c.alive,
  recv: (c) => c.recv_bytes,
  send: (c) => c.send_bytes,
  kbps: (c) => (c.publish ? c.kbps?.recv_30s : c.kbps?.send_30s),
};

export function ClientsView() {
  const clients = useClientRows();
  const { rows: data, error } = clients;
  const cluster = useCluster();
  const columns = useMemo(() => withNodeColumn(COLUMNS, cluster.multi), [cluster.multi]);
  const vhosts = useVhostNames();
  const [query, setQuery] = useState('');
  const [kind, setKind] = useState<'all' | 'publish' | 'play'>('all');
  const [sort, setSort] = useState<SortState<Key>>({ key: 'alive', dir: 'desc' });
  const [kick, setKick] = useState<Client | null>(null);

  const shown = useMemo(() => {
    if (!data) return [];
    const q = query.trim().toLowerCase();
    const rows = data.filter(
      (c) =>
        (kind === 'all' || (kind === 'publish') === c.publish) &&
        (!q || [c.id, c.node, c.ip, c.type, c.url, c.name].some((v) => v && v.toLowerCase().includes(q))),
    );
    const get = SORTERS[sort.key];
    rows.sort((a, b) => compareValues(get(a), get(b)));
    return sort.dir === 'desc' ? rows.reverse() : rows;
  }, [data, query, kind, sort]);

  const publishers = data?.filter((c) => c.publish).length ?? 0;

  return (
    <>
      <PageHeader
        title="Clients"
        description={
          data ? <span className="num">{`${data.length} connection${data.length === 1 ? '' : 's'}: ${publishers} publishing, ${data.length - publishers} playing`}</span> : 'Every connection to the server'
        }
        actions={
          <>
            <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} className="w-32 [&>label]:sr-only">
              <option value="all">All kinds</option>
              <option value="publish">Publishers</option>
              <option value="play">Players</option>
            </SelectField>
            <SearchInput label="Search clients" placeholder="Search id, ip, protocol, stream…" value={query} onChange={(e) => setQuery(e.target.value)} />
          </>
        }
      />
      <Card bodyClassName="overflow-x-auto">
        <QueryBody
          query={clients}
          loading="Loading clients…"
          what="clients"
          empty={
            !data || data.length === 0 ? (
              <EmptyState title="No clients connected" />
            ) : (
              shown.length === 0 && <EmptyState title="No client matches the filter" />
            )
          }
        >
          <DataTable columns={columns} caption="Connections, sortable by column" className={`min-w-[940px] [&_td]:px-2.5 [&_th]:px-2.5 ${STICKY_FIRST}`} sort={sort} onSort={setSort}>
            {shown.map((c) => (
              <tr key={`${c.node}\n${c.id}`} className={TR} data-client-id={c.id} data-node={c.node ?? ''}>
                <td className={`${TD} font-mono text-xs`}>{c.id}</td>
                {cluster.multi && <NodeCell node={c.node} remote={c.remote} />}
                <td className={`${TD} num`}>{c.ip}</td>
                <td className={TD}>
                  <span className="inline-flex items-center gap-2">
                    {c.publish ? <Badge tone="accent">publish</Badge> : <Badge>play</Badge>}
                    <ClientType type={c.type} />
                  </span>
                </td>
                <td className={TD}>
                  <div className="max-w-[14rem]">
                    {c.remote ? (
                      <span className="block truncate">{c.url || c.name || c.stream}</span>
                    ) : (
                      <Link href={`/streams/detail/?id=${encodeURIComponent(c.stream)}`} className="block truncate text-accent hover:underline">
                        {c.url || c.name || c.stream}
                      </Link>
                    )}
                    {vhosts[c.vhost] && vhosts[c.vhost] !== '__defaultVhost__' && <span className="block text-xs text-muted">{vhosts[c.vhost]}</span>}
                  </div>
                </td>
                <td className={`${TD} num w-20 text-right`}>{fmtDuration(c.alive)}</td>
                <td className={`${TD} num w-20 text-right`}>{fmtBytes(c.recv_bytes)}</td>
                <td className={`${TD} num w-20 text-right`}>{fmtBytes(c.send_bytes)}</td>
                <td className={`${TD} num w-16 text-right`}>{fmtInt(c.publish ? c.kbps?.recv_30s : c.kbps?.send_30s)}</td>
                <td className={`${TD} text-right`}>
                  <IconButton label={`Kick ${c.id} (${c.ip})`} tone="danger" onClick={() => setKick(c)} disabled={c.remote}>
                    {ICONS.kick}
                  </IconButton>
                </td>
              </tr>
            ))}
          </DataTable>
        </QueryBody>
      </Card>
      <StaleNote show={!!error && !!data} />
      <KickDialog client={kick} onClose={() => setKick(null)} />
    </>
  );
}
