'use client';

import type { ReactNode } from 'react';
import { ConfirmDialog } from '@/components/ui/ConfirmDialog';
import { toast } from '@/components/ui/Toast';
import { useKick } from '@/hooks/useClients';
import type { Client } from '@/lib/types';

/** What a kick confirmation asks about; `clientId` is read when confirmed (it may throw: no client). */
export interface KickTarget {
  title: string;
  confirmLabel: string;
  message: ReactNode;
  clientId: () => string;
  /** the toast after the kick */
  done: string;
}

/** Confirms and kicks (DELETE /api/v1/clients/:id); closed while `target` is null. */
export function KickConfirm({ target, onClose }: { target: KickTarget | null; onClose: () => void }) {
  const kick = useKick();
  return (
    <ConfirmDialog
      open={!!target}
      title={target?.title ?? ''}
      confirmLabel={target?.confirmLabel ?? ''}
      message={target?.message}
      onClose={onClose}
      onConfirm={async () => {
        if (!target) return;
        await kick.mutateAsync(target.clientId());
        toast(target.done);
      }}
    />
  );
}

/** Kicks one client (a row of Clients, a player of a stream). */
export function KickDialog({ client, onClose }: { client: Client | null; onClose: () => void }) {
  const target: KickTarget | null = client && {
    title: client.publish ? 'Kick the publisher?' : 'Kick this client?',
    confirmLabel: 'Kick',
    message: (
      <>
        Disconnect <span className="font-mono">{client.id}</span> ({client.ip}, {client.type}) from <strong>{client.url || client.name}</strong>.
        {client.publish ? ' The stream ends and its players stop.' : ''}
      </>
    ),
    clientId: () => client.id,
    done: `Kicked ${client.ip} (${client.type})`,
  };
  return <KickConfirm target={target} onClose={onClose} />;
}
