'use client';

import { ConfirmDialog } from '@/components/ui/ConfirmDialog';
import { toast } from '@/components/ui/Toast';
import { useKick } from '@/hooks/useClients';
import type { Client } from '@/lib/types';

export function KickDialog({ client, onClose }: { client: Client | null; onClose: () => void }) {
  const kick = useKick();
  return (
    <ConfirmDialog
      open={!!client}
      title={client?.publish ? 'Kick the publisher?' : 'Kick this client?'}
      confirmLabel="Kick"
      message={
        client && (
          <>
            Disconnect <span className="font-mono">{client.id}</span> ({client.ip}, {client.type}) from{' '}
            <strong>{client.url || client.name}</strong>.
            {client.publish ? ' The stream ends and its players stop.' : ''}
          </>
        )
      }
      onClose={onClose}
      onConfirm={async () => {
        if (!client) return;
        await kick.mutateAsync(client.id);
        toast(`Kicked ${client.ip} (${client.type})`);
      }}
    />
  );
}
