'use client';

import Link from 'next/link';
import { Dialog } from '@/components/ui/Dialog';
import { StreamPlayer } from '@/components/player/StreamPlayer';
import type { StreamRef } from '@/lib/urls';

export function PreviewDialog({ stream, id, onClose }: { stream: StreamRef | null; id?: string; onClose: () => void }) {
  return (
    <Dialog
      open={!!stream}
      onClose={onClose}
      title={stream ? `Preview ${stream.app}/${stream.stream}` : 'Preview'}
      description={
        id ? (
          <Link className="text-accent underline-offset-2 hover:underline" href={`/streams/detail/?id=${encodeURIComponent(id)}`}>
            Open stream details
          </Link>
        ) : undefined
      }
      wide
    >
      {stream && <StreamPlayer stream={stream} />}
    </Dialog>
  );
}
