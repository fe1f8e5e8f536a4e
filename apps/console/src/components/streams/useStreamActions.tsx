'use client';

import { useState } from 'react';
import { KickConfirm, type KickTarget } from '@/components/clients/KickDialog';
import { toast } from '@/components/ui/Toast';
import { ApiError, describeError } from '@/lib/api';
import { useDvr, type StreamRow } from '@/hooks/useStreams';
import type { DvrAction } from '@/lib/types';

/** DVR start/stop and kick-publisher, shared by the Streams table and the detail page. */
export function useStreamActions() {
  const dvr = useDvr();
  const [kickRow, setKickRow] = useState<StreamRow | null>(null);

  const setDvr = async (row: StreamRow, action: DvrAction) => {
    const vhost = row.vhostName && row.vhostName !== '__defaultVhost__' ? row.vhostName : undefined;
    try {
      await dvr.mutateAsync({ app: row.stream.app, stream: row.stream.name, vhost, action });
      toast(action === 'start' ? `Recording ${row.stream.app}/${row.stream.name}` : `Stopped recording ${row.stream.app}/${row.stream.name}`);
    } catch (e) {
      toast(
        e instanceof ApiError && e.kind === 'not-found' ? 'DVR control (POST /api/v1/dvrs) is not available on this server' : `DVR ${action} failed: ${describeError(e)}`,
        'error',
      );
    }
  };

  const kickTarget: KickTarget | null = kickRow && {
    title: 'Kick the publisher?',
    confirmLabel: 'Kick publisher',
    message: (
      <>
        Disconnect the publisher of <strong>{`${kickRow.stream.app}/${kickRow.stream.name}`}</strong>
        {kickRow.publisher ? ` (${kickRow.publisher.ip}, ${kickRow.publisher.type})` : ''}. The stream ends and its players stop unless
        the publisher reconnects.
      </>
    ),
    clientId: () => {
      const cid = kickRow.stream.publish.cid ?? kickRow.publisher?.id;
      if (!cid) throw new Error('This stream has no publisher to kick');
      return cid;
    },
    done: 'Publisher kicked',
  };
  const kickDialog = <KickConfirm target={kickTarget} onClose={() => setKickRow(null)} />;

  return { setDvr, dvrPending: dvr.isPending, askKick: setKickRow, kickDialog };
}
