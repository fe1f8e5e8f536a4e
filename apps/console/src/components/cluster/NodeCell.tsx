import { Badge } from '@/components/ui/Badge';
import { TD, type Column } from '@/components/ui/Table';

/** The Node column, shown once the live feed sees more than one node. */
export const NODE_COLUMN: Column<'node'> = { label: 'Node', k: 'node', title: 'The tsrs node serving it (cluster node_id)' };

/** `columns` with the Node column after the first one when `multi`. */
export function withNodeColumn<K extends string>(columns: Column<K>[], multi: boolean): Column<K | 'node'>[] {
  return multi ? [columns[0], NODE_COLUMN, ...columns.slice(1)] : columns;
}

/** A row's node: this node's name in accent, another node's plain. */
export function NodeCell({ node, remote }: { node: string | null; remote: boolean }) {
  return (
    <td className={TD} data-testid="node">
      <Badge tone={remote ? 'neutral' : 'accent'} title={remote ? 'Another node of the cluster' : 'This node'}>
        {node ?? 'this node'}
      </Badge>
    </td>
  );
}
